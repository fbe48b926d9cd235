"""UI fixtures: a qasync loop over pytest-qt's QApplication, and a started window that is
always stopped again.

Tests stay plain functions: they start coroutines with ``arun(qtbot, coro)`` (which spins the
Qt event loop until the coroutine is done) and wait with ``qtbot.waitUntil``; async slots and
worker-thread results run meanwhile because qasync drives asyncio from Qt's event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget

from desktop import app as desktop_app
from desktop.ui.screenshots import drop_files  # noqa: F401 - the tests' file-manager drop

# Closed loops are kept: their Qt objects must never be destroyed by a garbage collection that
# happens to run on a worker thread (a QObject deleted off its thread leaves its timers
# registered, and the next one that fires crashes the process).
_CLOSED_LOOPS: list[qasync.QEventLoop] = []


@pytest.fixture
def aloop(qapp):
    if not isinstance(qapp, QApplication):  # a widget would abort the whole process
        pytest.fail(
            f"An earlier test made a {type(qapp).__name__} in this process, so no widget can be "
            "created; give that test pytest-qt's `qapp` fixture (a QApplication) instead."
        )
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    for _ in range(20):
        if all(t.done() for t in pending):
            break
        qapp.processEvents()
    timer = loop._timer
    callbacks = timer._SimpleTimer__callbacks
    for timer_id in list(callbacks):
        timer.killTimer(timer_id)
    callbacks.clear()
    loop._QEventLoop__is_running = False  # made "already running": we own its end
    asyncio.events._set_running_loop(None)
    try:
        qapp.aboutToQuit.disconnect(loop._after_run_forever)
    except (RuntimeError, TypeError):
        pass
    loop._after_run_forever()
    loop.close()
    asyncio.set_event_loop(None)
    _CLOSED_LOOPS.append(loop)
    gc.collect()  # here, on the GUI thread


def arun(qtbot, coro, timeout: float = 15.0):
    """Run a coroutine on the qasync loop, spinning Qt until it is done; return its result."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
    return task.result()


@pytest.fixture
def window(qtbot, aloop, home):
    win = arun(qtbot, desktop_app.start(home))
    try:
        yield win
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)
        qtbot.wait(10)  # let deleteLater() run
        gc.collect()  # collect Qt wrappers on the GUI thread, not on some worker thread
        logging.getLogger(__name__).debug("window stopped")


def alive(obj) -> bool:
    """The Qt object still exists (dialogs delete themselves when they close)."""
    return obj is not None and shiboken6.isValid(obj)


def shown(obj) -> bool:
    return alive(obj) and obj.isVisible()


def center(widget: QWidget) -> QPoint:
    return widget.rect().center()
