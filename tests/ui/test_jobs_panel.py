"""The jobs panel: rows from the database (including other processes' jobs), per-row actions
by job id, Clear finished; and quitting with a job running."""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QListView, QPushButton

from desktop import app as desktop_app
from desktop.jobs.model import JobRow
from desktop.runtime import open_runtime
from desktop.ui.jobs_model import JobRole
from desktop.ui.jobs_panel import JobsPanel
from tests.helpers import REPO
from tests.ui.conftest import arun, wait_until


def panel_row(view: QListView, job_id: int) -> JobRow | None:
    model = view.model()
    for r in range(model.rowCount()):
        row = model.index(r, 0).data(JobRole)
        if row.id == job_id:
            return row
    return None


def click_action(qtbot, view: QListView, job_id: int, action: str) -> None:
    """Click the painted per-row button (found by job id, at the moment of the click)."""
    model = view.model()
    index = model.index_of(job_id)
    assert index.isValid()
    rect = view.visualRect(index)
    delegate = view.itemDelegate()
    row = index.data(JobRole)
    font = view.font()
    from PySide6.QtGui import QFont

    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() - 1))
    for name, _label, brect in delegate._button_rects(rect, row, small):
        if name == action:
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=brect.center())
            return
    raise AssertionError(f"no {action} button on job {job_id}")


def enqueue_elsewhere(home, payload: dict) -> int:
    """Enqueue from a separate process (the command line), like `stylestudio jobs enqueue`."""
    out = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--home", str(home), "jobs", "enqueue", "diagnostics.sleep", "--payload", json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().split()[-1])


def test_a_job_from_another_process_appears_and_ends_in_the_panel(qtbot, window, home):
    panel = window.findChild(QDockWidget, "jobsPanel")
    view = panel.findChild(QListView, "jobsView")
    assert isinstance(panel, JobsPanel) and panel.isVisible()
    model = view.model()
    shown_states: list[str] = []  # every state the panel's row went through, as applied
    job_ids: list[int] = []

    def record(*_args) -> None:
        row = panel_row(view, job_ids[0]) if job_ids else None
        if row is not None and (not shown_states or shown_states[-1] != row.status):
            shown_states.append(row.status)

    for signal in (model.dataChanged, model.rowsInserted, model.modelReset, model.layoutChanged):
        signal.connect(record)
    job_id = enqueue_elsewhere(home, {"seconds": 0.8, "steps": 4})
    job_ids.append(job_id)
    record()
    wait_until(lambda: (r := panel_row(view, job_id)) is not None and r.status == "succeeded")
    assert "running" in shown_states  # watched live, not only the end
    assert panel_row(view, job_id).message == "Done"


def test_cancel_from_another_process_shows_in_the_panel(qtbot, window, home):
    view = window.findChild(QListView, "jobsView")
    job_id = window.runtime.engine.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 300})
    wait_until(lambda: (r := panel_row(view, job_id)) is not None and r.status == "running")
    out = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "--home", str(home), "jobs", "cancel", str(job_id)],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    wait_until(lambda: panel_row(view, job_id).status == "canceled")


def test_row_buttons_act_on_their_job(qtbot, window):
    engine = window.runtime.engine
    view = window.findChild(QListView, "jobsView")
    long_id = engine.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 300})
    fail_id = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1, "fail_at_step": 1})
    wait_until(lambda: (r := panel_row(view, fail_id)) is not None and r.status == "failed")
    wait_until(lambda: (r := panel_row(view, long_id)) is not None and r.status == "running")

    click_action(qtbot, view, long_id, "cancel")
    wait_until(lambda: panel_row(view, long_id).status == "canceled")
    assert engine.get(fail_id).status == "failed"  # the other row was not touched

    # Retry runs the same row again: it ends failed again, with a new end time (the short
    # "queued" state in between may pass before anyone sees it)
    first = engine.get(fail_id)
    click_action(qtbot, view, fail_id, "retry")
    wait_until(lambda: (r := engine.get(fail_id)).status == "failed" and r.finished_at > first.finished_at)
    again = engine.get(fail_id)
    wait_until(lambda: panel_row(view, fail_id) == again)  # the panel shows the new failure
    assert {r.id for r in engine.list(include_finished=True, limit=10)} == {fail_id, long_id}  # no new job

    click_action(qtbot, view, long_id, "dismiss")
    wait_until(lambda: panel_row(view, long_id) is None)
    assert engine.get(long_id) is None
    assert engine.get(fail_id) is not None


