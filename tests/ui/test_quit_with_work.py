"""Quitting during a batch (issue 21 §1), with the real window, its pool and SQLite: work the
window did not start is handed back to the queue whatever is chosen; quitting with work asks
once (Finish in the background / Pause and quit / Cancel my work and quit / Don't quit), and
with nothing running asks nothing; the quit key works from a modal progress dialog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from desktop import app as desktop_app
from desktop.jobs.items import DONE, PENDING, ItemStore
from desktop.pipelines.diagnostics.request import ITEMS_TYPE, JOB_TYPE
from desktop.runtime import Runtime, open_runtime
from desktop.ui.quit_dialog import QuitChoice
from tests.ui.conftest import arun, shown, wait_until

CTRL = Qt.KeyboardModifier.ControlModifier


def _quit_dialog(win) -> QDialog | None:
    dialog = win.quitting.dialog
    assert dialog is None or dialog.objectName() == "quitWithWorkDialog"
    return dialog


@contextmanager
def _reopened(home) -> Iterator[Runtime]:
    """The library as the next start (or the command line) sees it once the window closed."""
    rt = open_runtime(home, watch_external=False)
    try:
        yield rt
    finally:
        rt.close()


def _asked_to_close(win) -> list[bool]:
    fired: list[bool] = []
    win.closeRequested.connect(lambda: fired.append(True))
    return fired


def _others_batch(win, count: int, seconds: float) -> int:
    """A batch queued as from the command line (not through the window), once the window's
    pool runs it and has done two of its items."""
    engine = win.runtime.engine
    job = engine.enqueue_batch(ITEMS_TYPE, {"seconds": seconds, "parallel": 2}, [f"photo {i}" for i in range(count)])
    store = ItemStore(win.runtime.db)
    wait_until(lambda: engine.get(job).owner == engine.owner and store.counts(job)[DONE] >= 2, timeout=60)
    return job


def test_quitting_with_nothing_running_asks_nothing_from_a_dialog_or_the_close_button(qtbot, window):
    fired = _asked_to_close(window)
    dialog = window.new_style_flow.open()
    wait_until(lambda: shown(dialog))
    qtbot.keyClick(dialog.findChild(QWidget, "descriptionEdit"), Qt.Key.Key_Q, CTRL)  # typing in a modal dialog
    wait_until(lambda: fired)
    assert _quit_dialog(window) is None and window.quitting.choice == QuitChoice.PAUSE
    dialog.reject()
    wait_until(lambda: not shown(dialog) and not window.quitting.asking)
    window.close()  # the window's close button
    wait_until(lambda: len(fired) == 2)
    assert _quit_dialog(window) is None


def test_ctrl_q_from_the_progress_dialog_asks_and_cancel_mine_hands_the_command_lines_batch_back(qtbot, window, home):
    engine = window.runtime.engine
    others = _others_batch(window, count=200, seconds=0.3)
    mine = engine.enqueue(JOB_TYPE, {"seconds": 60, "steps": 600})
    progress = window.following.follow_job(mine, JOB_TYPE)  # as a flow of the window starts a job
    wait_until(lambda: shown(progress))
    fired = _asked_to_close(window)

    qtbot.keyClick(progress, Qt.Key.Key_Q, CTRL)  # the window's shortcut cannot fire past a modal dialog
    wait_until(lambda: shown(_quit_dialog(window)))
    dialog = _quit_dialog(window)
    listing = dialog.findChild(QLabel, "quitJobsLabel").text()
    assert "Started in this window" in listing and "Started elsewhere" in listing
    assert dialog.cancel_button.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Don't quit
    wait_until(lambda: not window.quitting.asking)
    assert not fired and window.isVisible() and engine.get(others).status == "running"

    window.request_quit()  # (File > Quit, the close button)
    wait_until(lambda: shown(_quit_dialog(window)))
    _quit_dialog(window).cancel_button.click()
    wait_until(lambda: fired)
    assert window.quitting.choice == QuitChoice.CANCEL_MINE
    arun(qtbot, desktop_app.stop(window), timeout=60)

    with _reopened(home) as rt:
        row = rt.engine.get(others)
        assert (row.status, row.attempts, row.cancel_requested) == ("queued", 0, False), row
        counts = ItemStore(rt.db).counts(others)
        assert counts[DONE] >= 2 and counts[PENDING] > 0
        assert rt.engine.get(mine).status == "canceled"


def test_finish_in_the_background_hands_back_and_a_headless_worker_finishes_the_batch(qtbot, window, home):
    others = _others_batch(window, count=10, seconds=0.3)
    fired = _asked_to_close(window)
    window.request_quit()
    wait_until(lambda: shown(_quit_dialog(window)))
    dialog = _quit_dialog(window)
    assert not dialog.cancel_button.isVisible(), "nothing here was started in this window"
    dialog.background_button.click()
    wait_until(lambda: fired)
    started = len(desktop_app.BACKGROUND_WORKERS)
    arun(qtbot, desktop_app.stop(window), timeout=60)
    assert len(desktop_app.BACKGROUND_WORKERS) == started + 1
    worker = desktop_app.BACKGROUND_WORKERS[-1]
    assert worker.wait(120) == 0, "the worker exits once the queue is idle"

    with _reopened(home) as rt:
        row = rt.engine.get(others)
        assert (row.status, row.attempts) == ("succeeded", 1), row
        done_by = ItemStore(rt.db).done_by(others)
        assert any(o and o.split(":")[1] == str(worker.pid) for o in done_by), done_by
        assert any(o and o.split(":")[1] == str(os.getpid()) for o in done_by), "the window's items stayed done"

    reopened = arun(qtbot, desktop_app.start(home), timeout=60)  # the window shows the outcome
    try:
        wait_until(lambda: any(r.id == others and r.status == "succeeded" for r in reopened.jobs_model.items()))
    finally:
        arun(qtbot, desktop_app.stop(reopened), timeout=60)
