"""The notice above the gallery ("Exported… · Show in folder") goes when its time is over, and
as soon as new work starts in the window, so it never stands above a later job (issue 21 §5)."""

from __future__ import annotations

from desktop.ui import notifications
from desktop.ui.notifications import NoticeBar
from tests.ui.conftest import wait_until


def test_a_notice_goes_by_itself(qtbot, monkeypatch):
    monkeypatch.setattr(notifications, "NOTICE_SECONDS", 0.2)
    bar = NoticeBar()
    qtbot.addWidget(bar)
    bar.show_notice("Style pack saved as looks.stylepack", "Show in folder", lambda: None)
    assert bar.isVisible()
    wait_until(lambda: not bar.isVisible())


def test_new_work_in_the_window_clears_an_earlier_notice(qtbot, window):
    window.notice_bar.show_notice("Style pack saved as looks.stylepack in /tmp", "Show in folder", lambda: None)
    assert window.notice_bar.isVisible()
    job_id = window.runtime.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    window.following.follow_job(job_id, "diagnostics.sleep")
    assert not window.notice_bar.isVisible()
