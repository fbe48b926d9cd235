"""Stop signals: SIGTERM (``kill``, a service manager) and SIGHUP (the terminal closed) act
like Ctrl+C in every command, so a job is canceled properly instead of left ``running``."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # asyncio costs tens of milliseconds to import: only the commands that run a loop need it
    import asyncio

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def stop_signals_interrupt() -> None:
    """Outside an event loop: SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl+C does."""
    for sig in STOP_SIGNALS:
        if sig == signal.SIGINT:
            continue
        try:
            signal.signal(sig, _interrupt)
        except (ValueError, OSError):  # not the main thread
            return


def on_stop_signals(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Inside an event loop: call ``callback`` on the loop for Ctrl+C, SIGTERM and SIGHUP.
    (When the loop closes, asyncio resets them; call ``stop_signals_interrupt`` again.)"""
    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, callback)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(callback))
