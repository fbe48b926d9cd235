"""Small helpers for the window's asyncio (qasync) side.

The GUI thread only paints: anything that touches the database, the disk or the network goes
through ``run_blocking`` (a thread pool of its own) and comes back as an awaited value. Modal
dialogs are never ``exec()``-ed inside a coroutine: ``open_and_wait`` opens them and awaits
their ``finished`` signal instead.

Shutting down: a thread that is still inside a blocking call when the library closes would use
a connection that is being closed (a crash in the SQLite driver). Canceling the task that awaits
the call does not stop its thread, so every call is tracked until its thread is done with it:
``refuse_blocking()`` makes new calls end their task as canceled, and ``wait_in_flight()``
awaits the calls still running. Only then may the library close (``desktop.app.stop``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog

from desktop.errors import LibraryClosed

log = logging.getLogger(__name__)

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_tasks: dict[asyncio.Task[Any], int] = {}  # spawned tasks still running -> their generation
_in_flight: set[concurrent.futures.Future[Any]] = set()  # blocking calls a thread may still run
_in_flight_lock = threading.Lock()
_refusing = False  # the window is closing: no new blocking call starts
_generation = 0  # one more each time a window has closed (see end_window_generation)
# the generation a task was spawned in: a task left over from a closed window never reaches the
# library of a window started after it
_task_generation: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "stylestudio_task_generation", default=None
)


def executor() -> ThreadPoolExecutor:
    """The window's own threads for blocking work (a few, so each keeps its DB connection)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stylestudio-ui-io")
        return _executor


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on a worker thread and await its result.

    While the window is closing (``refuse_blocking``) the call does not start and the awaiting
    task ends as canceled; a call that finds the library already closed ends the same way."""
    if _refusing or _task_generation.get() not in (None, _generation):
        log.debug("Not starting %s: its window is closing or closed", getattr(fn, "__qualname__", fn))
        raise asyncio.CancelledError("the window is closing")
    try:
        return await _submit(fn, *args, **kwargs)
    except Exception as exc:
        if _refusing and is_library_closed(exc):
            raise asyncio.CancelledError("the window is closing") from exc
        raise


async def run_shutdown_step(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``run_blocking`` for the shutdown itself (stopping the pool, closing the library): runs
    even while other blocking calls are refused."""
    return await _submit(fn, *args, **kwargs)


async def _submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    asyncio.get_running_loop()  # (raises when there is none, before the thread is started)
    future = executor().submit(functools.partial(fn, *args, **kwargs))
    with _in_flight_lock:
        _in_flight.add(future)
    future.add_done_callback(_call_done)
    # (canceling the awaiting task cancels a call that has not started; a started one runs on)
    return await asyncio.wrap_future(future)


def _call_done(future: concurrent.futures.Future[Any]) -> None:
    with _in_flight_lock:
        _in_flight.discard(future)


def is_library_closed(exc: BaseException) -> bool:
    """The library refused a call because it is closed (the job store's ``LibraryClosed``)."""
    return isinstance(exc, LibraryClosed)


def refuse_blocking() -> None:
    """The window is closing: from now on ``run_blocking`` starts nothing."""
    global _refusing
    _refusing = True


def end_window_generation() -> None:
    """The window has closed: blocking calls are allowed again, but never for a task spawned
    before this (it belongs to the closed window, whose library is gone)."""
    global _refusing, _generation
    _generation += 1
    _refusing = False


def refusing_blocking() -> bool:
    return _refusing


def in_flight() -> int:
    """How many blocking calls a thread has not finished yet."""
    with _in_flight_lock:
        return len(_in_flight)


def _snapshot() -> list[concurrent.futures.Future[Any]]:
    with _in_flight_lock:
        return list(_in_flight)


async def wait_in_flight(timeout: float) -> bool:
    """Await every blocking call still running on a thread (those started later too); False if
    some were still running after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while pending := _snapshot():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        # fresh wrappers: canceling them (if this task is canceled) cancels nothing that runs
        await asyncio.wait([asyncio.wrap_future(f) for f in pending], timeout=left)
    return True


def wait_in_flight_blocking(timeout: float) -> bool:
    """``wait_in_flight`` without an event loop (blocks the calling thread)."""
    deadline = time.monotonic() + timeout
    while pending := _snapshot():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        concurrent.futures.wait(pending, timeout=left)
    return True


def spawn(coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
    """Start a coroutine from a plain (synchronous) Qt slot; keep a reference so it is not
    garbage-collected mid-flight, and log anything it raises instead of losing it."""
    context = contextvars.copy_context()
    context.run(_task_generation.set, _generation)
    task = asyncio.get_event_loop().create_task(coro, context=context)
    if name:
        task.set_name(name)
    _tasks[task] = _generation
    task.add_done_callback(_task_done)
    return task


class Coalesced:
    """An async read that runs one at a time: ``request`` while it runs, and it runs once more
    when it ends (at most once every ``interval`` seconds), however often it was asked.
    ``once`` returns True to run again by itself; ``ended`` is called when the runs stop."""

    def __init__(
        self,
        once: Callable[[], Coroutine[Any, Any, bool]],
        *,
        name: str,
        interval: float = 0.0,
        ended: Callable[[], None] | None = None,
    ) -> None:
        self.once = once  # the read itself
        self._name = name
        self._interval = interval
        self._ended = ended
        self.running = False
        self.wanted = False  # asked again while running (or held back by the owner)

    def request(self) -> None:
        if self.running:
            self.wanted = True
            return
        self.running = True
        spawn(self._run(), name=self._name)

    async def _run(self) -> None:
        try:
            while True:
                self.wanted = False
                began = time.monotonic()
                if not (await self.once() or self.wanted):
                    break
                await asyncio.sleep(max(0.0, self._interval - (time.monotonic() - began)))
        finally:
            self.running = False
        if self._ended is not None:
            self._ended()


def _task_done(task: asyncio.Task[Any]) -> None:
    generation = _tasks.pop(task, _generation)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    if is_library_closed(exc) and (_refusing or generation != _generation):
        # the window closed under it: nothing went wrong
        log.debug("A window task ended with the library closed: %s", exc)
        return
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


async def open_and_wait(dialog: QDialog) -> int:
    """``dialog.open()`` then await ``finished``: the modal result without a nested exec()."""
    finished = signal_future(dialog.finished)
    dialog.open()
    (result,) = await finished
    return int(result)