def test_open_result_selects_the_style(qtbot, window, home):
    from tests.ui.sample_library import add_styles

    ids = add_styles(home, 3, previews=1)
    # a finished job whose result is the oldest style
    engine = window.runtime.engine
    job_id = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1})
    wait_until(lambda: engine.get(job_id).status == "succeeded")
    with engine.db.write_session() as s:
        from sqlalchemy import text

        s.execute(text("UPDATE jobs SET result = :r, updated_at = updated_at + 1 WHERE id = :id"),
                  {"r": json.dumps({"table": "styles", "id": ids[0]}), "id": job_id})
    view = window.findChild(QListView, "jobsView")
    wait_until(lambda: (r := panel_row(view, job_id)) is not None and "styles" in (r.result or ""))
    click_action(qtbot, view, job_id, "open")
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.currentIndex().isValid() and gallery.currentIndex().data(Qt.ItemDataRole.UserRole + 2) == ids[0])


def test_clear_finished_keeps_running_jobs(qtbot, window):
    engine = window.runtime.engine
    view = window.findChild(QListView, "jobsView")
    done = [engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1}) for _ in range(3)]
    running = engine.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 300})
    wait_until(lambda: all((r := panel_row(view, j)) is not None and r.status == "succeeded" for j in done))
    clear = window.findChild(QPushButton, "clearFinishedButton")
    assert clear.isEnabled()
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    wait_until(lambda: view.model().rowCount() == 1)
    assert panel_row(view, running) is not None
    assert not clear.isEnabled()


def test_jobs_survive_a_restart_of_the_window(qtbot, aloop, home):
    win = arun(qtbot, desktop_app.start(home))
    try:
        job_id = win.runtime.engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1, "fail_at_step": 1})
        wait_until(lambda: win.runtime.engine.get(job_id).status == "failed")
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)
    win = arun(qtbot, desktop_app.start(home))
    try:
        view = win.findChild(QListView, "jobsView")
        wait_until(lambda: panel_row(view, job_id) is not None)
        assert panel_row(view, job_id).error == "Diagnostics job failed at step 1, as asked."
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)


def test_quitting_with_a_running_job_leaves_no_row_running(qtbot, aloop, home):
    win = arun(qtbot, desktop_app.start(home))
    engine = win.runtime.engine
    job_id = engine.enqueue("diagnostics.sleep", {"seconds": 600, "steps": 6000})
    queued_id = engine.enqueue("diagnostics.sleep", {"seconds": 600, "steps": 6000})
    wait_until(lambda: engine.get(job_id).status == "running")
    # the job would take 600 s and the window did not start it: it goes back to the queue
    arun(qtbot, desktop_app.stop(win), timeout=60)
    rt = open_runtime(home, watch_external=False)
    try:
        rows = {r.id: r for r in rt.engine.list()}
        assert all(r.status != "running" for r in rows.values())
        assert (rows[job_id].status, rows[job_id].attempts) == ("queued", 0)
        assert "closed" in rows[job_id].message
        assert rows[queued_id].status == "queued"
    finally:
        rt.close()


def test_the_panel_fits_its_rows_and_never_takes_a_quarter_of_a_small_window_for_one_job(qtbot, window):
    """At 1024×640 one job makes the panel one row high (not a quarter of the window); more
    jobs grow it to at most a quarter, and its list scrolls."""
    window.resize(1024, 640)
    window.show()
    engine = window.runtime.engine
    panel = window.findChild(JobsPanel, "jobsPanel")
    view = panel.view
    first = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1})
    wait_until(lambda: panel_row(view, first) is not None)
    wait_until(lambda: panel.height() == panel.fitted_height(1))
    assert panel.height() < 640 // 5 and view.height() >= view.sizeHintForRow(0), "one whole row, no more"
    for _ in range(4):
        engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1})
    wait_until(lambda: view.model().rowCount() == 5)
    wait_until(lambda: panel.height() == window.height() // 4)
    assert view.verticalScrollBar().maximum() > 0, "the rows past the panel's height scroll"
    window.resize(1024, 1200)  # a taller window: up to three rows show whole
    wait_until(lambda: window.height() == 1200)
    assert panel.maximumHeight() == panel.fitted_height(3)
