"""The jobs panel and the shared queue: Pause queue / Resume queue (``queuePauseAction``), a
pause made by another process, Move to front, and the machine a running job runs on."""

from __future__ import annotations

import socket
import time

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QListView

from desktop.jobs.queue import ALL
from desktop.ui.jobs_model import JobHostRole, JobQueueRole
from desktop.ui.jobs_panel import JobsPanel
from tests.helpers import cli
from tests.pg import RawSQL
from tests.ui.conftest import wait_until
from tests.ui.test_jobs_panel import panel_row

SLEEP = "diagnostics.sleep"


def parts(window) -> tuple[JobsPanel, QListView, QAction]:
    panel = window.findChild(QDockWidget, "jobsPanel")
    view = panel.findChild(QListView, "jobsView")
    action = panel.findChild(QAction, "queuePauseAction")
    assert isinstance(panel, JobsPanel) and action is not None
    return panel, view, action


def role(view: QListView, job_id: int, which: int):
    index = view.model().index_of(job_id)
    return index.data(which) if index.isValid() else None


def test_the_pause_action_holds_new_jobs_until_the_queue_is_resumed(qtbot, database_url, window):
    engine = window.runtime.engine
    panel, view, action = parts(window)
    assert action.isEnabled() and not action.isChecked() and action.text() == "Pause queue"

    action.trigger()
    wait_until(lambda: ALL in engine.paused())
    wait_until(lambda: action.isChecked() and action.text() == "Resume queue")
    job = engine.enqueue(SLEEP, {"seconds": 0, "steps": 1})
    wait_until(lambda: (r := panel_row(view, job)) is not None and r.message == "Paused")
    assert role(view, job, JobQueueRole) == "Paused"
    wait_until(lambda: panel.summary.text() == "Queue paused · 1 running or waiting")
    assert engine.get(job).status == "queued"

    action.trigger()
    wait_until(lambda: engine.paused() == {} and not action.isChecked() and action.text() == "Pause queue")
    wait_until(lambda: (r := panel_row(view, job)) is not None and r.status == "succeeded")
    wait_until(lambda: panel.summary.text() == "Nothing running")


def test_a_pause_made_by_another_process_shows_in_the_panel(qtbot, database_url, window, home):
    panel, _view, action = parts(window)
    result = cli("queue", "pause", SLEEP, home=home)
    assert result.returncode == 0, result.stderr
    wait_until(lambda: action.isChecked() and action.text() == "Resume queue", timeout=30)
    assert panel.summary.text().startswith("Paused: Diagnostics: sleep")
    result = cli("queue", "resume", home=home)
    assert result.returncode == 0, result.stderr
    wait_until(lambda: not action.isChecked() and action.text() == "Pause queue", timeout=30)


def test_waiting_rows_show_their_place_and_move_to_front_changes_it(qtbot, window):
    engine = window.runtime.engine
    _panel, view, _action = parts(window)
    slots = window.runtime.settings.max_parallel
    blockers = [engine.enqueue(SLEEP, {"seconds": 60, "steps": 600}) for _ in range(slots)]
    wait_until(lambda: all(engine.get(j).status == "running" for j in blockers), timeout=30)
    ids = [engine.enqueue(SLEEP, {"seconds": 0, "steps": n + 1}) for n in range(3)]
    wait_until(lambda: [role(view, j, JobQueueRole) for j in ids] == ["Next", "2nd in line", "3rd in line"])

    menu = window.jobs_panel.context_menu(panel_row(view, ids[2]))
    (front,) = [a for a in menu.actions() if a.objectName() == "jobFrontAction"]
    assert front.text() == "Move to front" and front.isEnabled()
    assert [a.objectName() for a in menu.actions()] == ["jobFrontAction", "jobCancelAction"]
    front.trigger()
    menu.close()
    wait_until(lambda: [role(view, j, JobQueueRole) for j in ids] == ["2nd in line", "3rd in line", "Next"])
    assert engine.queue_order() == [ids[2], ids[0], ids[1]]
    # a running row offers no Move to front
    running_menu = window.jobs_panel.context_menu(panel_row(view, blockers[0]))
    assert "jobFrontAction" not in [a.objectName() for a in running_menu.actions()]
    running_menu.close()

    for job in blockers:
        engine.cancel(job)
    wait_until(lambda: all(engine.get(j).status == "succeeded" for j in ids), timeout=30)
    started = sorted(ids, key=lambda j: engine.get(j).started_at)
    assert started[0] == ids[2]


def test_a_running_job_shows_the_machine_that_runs_it(qtbot, database_url, window):
    engine = window.runtime.engine
    _panel, view, _action = parts(window)
    mine = engine.enqueue(SLEEP, {"seconds": 30, "steps": 300})
    wait_until(lambda: (r := panel_row(view, mine)) is not None and r.status == "running")
    assert role(view, mine, JobHostRole) == socket.gethostname()
    tip = view.model().index_of(mine).data(3)  # ToolTipRole
    assert tip.endswith(f"(on {socket.gethostname()})")
    engine.cancel(mine)

    # a job another machine runs (its row as that machine's worker wrote it)
    engine.pause()
    theirs = engine.enqueue(SLEEP, {"seconds": 0, "steps": 1})
    sql = RawSQL(engine.db)
    try:
        now = time.time()
        sql.execute(
            "UPDATE jobs SET status = 'running', owner = ?, lease_until = ?, started_at = ?, updated_at = ?,"
            " attempts = 1, message = 'Rendering preview 1 of 4' WHERE id = ?",
            ("render-box-2:4242:abcd1234", now + 3600, now, now + 1, theirs),
        )
        if engine.db.is_sqlite:
            sql.conn.commit()
    finally:
        sql.close()
    wait_until(lambda: role(view, theirs, JobHostRole) == "render-box-2", timeout=30)
    index = view.model().index_of(theirs)
    assert "on render-box-2" in index.data(3)
    engine.resume()
