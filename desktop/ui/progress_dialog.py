"""The progress dialog (``jobProgressDialog``): follows one job row by id; the row decides.

- appears only if the job is still going after ``SHOW_DELAY`` and, once shown, stays at least
  ``MIN_VISIBLE`` (quick jobs never flash a dialog);
- live message, a bar (indeterminate while progress is null), elapsed time and, past 10 %, an
  estimate of the time left;
- Cancel asks once and says "Canceling..." until the row ends; Run in background hides it;
- success closes it (``succeeded`` carries the result); failure shows the error sentence, Retry
  (same id, same input), Details (that job's log lines) and Close; a row that disappears closes it.

A batch (a job with items: applying a style to photos) shows more when the dialog is given a way to read
its items (``items``): the latest finished output as a thumbnail (``jobPreviewImage``), read
and decoded off the GUI thread as the row changes (at most every ``ITEMS_INTERVAL``); and when
some items failed, "118 done, 2 failed", the failed files with their reasons
(``jobFailedItemsList``) and *Retry failed* (``jobRetryFailedButton``: the job is retried and
only its failed items run again), while the dialog keeps following it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QImage, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.jobs import registry
from desktop.jobs.engine import JobEngine
from desktop.jobs.model import JobRow, JobStatus
from desktop.jobs.store import PAUSED_MESSAGE
from desktop.text import shown_path
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.buttons import push_button
from desktop.ui.job_kinds import dialog_heading, done_with_problems
from desktop.ui.job_previews import latest_output, preview_caption
from desktop.ui.jobs_model import JobsModel
from desktop.ui.progress_state import DialogState
from desktop.ui.progress_text import describe_time, readable_log
from desktop.ui.thumbnails import decode_fitted
from desktop.ui.tones import Tone, ToneLabel, error_label
from desktop.ui.window_fit import fit_height

SHOW_DELAY = 0.5
MIN_VISIBLE = 0.5
ITEMS_INTERVAL = 0.3  # seconds between two reads of a batch's items
PREVIEW_SIZE = QSize(320, 200)  # the latest output's thumbnail fits in this


class JobProgressDialog(QDialog):
    succeeded = Signal(int, object)  # job id, result dict (or None)
    ended = Signal(int, str)  # job id, final status, or "removed", or "background"
    previewShown = Signal(str)  # a batch's latest output, now shown as the thumbnail
    folderRequested = Signal(int)  # job id: Open folder, for a batch done with some photos failed

    def __init__(
        self,
        engine: JobEngine,
        jobs: JobsModel,
        job_id: int,
        *,
        log_file: Path | None = None,
        job_type: str | None = None,
        items: Callable[[int], list[Any]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgressDialog")
        self.engine = engine
        self.jobs = jobs  # the window's one owner of job state: this dialog follows it by id
        self.job_id = job_id
        self.log_file = log_file
        self.job_type = job_type
        self.row: JobRow | None = None
        self.state = DialogState.FOLLOWING
        self._shown_at: float | None = None
        self._closing_timer: QTimer | None = None
        self._fetching = False
        self._fetch_again = False
        self._items = items  # reads a batch's items (blocking; run on a worker thread)
        self._items_busy = False
        self._items_again = False
        self.preview_path: str | None = None
        self.failed_items: list[Any] = []
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(460)
        self._build()

        jobs.jobChanged.connect(self._on_row)
        jobs.jobRemoved.connect(self._on_removed)

        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._maybe_show)
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._update_time)
        self._items_timer = QTimer(self)
        self._items_timer.setSingleShot(True)
        self._items_timer.setInterval(int(ITEMS_INTERVAL * 1000))
        self._items_timer.timeout.connect(self._items_due)

    # --- state ---------------------------------------------------------------------------------
    @property
    def finished_status(self) -> str | None:
        """None while following the job, else how the dialog ended (a DialogState, which
        compares equal to its string: "failed", "succeeded", "background", ...)."""
        return None if self.state.following else self.state

    @finished_status.setter
    def finished_status(self, value: str | None) -> None:
        self.state = DialogState(value) if value else DialogState.FOLLOWING

    @property
    def backgrounded(self) -> bool:
        return self.state is DialogState.BACKGROUND

    # --- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        title, _ = dialog_heading(None, self.job_type)
        self.setWindowTitle(title)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(22, 20, 22, 16)
        lay.setSpacing(10)
        self.title = QLabel(title)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = ToneLabel(tone=Tone.DIM)
        self.subtitle.setObjectName("jobSubtitleLabel")
        self.subtitle.hide()
        self.message = QLabel("Starting…")
        self.message.setObjectName("jobMessageLabel")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(self.message.fontMetrics().height() * 2)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.bar = QProgressBar()
        self.bar.setObjectName("jobProgressBar")
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setMinimumHeight(10)
        self.bar.setAccessibleName("Progress")
        self.time = ToneLabel(tone=Tone.DIM)
        self.time.setObjectName("jobTimeLabel")
        self.error = error_label("jobErrorLabel")
        self.details = QPlainTextEdit()
        self.details.setObjectName("jobDetailsText")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self.details.setFont(mono)
        self.details.setMinimumHeight(160)
        self.details.setAccessibleName("Log lines of this job")
        self.details.hide()

        self.preview = QLabel()
        self.preview.setObjectName("jobPreviewImage")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedHeight(PREVIEW_SIZE.height())
        self.preview.setMinimumWidth(PREVIEW_SIZE.width())
        self.preview.setAccessibleName("The latest styled photo")
        self.preview.hide()
        self.preview_caption = ToneLabel(tone=Tone.DIM)
        self.preview_caption.setObjectName("jobPreviewCaption")
        self.preview_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_caption.hide()
        self.failed_list = QListWidget()
        self.failed_list.setObjectName("jobFailedItemsList")
        self.failed_list.setAccessibleName("Photos that could not be styled, with the reason")
        self.failed_list.setWordWrap(True)
        self.failed_list.setAlternatingRowColors(True)
        self.failed_list.setSpacing(2)
        self.failed_list.setMinimumHeight(90)
        self.failed_list.setMaximumHeight(180)
        self.failed_list.hide()

        for w in (
            self.title, self.subtitle, self.message, self.bar, self.preview, self.preview_caption,
            self.error, self.failed_list, self.time, self.details,
        ):
            lay.addWidget(w)
        lay.addSpacing(4)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.details_button = QPushButton("Details")
        self.details_button.setObjectName("jobDetailsButton")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Show or hide what was logged for this job")
        self.details_button.toggled.connect(self._toggle_details)
        row.addWidget(self.details_button)
        row.addStretch(1)
        self.background_button = push_button(
            "Run in background", "jobBackgroundButton", "Close this window; the job goes on and stays in the Jobs panel", self.run_in_background
        )
        self.cancel_button = push_button("Cancel", "jobCancelButton", "Stop this job; nothing half-made is kept", self.cancel_job)
        self.resume_button = push_button("Resume queue", "jobResumeQueueButton", "Let waiting jobs start again, on every machine", self.resume_queue)
        self.resume_button.hide()
        self.retry_button = push_button("Retry", "jobRetryButton", "Run the same job again with the same input", self.retry_job)
        self.retry_failed_button = push_button(
            "Retry failed", "jobRetryFailedButton", "Try the photos that failed again; the finished ones are kept", self.retry_job
        )
        self.close_button = push_button("Close", "jobCloseButton", "Close this window; the job stays in the Jobs panel", self._close_failed)
        self.open_folder_button = push_button(
            "Open folder", "jobOpenFolderButton", "Show the styled photos in the file manager", lambda: self.folderRequested.emit(self.job_id)
        )
        self.open_folder_button.hide()
        for b in (self.resume_button, self.background_button, self.cancel_button, self.open_folder_button, self.retry_failed_button, self.retry_button, self.close_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        lay.addLayout(row)
        self._set_failed_ui(False)

    def _set_failed_ui(self, failed: bool, *, partial: bool = False) -> None:
        """``partial``: a batch with some items failed (the list and Retry failed)."""
        self.error.setVisible(failed)
        self.retry_button.setVisible(failed and not partial)
        self.retry_failed_button.setVisible(failed and partial)
        self.failed_list.setVisible(failed and partial)
        self.preview.setVisible(not failed and self.preview_path is not None)
        self.preview_caption.setVisible(not failed and self.preview_path is not None)
        self.close_button.setVisible(failed)
        self.details_button.setVisible(failed)
        self.background_button.setVisible(not failed)
        self.cancel_button.setVisible(not failed)
        self.bar.setVisible(not failed)
        self.message.setVisible(not failed)
        if not failed:
            self.details_button.setChecked(False)
            self.details.hide()
        (self.retry_failed_button if partial else self.retry_button if failed else self.cancel_button).setDefault(True)

    # --- following the row ----------------------------------------------------------------------
    def start(self) -> None:
        """Begin following: read the row now, show after the delay if it is still going."""
        self._show_timer.start(int(SHOW_DELAY * 1000))
        self.refetch()

    def refetch(self) -> None:
        if not self.state.following:
            return
        if self._fetching:
            self._fetch_again = True
            return
        self._fetching = True
        spawn(self._fetch(), name=f"progress-fetch-{self.job_id}")

    async def _fetch(self) -> None:
        try:
            while True:
                self._fetch_again = False
                row = await run_blocking(self.engine.get, self.job_id)
                if row is None:
                    self._on_removed(self.job_id)
                    return
                self.apply(row)
                if not self._fetch_again:
                    return
        finally:
            self._fetching = False

    def _on_row(self, row: JobRow) -> None:
        if row.id == self.job_id:
            self.apply(row)

    def _on_removed(self, job_id: int) -> None:
        if job_id != self.job_id or self.state.gone:
            return
        self.state = DialogState.REMOVED
        self._stop_following()
        self.close_now()
        self.ended.emit(self.job_id, "removed")

    def apply(self, row: JobRow) -> None:
        if self.state.gone:
            return
        if self.row is not None and row.updated_at < self.row.updated_at:
            return  # a late, older version
        self.row = row
        title, subtitle = dialog_heading(row, self.job_type)
        self.title.setText(title)
        self.setWindowTitle(title)
        if subtitle:
            self.subtitle.setText(self.subtitle.fontMetrics().elidedText(subtitle, Qt.TextElideMode.ElideRight, 420))
            self.subtitle.setToolTip(subtitle)
        self.subtitle.setVisible(bool(subtitle))

        if row.status == JobStatus.FAILED or self._with_problems(row):
            self._show_failed(row)
            return
        if row.status in (JobStatus.SUCCEEDED, JobStatus.CANCELED):
            self._finish(row)
            return
        # queued or running
        if row.cancel_requested or self.state is DialogState.CANCELING:
            self.state = DialogState.CANCELING
        else:
            self.state = DialogState.FOLLOWING
        self._set_failed_ui(False)
        self.message.setText(row.message or ("Waiting to start…" if row.status == JobStatus.QUEUED else "Working…"))
        if row.progress is None:
            if self.bar.maximum() != 0:
                self.bar.setRange(0, 0)
        else:
            if self.bar.maximum() != 1000:
                self.bar.setRange(0, 1000)
            self.bar.setValue(round(max(0.0, min(1.0, row.progress)) * 1000))
        paused = row.status == JobStatus.QUEUED and row.message == PAUSED_MESSAGE
        if paused:  # nothing moves until it is resumed: no busy bar
            self.message.setText("The queue is paused: this job starts when it is resumed.")
            self.bar.setRange(0, 1000)
            self.bar.setValue(0)
        self.resume_button.setVisible(paused)
        canceling = self.state is DialogState.CANCELING
        self.cancel_button.setEnabled(not canceling)
        self.cancel_button.setText("Canceling..." if canceling else "Cancel")
        self._update_time()
        if row.status == JobStatus.RUNNING:
            self._want_items()

    def _finish(self, row: JobRow) -> None:
        ended = DialogState.SUCCEEDED if row.status == JobStatus.SUCCEEDED else DialogState.CANCELED
        if self.state is ended:
            return
        self.state = ended
        self._stop_following()
        if row.status == JobStatus.SUCCEEDED:
            self.message.setText(row.message or "Done")
            self.bar.setRange(0, 1000)
            self.bar.setValue(1000)
            self.succeeded.emit(self.job_id, row.result_dict())
        else:
            self.message.setText(row.message or "Canceled")
        self.cancel_button.setEnabled(False)
        self.background_button.setEnabled(False)
        self._update_time()
        self._close_after_min_visible()
        self.ended.emit(self.job_id, row.status)

    def _with_problems(self, row: JobRow) -> bool:
        """A batch that succeeded with some photos failed: shown like a failure, with the
        failed photos, Retry failed and Open folder, under a heading that says it is done."""
        return self._items is not None and done_with_problems(row)

    def _show_failed(self, row: JobRow) -> None:
        succeeded = row.status == JobStatus.SUCCEEDED
        ended = DialogState.SUCCEEDED if succeeded else DialogState.FAILED
        first = self.state is not ended
        self.state = ended
        self._tick.stop()
        self._show_timer.stop()
        self._items_timer.stop()
        self.message.setText("Failed")
        result = row.result_dict() if row.result else None
        partial = self._items is not None and isinstance(result, dict) and int(result.get("failed") or 0) > 0
        self.error.set_tone(Tone.NORMAL if succeeded else Tone.ERROR)
        self.open_folder_button.setVisible(partial and bool(result and result.get("done")))
        if partial:
            assert isinstance(result, dict)
            done, failed = int(result.get("done") or 0), int(result.get("failed") or 0)
            out = str(result.get("out") or "")
            shown = out if os.path.isabs(out) else f"{out} in the library folder"
            where = f"; the styled photos are in {shown}" if done and out else ""
            self.error.setText(f"{row.message}{where}." if succeeded else f"{done} done, {failed} failed{where}.")
            self.error.setToolTip(str(result.get("problems") or "") if succeeded else row.error or "")
            if first:
                spawn(self._load_failed_items(), name=f"failed-items-{self.job_id}")
        else:
            self.error.setText(row.error or "The job failed; the details are in the log.")
        self._set_failed_ui(True, partial=partial)
        self.retry_button.setEnabled(True)
        self.retry_failed_button.setEnabled(True)
        self._update_time()
        fit_height(self)
        if first:
            if not self.isVisible():
                self._show_now()
            if succeeded:
                self.succeeded.emit(self.job_id, result)
            self.ended.emit(self.job_id, row.status)

    def _stop_following(self) -> None:
        self._show_timer.stop()
        self._tick.stop()
        self._items_timer.stop()

    # --- a batch's items ------------------------------------------------------------------------
    def _want_items(self) -> None:
        """Read the items soon (throttled: one read at a time, ``ITEMS_INTERVAL`` apart)."""
        if self._items is None:
            return
        if self._items_busy or self._items_timer.isActive():
            self._items_again = True
            return
        self._items_busy = True
        spawn(self._load_items(), name=f"items-{self.job_id}")

    def _items_due(self) -> None:
        if self._items_again and self.state.following:
            self._items_again = False
            self._want_items()

    async def _load_items(self) -> None:
        assert self._items is not None
        try:
            items = await run_blocking(self._items, self.job_id)
            path = latest_output(items)
            if path is not None and path != self.preview_path and self.state.following:
                image = await run_blocking(decode_fitted, path, PREVIEW_SIZE)
                if not image.isNull() and self.state.following:
                    self._show_preview(path, image)
        finally:
            self._items_busy = False
            if self.state.following:
                self._items_timer.start()

    def _show_preview(self, path: str, image: QImage) -> None:
        first = self.preview_path is None
        self.preview_path = path
        self.preview.setPixmap(QPixmap.fromImage(image))
        caption = preview_caption(path)
        self.preview.setToolTip(caption if caption.startswith("Preview") else shown_path(path))
        self.preview_caption.setText(self.preview_caption.fontMetrics().elidedText(caption, Qt.TextElideMode.ElideMiddle, 420))
        self.preview.show()
        self.preview_caption.show()
        if first:
            fit_height(self)
        self.previewShown.emit(path)

    async def _load_failed_items(self) -> None:
        assert self._items is not None
        items = await run_blocking(self._items, self.job_id)
        self.failed_items = [i for i in items if i.status == "failed"]
        self.failed_list.clear()
        for item in self.failed_items:
            self.failed_list.addItem(f"{shown_path(Path(item.input).name)}: {item.error or 'could not be styled.'}")
            self.failed_list.item(self.failed_list.count() - 1).setToolTip(shown_path(item.input))
        fit_height(self)

    def _update_time(self) -> None:
        if self.row is not None:
            self.time.setText(describe_time(self.row))

    # --- showing and closing -------------------------------------------------------------------
    def _maybe_show(self) -> None:
        if self.state.following:
            self._show_now()

    def _show_now(self) -> None:
        self._shown_at = time.monotonic()
        self.show()
        self.raise_()
        if self.state.following:
            self._tick.start()

    def _close_after_min_visible(self) -> None:
        if not self.isVisible() or self._shown_at is None:
            self.close_now()
            return
        wait = max(0.0, MIN_VISIBLE - (time.monotonic() - self._shown_at))
        self._closing_timer = QTimer(self)
        self._closing_timer.setSingleShot(True)
        self._closing_timer.timeout.connect(self.close_now)
        self._closing_timer.start(int(wait * 1000))

    def close_now(self) -> None:
        self._stop_following()
        self._disconnect()
        self.hide()
        self.done(QDialog.DialogCode.Accepted if self.state is DialogState.SUCCEEDED else QDialog.DialogCode.Rejected)
        self.deleteLater()

    def _disconnect(self) -> None:
        for signal, slot in (
            (self.jobs.jobChanged, self._on_row),
            (self.jobs.jobRemoved, self._on_removed),
        ):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    # --- buttons -------------------------------------------------------------------------------
    def cancel_job(self) -> None:
        if self.state is not DialogState.FOLLOWING:
            return
        self.state = DialogState.CANCELING
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Canceling...")
        spawn(self._cancel(), name=f"cancel-{self.job_id}")

    async def _cancel(self) -> None:
        try:
            row = await run_blocking(self.engine.cancel, self.job_id)
        except UserError:  # it ended meanwhile: the row will say how
            self.refetch()
            return
        self.apply(row)

    def run_in_background(self) -> None:
        if not self.state.following:
            return
        self.state = DialogState.BACKGROUND
        self.close_now()
        self.ended.emit(self.job_id, "background")

    def resume_queue(self) -> None:
        """The queue was paused (here or on another machine): lift what keeps this job waiting;
        the row's change then shows it starting."""
        job_type, engine = (self.row.type if self.row is not None else None), self.engine
        self.resume_button.hide()
        spawn(run_blocking(lambda: engine.resume(None if "*" in engine.paused() else job_type)), name=f"resume-{self.job_id}")

    def retry_job(self) -> None:
        self.retry_button.setEnabled(False)
        self.retry_failed_button.setEnabled(False)
        spawn(self._retry(), name=f"retry-{self.job_id}")

    async def _retry(self) -> None:
        try:
            row = await run_blocking(self.engine.retry, self.job_id)
        except UserError as exc:
            self.error.setText(str(exc))
            self.retry_button.setEnabled(True)
            self.retry_failed_button.setEnabled(True)
            return
        self.state = DialogState.FOLLOWING
        self.failed_items = []
        self.failed_list.clear()
        self.open_folder_button.hide()
        self.apply(row)
        fit_height(self)
        if self.isVisible():
            self._tick.start()

    def _close_failed(self) -> None:
        self.state = DialogState.CLOSED
        self.close_now()

    def _toggle_details(self, on: bool) -> None:
        self.details.setVisible(on)
        if on:
            spawn(self._load_details(), name=f"details-{self.job_id}")
        self.adjustSize()

    async def _load_details(self) -> None:
        if self.log_file is None:
            self.details.setPlainText("No log file.")
            return
        from desktop.logs import job_log_lines

        lines = readable_log(await run_blocking(job_log_lines, self.log_file, self.job_id), registry.title)
        self.details.setPlainText("\n".join(lines) if lines else "Nothing was logged for this job.")
        bar = self.details.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- Qt -------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button: a running job goes on in the background."""
        if self.state.following:
            event.ignore()
            self.run_in_background()
            return
        super().closeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            fit_height(self)  # narrower: the wrapped message or error needs more lines

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            if self.state.following:
                self.run_in_background()
            else:
                self._close_failed()
            return
        super().keyPressEvent(event)
