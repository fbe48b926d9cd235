"""Small helpers for the window's asyncio (qasync) side.

The GUI thread only paints: anything that touches the database, the disk or the network goes
through ``run_blocking`` (a thread pool of its own) and comes back as an awaited value. Modal
dialogs are never ``exec()``-ed inside a coroutine: ``open_and_wait`` opens them and awaits
their ``finished`` signal instead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog

log = logging.getLogger(__name__)

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_tasks: set[asyncio.Task[Any]] = set()


def executor() -> ThreadPoolExecutor:
    """The window's own threads for blocking work (a few, so each keeps its DB connection)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stylestudio-ui-io")
        return _executor


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on a worker thread and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor(), functools.partial(fn, *args, **kwargs))


def spawn(coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
    """Start a coroutine from a plain (synchronous) Qt slot; keep a reference so it is not
    garbage-collected mid-flight, and log anything it raises instead of losing it."""
    task = asyncio.ensure_future(coro)
    if name:
        task.set_name(name)
    _tasks.add(task)
    task.add_done_callback(_task_done)
    return task


def _task_done(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("A window task failed", exc_info=exc)


def pending_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in _tasks if not t.done()]


def signal_future(signal: SignalInstance) -> asyncio.Future[tuple[Any, ...]]:
    """A future for the next emission of a Qt signal (connected now); resolves to its arguments."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    def disconnect(_f: object) -> None:
        try:
            signal.disconnect(fire)
        except (RuntimeError, TypeError):
            pass

    signal.connect(fire)
    future.add_done_callback(disconnect)
    return future


async def wait_signal(signal: SignalInstance) -> tuple[Any, ...]:
    """Await the next emission of a Qt signal; returns its arguments."""
    return await signal_future(signal)


async def open_and_wait(dialog: QDialog) -> int:
    """``dialog.open()`` then await ``finished``: the modal result without a nested exec()."""
    finished = signal_future(dialog.finished)
    dialog.open()
    (result,) = await finished
    return int(result)
