"""The progress dialog follows the row by id: cancel, failure with Retry and Details, the row
disappearing, and Run in background."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QProgressBar, QPushButton
from sqlalchemy import text

from desktop.jobs.model import JobRow
from desktop.ui.progress_dialog import JobProgressDialog
from desktop.ui.progress_text import describe_time
from tests.helpers import hold_the_end
from tests.ui.conftest import alive, shown, wait_until


def follow(qtbot, window, payload: dict) -> tuple[int, JobProgressDialog]:
    job_id = window.runtime.engine.enqueue("diagnostics.sleep", payload)
    dialog = window.following.follow_job(job_id)
    assert dialog.objectName() == "jobProgressDialog"
    return job_id, dialog


def closed_flag(dialog: JobProgressDialog) -> list[int]:
    done: list[int] = []
    dialog.finished.connect(lambda r: done.append(r))
    return done


def test_cancel_says_canceling_until_the_row_ends_canceled(qtbot, window):
    engine = window.runtime.engine
    t0 = time.monotonic()
    job_id, dialog = follow(qtbot, window, {"seconds": 60, "steps": 600})
    done = closed_flag(dialog)
    assert not dialog.isVisible()
    wait_until(dialog.isVisible)
    assert time.monotonic() - t0 >= 0.4  # not before the half-second delay (a lower bound only)
    label = dialog.findChild(QLabel, "jobMessageLabel")
    wait_until(lambda: "Sleeping, step" in label.text())
    bar = dialog.findChild(QProgressBar, "jobProgressBar")
    assert bar.maximum() == 1000  # determinate: the job reports fractions

    cancel = dialog.findChild(QPushButton, "jobCancelButton")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert cancel.text() == "Canceling..."
    assert not cancel.isEnabled()
    wait_until(lambda: bool(done))
    row = engine.get(job_id)
    assert row.status == "canceled"
    assert not shown(dialog)


def test_time_estimate_appears_past_ten_percent():
    now = time.time()
    row = JobRow(1, "diagnostics.sleep", "running", "Working", None, "{}", None, None, 1, 3, False, now - 10, now - 10, now, None, 0.0, None, None)
    assert describe_time(row, now) == "Elapsed 0:10"
    assert "left" not in describe_time(replace(row, progress=0.05), now)  # not before 10 %
    assert describe_time(replace(row, progress=0.25), now) == "Elapsed 0:10 · about 0:30 left"


def test_indeterminate_progress_shows_a_busy_bar(qtbot, window):
    job_id, dialog = follow(qtbot, window, {"seconds": 30, "steps": 1})
    wait_until(dialog.isVisible)
    bar = dialog.findChild(QProgressBar, "jobProgressBar")
    # the job reports 0.0; a row whose progress is None must switch to the busy bar
    row = window.runtime.engine.get(job_id)
    dialog.apply(replace(row, progress=None, updated_at=row.updated_at + 0.001))
    assert bar.maximum() == 0
    dialog.findChild(QPushButton, "jobCancelButton").click()


def test_failure_shows_the_sentence_then_retry_runs_the_same_job_again(qtbot, window):
    engine = window.runtime.engine
    job_id, dialog = follow(qtbot, window, {"seconds": 0.6, "steps": 3, "fail_at_step": 2})
    error = dialog.findChild(QLabel, "jobErrorLabel")
    wait_until(lambda: shown(dialog) and error.isVisible())
    assert error.text() == "Diagnostics job failed at step 2, as asked."
    assert "Traceback" not in error.text()
    retry = dialog.findChild(QPushButton, "jobRetryButton")
    assert retry.isVisible()
    assert not dialog.findChild(QPushButton, "jobCancelButton").isVisible()

    details = dialog.findChild(QPushButton, "jobDetailsButton")
    qtbot.mouseClick(details, Qt.MouseButton.LeftButton)
    text = dialog.findChild(QPlainTextEdit, "jobDetailsText")
    wait_until(lambda: "failed at step 2" in text.toPlainText())
    assert f"[job {job_id}]" not in text.toPlainText() and "desktop." not in text.toPlainText(), "sentences, not log lines"

    first = engine.get(job_id)
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    # the same row runs again (a new start and end) and the dialog shows the failure again;
    # the progress in between may be too short to see, so only the outcome is waited for
    wait_until(lambda: (r := engine.get(job_id)).status == "failed" and r.finished_at > first.finished_at)
    again = engine.get(job_id)
    assert again.started_at > first.started_at
    wait_until(lambda: dialog.row == again and error.isVisible())
    assert error.text() == "Diagnostics job failed at step 2, as asked."
    assert dialog.findChild(QLabel, "jobMessageLabel").text() != ""
    assert [r.id for r in engine.list()] == [job_id]  # no new job was made
    assert engine.get(job_id).status == "failed"
    assert shown(dialog)


def test_retry_after_a_passing_failure_succeeds(qtbot, window):
    engine = window.runtime.engine
    job_id, dialog = follow(qtbot, window, {"seconds": 0.3, "steps": 3, "fail_at_step": 2})
    error = dialog.findChild(QLabel, "jobErrorLabel")
    wait_until(lambda: error.isVisible())
    done = closed_flag(dialog)
    # the cause went away (here: the job's input no longer asks to fail), so Retry succeeds
    with engine.db.write_session() as s:
        s.execute(text("UPDATE jobs SET payload = :p WHERE id = :id"), {"p": '{"seconds": 0.3, "steps": 3}', "id": job_id})
    qtbot.mouseClick(dialog.findChild(QPushButton, "jobRetryButton"), Qt.MouseButton.LeftButton)
    wait_until(lambda: bool(done))
    assert engine.get(job_id).status == "succeeded"


def test_close_after_failure(qtbot, window):
    job_id, dialog = follow(qtbot, window, {"seconds": 0, "steps": 1, "fail_at_step": 1})
    # a failure shows even when quick (shown alone is not enough: a busy pool may not have run
    # the job yet when the dialog appears)
    wait_until(lambda: shown(dialog) and dialog.finished_status == "failed")
    done = closed_flag(dialog)
    qtbot.mouseClick(dialog.findChild(QPushButton, "jobCloseButton"), Qt.MouseButton.LeftButton)
    wait_until(lambda: bool(done))
    assert window.runtime.engine.get(job_id).status == "failed"


def test_row_dismissed_elsewhere_closes_the_dialog(qtbot, window):
    engine = window.runtime.engine
    job_id, dialog = follow(qtbot, window, {"seconds": 0, "steps": 1, "fail_at_step": 1})
    wait_until(lambda: shown(dialog) and dialog.finished_status == "failed")  # ended: it can be dismissed
    done = closed_flag(dialog)
    engine.dismiss(job_id)  # e.g. `stylestudio jobs dismiss` or another window
    wait_until(lambda: bool(done))
    assert not alive(dialog) or not dialog.isVisible()
    assert job_id not in window.following.progress_dialogs


def test_run_in_background_hides_the_dialog_and_the_job_goes_on(qtbot, window, monkeypatch):
    from desktop.ui import progress_dialog

    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.0)  # the delay is not what this is about
    engine = window.runtime.engine
    # still running when the button is clicked, whatever the machine's speed: held at its end
    release = hold_the_end(monkeypatch, "diagnostics.sleep")
    job_id, dialog = follow(qtbot, window, {"seconds": 0.3, "steps": 3})
    wait_until(lambda: dialog.isVisible() and engine.get(job_id).status == "running")
    done = closed_flag(dialog)
    notes: list[tuple[str, str]] = []
    window.notifier.sent.connect(lambda title, text: notes.append((title, text)))
    try:
        qtbot.mouseClick(dialog.findChild(QPushButton, "jobBackgroundButton"), Qt.MouseButton.LeftButton)
        wait_until(lambda: bool(done))
        assert engine.get(job_id).status == "running"
    finally:
        release.set()
    wait_until(lambda: engine.get(job_id).status in ("succeeded", "failed", "canceled"))
    assert engine.get(job_id).status == "succeeded"  # hiding the dialog did not stop the job
    assert window.jobs_panel.isVisible()
    # the window is not the active one (offscreen), so the end is announced
    wait_until(lambda: bool(notes))
    assert notes[0][0] == "Diagnostics: sleep finished"


def test_a_job_waiting_on_a_paused_queue_says_so_and_offers_resume(qtbot, window):
    """The pause trap (issue 21 §4): the dialog says the queue is paused, not "waiting for a
    free slot", and Resume queue is in the dialog itself."""
    engine = window.runtime.engine
    engine.pause()
    job_id, dialog = follow(qtbot, window, {"seconds": 0})
    wait_until(dialog.isVisible)
    message = dialog.findChild(QLabel, "jobMessageLabel") or dialog.message
    resume = dialog.findChild(QPushButton, "jobResumeQueueButton")
    wait_until(lambda: resume.isVisible() and "queue is paused" in message.text())
    assert "free slot" not in dialog.findChild(QLabel, "jobTimeLabel").text()
    assert engine.get(job_id).status == "queued"
    done = closed_flag(dialog)
    resume.click()
    wait_until(lambda: engine.get(job_id).status == "succeeded")
    assert engine.paused() == {}
    wait_until(lambda: bool(done))
