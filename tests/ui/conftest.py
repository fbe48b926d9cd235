"""UI fixtures: a qasync loop over pytest-qt's QApplication, and a started window that is
always stopped again.

Tests stay plain functions. The loop is made with qasync's public ``already_running=True``
(Qt's event loop is "running" whenever Qt processes events, so the asyncio loop is too): it has
to be, because pytest-qt processes events between a test's phases and a task step run then
would find no running loop. Tests start coroutines with ``arun(qtbot, coro)`` and wait with
``wait_until(predicate)``; both process Qt events (``QTest.qWait``) until done, so async slots
and worker-thread results run meanwhile. The loop ends the documented way (``stop()``, then
``close()``); in between it runs once more with ``run_forever()`` to finish the tasks left over,
which also leaves no running loop behind for the next test.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop import app as desktop_app
from desktop.ui.screenshots import drop_files  # noqa: F401 - the tests' file-manager drop

WAIT = 20.0  # seconds: the default deadline of a wait, generous for a loaded machine
POLL_MS = 10  # between two looks at a condition (Qt events are processed meanwhile)

# Closed loops are kept: their Qt timer object must never be destroyed by a garbage collection
# that happens to run on a worker thread (a QObject deleted off its thread leaves its timers
# registered, and the next one that fires crashes the process). A closed loop's timers that
# are still registered are killed, one by one, when they fire.
_CLOSED_LOOPS: list[qasync.QEventLoop] = []


@pytest.fixture
def aloop(qapp):
    if not isinstance(qapp, QApplication):  # a widget would abort the whole process
        pytest.fail(
            f"An earlier test made a {type(qapp).__name__} in this process, so no widget can be "
            "created; give that test pytest-qt's `qapp` fixture (a QApplication) instead."
        )
    # as in the app (desktop.ui.application): a window closing never quits the event loop
    quit_on_close = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.stop()  # (already running: the user stops and closes it)
        try:
            # one proper run: the tasks left over end, and run_forever() unsets the running
            # loop when it returns
            _run_once(loop, _cancel_leftover_tasks())
        finally:
            loop.close()
            asyncio.set_event_loop(None)
            _CLOSED_LOOPS.append(loop)
            qapp.setQuitOnLastWindowClosed(quit_on_close)
            gc.collect()  # here, on the GUI thread


def _run_once(loop: qasync.QEventLoop, coro: Coroutine[Any, Any, Any]) -> None:
    """Run the (stopped) loop until ``coro`` is done. (Not ``run_until_complete``: it processes
    events once more after the running loop is unset, and a task step due then would fail.)"""
    future = asyncio.ensure_future(coro, loop=loop)
    future.add_done_callback(lambda _f: loop.stop())
    loop.run_forever()
    if not future.done():
        future.cancel()
        raise RuntimeError("The event loop stopped before the left-over tasks ended.")
    future.result()


async def _cancel_leftover_tasks() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=WAIT)


def arun(qtbot, coro: Coroutine[Any, Any, Any], timeout: float = WAIT) -> Any:
    """Run a coroutine on the test's qasync loop, processing Qt events until it is done, and
    return its result; a coroutine still running after ``timeout`` seconds fails the test."""
    task = asyncio.ensure_future(coro)
    try:
        wait_until(task.done, timeout)
    except AssertionError:
        task.cancel()
        raise
    return task.result()


def wait_until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    """Process Qt events (the loop's tasks run meanwhile) until ``predicate()`` is true; an
    AssertionError inside it counts as not yet. Fails the test after ``timeout`` seconds."""

    def holds() -> bool:
        try:
            return bool(predicate())
        except AssertionError:
            return False

    deadline = time.monotonic() + timeout
    while not holds():
        if time.monotonic() > deadline:
            raise AssertionError(f"the condition was not met within {timeout} s\n{_activity()}")
        QTest.qWait(POLL_MS)


def _activity() -> str:
    """What the window was busy with (for a wait that timed out): its tasks and the stacks of
    its threads."""
    import sys
    import threading
    import traceback

    from desktop.ui import async_utils

    lines = [f"blocking calls in flight: {async_utils.in_flight()}"]
    lines += [f"task {t.get_name()}: {t.get_coro()}" for t in async_utils.pending_tasks()]
    frames = sys._current_frames()
    for thread in threading.enumerate():
        if thread.name.startswith("stylestudio") and thread.ident in frames:
            stack = "".join(traceback.format_stack(frames[thread.ident])[-4:])
            lines.append(f"thread {thread.name}:\n{stack}")
    return "\n".join(lines)


@pytest.fixture
def window(qtbot, aloop, home):
    win = arun(qtbot, desktop_app.start(home), timeout=60)
    try:
        yield win
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=60)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # deleteLater() runs
        gc.collect()  # collect Qt wrappers on the GUI thread, not on some worker thread
        logging.getLogger(__name__).debug("window stopped")


def alive(obj) -> bool:
    """The Qt object still exists (dialogs delete themselves when they close)."""
    return obj is not None and shiboken6.isValid(obj)


def shown(obj) -> bool:
    return alive(obj) and obj.isVisible()


def center(widget: QWidget) -> QPoint:
    return widget.rect().center()
