"""Following jobs from the window: a progress dialog (``jobProgressDialog``) per job a person
started or followed here, and what happens once a job ends.

Every ending arrives through ``JobsModel.jobEnded`` (``job_ended``: any job this window saw
running, started in any process); the job's entry in ``job_kinds`` says what the gallery takes
in and which notice is offered; any other ending the person did not watch is a desktop note.
A followed dialog's success (``succeeded``) only shows the result (its kind's ``followed``)."""

from __future__ import annotations

from typing import Any

from desktop.jobs import registry
from desktop.jobs.model import FAILED, SUCCEEDED, JobRow
from desktop.ui.job_kinds import job_subject, kind_of
from desktop.ui.progress_dialog import JobProgressDialog


class JobFollowing:
    """The window's progress dialogs and its follow-up of ended jobs."""

    def __init__(self, window: Any) -> None:  # the MainWindow
        self.window = window
        self.progress_dialogs: dict[int, JobProgressDialog] = {}
        self._job_types: dict[int, str | None] = {}  # jobs followed with a progress dialog
        self._started_here: set[int] = set()  # jobs a person started (or followed) in this window
        self._noticed: set[int] = set()  # jobs whose "Open folder" notice was offered

    def follow_job(self, job_id: int, job_type: str | None = None) -> JobProgressDialog | None:
        window = self.window
        if window.runtime is None or window.jobs_model is None:
            return None
        self._started_here.add(job_id)
        self._job_types[job_id] = job_type
        existing = self.progress_dialogs.get(job_id)
        if existing is not None:
            return existing
        window.notice_bar.hide()  # new work: the notice of earlier work has had its time
        items = kind_of(job_type).items
        dialog = JobProgressDialog(
            window.runtime.engine,
            window.jobs_model,
            job_id,
            log_file=window.runtime.paths.log_file,
            job_type=job_type,
            items=items(window.runtime) if items is not None else None,
            parent=window,
        )
        dialog.succeeded.connect(self._job_succeeded)
        dialog.folderRequested.connect(self._open_output_folder)
        dialog.ended.connect(self._dialog_ended)
        dialog.finished.connect(lambda _r, job_id=job_id: self._dialog_closed(job_id))
        self.progress_dialogs[job_id] = dialog
        dialog.start()
        return dialog

    def _open_output_folder(self, job_id: int) -> None:
        """A batch's Open folder: its output folder as this machine reaches it."""
        dialog = self.progress_dialogs.get(job_id)
        result = dialog.row.result_dict() if dialog is not None and dialog.row is not None and dialog.row.result else None
        if isinstance(result, dict) and result.get("out"):
            self.window.open_folder(self.window.local_folder(str(result["out"])))

    def started_here(self, job_id: int) -> bool:
        """A person started (or followed) this job in this window."""
        return job_id in self._started_here

    def started_ids(self) -> set[int]:
        """The jobs a person started (or followed) in this window: *Cancel my work* cancels these."""
        return set(self._started_here)

    def first_notice(self, job_id: int) -> bool:
        """True the first time a notice of this job's outcome is to be offered (once per job)."""
        if job_id in self._noticed:
            return False
        self._noticed.add(job_id)
        return True

    def _job_succeeded(self, job_id: int, result: Any) -> None:
        # the gallery takes the new style in once, on the jobs model's jobEnded (job_ended);
        # here the followed job's result is only shown
        job_type = self._job_types.get(job_id)
        jobs = self.window.jobs_model
        if job_type is None and jobs is not None and (row := jobs.find(job_id)) is not None:
            job_type = row.type
        kind_of(job_type).followed(self.window, job_id, result)

    def _dialog_ended(self, job_id: int, status: str) -> None:
        window = self.window
        if status == "removed":
            window.refresh_gallery()
        elif status == "background":
            window.jobs_panel.show()
            window.show_status("The job goes on in the background; see Jobs.")

    def _dialog_closed(self, job_id: int) -> None:
        self.progress_dialogs.pop(job_id, None)
        self._job_types.pop(job_id, None)

    def job_ended(self, row: JobRow) -> None:
        """A job the jobs list saw running has ended (any process): its kind says what follows."""
        window = self.window
        kind = kind_of(row.type)
        result = row.result_dict() if row.result else None
        if row.status == SUCCEEDED and result:
            kind.succeeded(window, result)
        if kind.ended is not None:
            kind.ended(window, row)
        dialog = self.progress_dialogs.get(row.id)
        followed = dialog is not None and not dialog.backgrounded and dialog.isVisible()
        if row.status == SUCCEEDED and not followed and isinstance(result, dict) and kind.noticed is not None:
            if kind.noticed(window, row, result):
                return
        if followed or window.isActiveWindow() or row.status not in (SUCCEEDED, FAILED):
            return
        if kind.internal and row.id not in self._started_here:
            return  # a diagnostics job from the command line or a test: not news for a person
        title = registry.title(row.type)
        subject = job_subject(row)
        if row.status == SUCCEEDED:
            window.notifier.notify(f"{title} finished", subject or row.message or "Done")
        else:
            error = row.error or "See the jobs panel."
            window.notifier.notify(f"{title} failed", f"{subject}: {error}" if subject else error, error=True)

    def close_all(self) -> None:
        """The window is closing: every progress dialog closes now."""
        for dialog in list(self.progress_dialogs.values()):
            dialog.finished_status = dialog.finished_status or "closed"
            dialog.close_now()
        self.progress_dialogs.clear()
