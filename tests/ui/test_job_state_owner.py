"""One owner of a job's state in the window: the progress dialog follows the jobs model by id,
and a new style reaches the gallery once, on the jobs model's jobEnded."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QLabel

from desktop.pipelines.generate.request import enqueue_style
from tests.ui.conftest import wait_until


def test_the_progress_dialog_shows_what_the_jobs_model_holds(qtbot, window):
    engine = window.runtime.engine
    job_id = engine.enqueue("diagnostics.sleep", {"seconds": 60, "steps": 600})
    dialog = window.following.follow_job(job_id)
    label = dialog.findChild(QLabel, "jobMessageLabel")
    wait_until(lambda: "Sleeping, step" in label.text())
    # a newer version of the row reaching the jobs model is what the dialog shows
    row = window.jobs_model.find(job_id)
    window.jobs_model.apply_row(replace(row, message="Told by the jobs model", updated_at=row.updated_at + 0.001))
    assert label.text() == "Told by the jobs model"
    engine.cancel(job_id)
    wait_until(lambda: dialog.finished_status is not None)


def test_a_new_style_reaches_the_gallery_once(qtbot, window, monkeypatch):
    taken: list[int] = []
    take_new = window.styles_model.take_new
    monkeypatch.setattr(window.styles_model, "take_new", lambda style_id: (taken.append(style_id), take_new(style_id))[1])
    job_id = enqueue_style(window.runtime, "warm film grain", backend="local", previews=1, size=128)
    dialog = window.following.follow_job(job_id)
    wait_until(lambda: dialog.finished_status == "succeeded")
    style_id = window.runtime.engine.get(job_id).result_dict()["id"]
    wait_until(lambda: window.selected_style_id() == style_id)  # shown, selected in the gallery
    wait_until(lambda: window.jobs_model.find(job_id).status == "succeeded")
    assert taken == [style_id]
