"""The progress dialog (``jobProgressDialog``): follows one job row by id; the row decides.

- appears only if the job is still going after ``SHOW_DELAY`` and, once shown, stays at least
  ``MIN_VISIBLE`` (quick jobs never flash a dialog);
- live message, a bar (indeterminate while progress is null), elapsed time and, past 10 %, an
  estimate of the time left;
- Cancel asks once and says "Canceling..." until the row ends; Run in background hides it;
- success closes it (``succeeded`` carries the result); failure shows the error sentence, Retry
  (same id, same input), Details (that job's log lines) and Close; a row that disappears closes it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.jobs import registry
from desktop.jobs.engine import JobEngine
from desktop.jobs.model import CANCELED, FAILED, SUCCEEDED, JobRow
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.bridge import JobBridge
from desktop.ui.jobs_model import format_duration

log = logging.getLogger(__name__)

SHOW_DELAY = 0.5
MIN_VISIBLE = 0.5
ETA_AFTER = 0.10
ERROR_STYLE = "color: #c0392b;"


def describe_time(row: JobRow, now: float | None = None) -> str:
    """"Elapsed 0:12 · about 0:30 left" (the estimate once past 10 %)."""
    if row.status == "queued":
        return "Waiting for a free slot…"
    if row.started_at is None:
        return ""
    now = now or time.time()
    spent = max(0.0, (row.finished_at or now) - row.started_at)
    if row.status == FAILED:
        return f"Failed after {format_duration(spent)} · attempt {row.attempts} of {row.max_attempts}"
    text = f"Elapsed {format_duration(spent)}"
    p = row.progress
    if row.status == "running" and p is not None and ETA_AFTER < p < 1.0:
        left = spent * (1.0 - p) / p
        text += " · almost done" if left < 1.5 else f" · about {format_duration(left)} left"
    return text


def job_heading(row: JobRow | None, job_type: str | None) -> tuple[str, str]:
    kind = row.type if row is not None else (job_type or "")
    if kind == "style.generate":
        title = "Creating your style"
    else:
        title = registry.title(kind) if kind else "Working"
    subtitle = ""
    if row is not None:
        try:
            payload = row.payload_dict()
        except ValueError:
            payload = {}
        subtitle = str(payload.get("name") or payload.get("description") or "")
    return title, subtitle


class JobProgressDialog(QDialog):
    succeeded = Signal(int, object)  # job id, result dict (or None)
    ended = Signal(int, str)  # job id, final status, or "removed", or "background"

    def __init__(
        self,
        engine: JobEngine,
        bridge: JobBridge,
        job_id: int,
        *,
        log_file: Path | None = None,
        job_type: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgressDialog")
        self.engine = engine
        self.bridge = bridge
        self.job_id = job_id
        self.log_file = log_file
        self.job_type = job_type
        self.row: JobRow | None = None
        self.finished_status: str | None = None
        self.backgrounded = False
        self._canceling = False
        self._shown_at: float | None = None
        self._closing_timer: QTimer | None = None
        self._fetching = False
        self._fetch_again = False
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(460)
        self._build()

        bridge.rowChanged.connect(self._on_row)
        bridge.rowRemoved.connect(self._on_removed)
        bridge.rowsStale.connect(self.refetch)

        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._maybe_show)
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._update_time)

    # --- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        title, _ = job_heading(None, self.job_type)
        self.setWindowTitle(title)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(22, 20, 22, 16)
        lay.setSpacing(10)
        self.title = QLabel(title)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
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
        self.time = QLabel()
        self.time.setObjectName("jobTimeLabel")
        self.time.setStyleSheet("color: palette(placeholder-text);")
        self.error = QLabel()
        self.error.setObjectName("jobErrorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.details = QPlainTextEdit()
        self.details.setObjectName("jobDetailsText")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self.details.setFont(mono)
        self.details.setMinimumHeight(160)
        self.details.hide()

        for w in (self.title, self.subtitle, self.message, self.bar, self.error, self.time, self.details):
            lay.addWidget(w)
        lay.addSpacing(4)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.details_button = QPushButton("Details")
        self.details_button.setObjectName("jobDetailsButton")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._toggle_details)
        row.addWidget(self.details_button)
        row.addStretch(1)
        self.background_button = QPushButton("Run in background")
        self.background_button.setObjectName("jobBackgroundButton")
        self.background_button.clicked.connect(self.run_in_background)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("jobCancelButton")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setObjectName("jobRetryButton")
        self.retry_button.clicked.connect(self.retry_job)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("jobCloseButton")
        self.close_button.clicked.connect(self._close_failed)
        for b in (self.background_button, self.cancel_button, self.retry_button, self.close_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        lay.addLayout(row)
        self._set_failed_ui(False)

    def _set_failed_ui(self, failed: bool) -> None:
        self.error.setVisible(failed)
        self.retry_button.setVisible(failed)
        self.close_button.setVisible(failed)
        self.details_button.setVisible(failed)
        self.background_button.setVisible(not failed)
        self.cancel_button.setVisible(not failed)
        self.bar.setVisible(not failed)
        self.message.setVisible(not failed)
        if not failed:
            self.details_button.setChecked(False)
            self.details.hide()
        (self.retry_button if failed else self.cancel_button).setDefault(True)

    # --- following the row ----------------------------------------------------------------------
    def start(self) -> None:
        """Begin following: read the row now, show after the delay if it is still going."""
        self._show_timer.start(int(SHOW_DELAY * 1000))
        self.refetch()

    def refetch(self) -> None:
        if self.finished_status is not None:
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
        if job_id != self.job_id or self.finished_status in ("removed", "background"):
            return
        self.finished_status = "removed"
        self._stop_following()
        self.close_now()
        self.ended.emit(self.job_id, "removed")

    def apply(self, row: JobRow) -> None:
        if self.finished_status in ("removed", "background", "closed"):
            return
        if self.row is not None and row.updated_at < self.row.updated_at:
            return  # a late, older version
        self.row = row
        title, subtitle = job_heading(row, self.job_type)
        self.title.setText(title)
        self.setWindowTitle(title)
        if subtitle:
            self.subtitle.setText(self.subtitle.fontMetrics().elidedText(subtitle, Qt.TextElideMode.ElideRight, 420))
            self.subtitle.setToolTip(subtitle)
        self.subtitle.setVisible(bool(subtitle))

        if row.status == FAILED:
            self._show_failed(row)
            return
        if row.status in (SUCCEEDED, CANCELED):
            self._finish(row)
            return
        # queued or running
        self.finished_status = None
        self._set_failed_ui(False)
        self.message.setText(row.message or ("Waiting to start…" if row.status == "queued" else "Working…"))
        if row.progress is None:
            if self.bar.maximum() != 0:
                self.bar.setRange(0, 0)
        else:
            if self.bar.maximum() != 1000:
                self.bar.setRange(0, 1000)
            self.bar.setValue(round(max(0.0, min(1.0, row.progress)) * 1000))
        canceling = self._canceling or row.cancel_requested
        self.cancel_button.setEnabled(not canceling)
        self.cancel_button.setText("Canceling..." if canceling else "Cancel")
        self._update_time()

    def _finish(self, row: JobRow) -> None:
        if self.finished_status == row.status:
            return
        self.finished_status = row.status
        self._stop_following()
        if row.status == SUCCEEDED:
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

    def _show_failed(self, row: JobRow) -> None:
        first = self.finished_status != FAILED
        self.finished_status = FAILED
        self._canceling = False
        self._tick.stop()
        self._show_timer.stop()
        self.message.setText("Failed")
        self.error.setText(row.error or "The job failed; the details are in the log.")
        self._set_failed_ui(True)
        self.retry_button.setEnabled(True)
        self._update_time()
        if first:
            if not self.isVisible() and not self.backgrounded:
                self._show_now()
            self.ended.emit(self.job_id, FAILED)

    def _stop_following(self) -> None:
        self._show_timer.stop()
        self._tick.stop()

    def _update_time(self) -> None:
        if self.row is not None:
            self.time.setText(describe_time(self.row))

    # --- showing and closing -------------------------------------------------------------------
    def _maybe_show(self) -> None:
        if self.finished_status is None and not self.backgrounded:
            self._show_now()

    def _show_now(self) -> None:
        self._shown_at = time.monotonic()
        self.show()
        self.raise_()
        if self.finished_status is None:
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
        self.done(QDialog.DialogCode.Accepted if self.finished_status == SUCCEEDED else QDialog.DialogCode.Rejected)
        self.deleteLater()

    def _disconnect(self) -> None:
        for signal, slot in (
            (self.bridge.rowChanged, self._on_row),
            (self.bridge.rowRemoved, self._on_removed),
            (self.bridge.rowsStale, self.refetch),
        ):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    # --- buttons -------------------------------------------------------------------------------
    def cancel_job(self) -> None:
        if self._canceling or self.finished_status is not None:
            return
        self._canceling = True
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
        if self.finished_status is not None:
            return
        self.backgrounded = True
        self.finished_status = "background"
        self.close_now()
        self.ended.emit(self.job_id, "background")

    def retry_job(self) -> None:
        self.retry_button.setEnabled(False)
        spawn(self._retry(), name=f"retry-{self.job_id}")

    async def _retry(self) -> None:
        try:
            row = await run_blocking(self.engine.retry, self.job_id)
        except UserError as exc:
            self.error.setText(str(exc))
            self.retry_button.setEnabled(True)
            return
        self.finished_status = None
        self._canceling = False
        self.apply(row)
        if self.isVisible():
            self._tick.start()

    def _close_failed(self) -> None:
        self.finished_status = "closed"
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

        lines = await run_blocking(job_log_lines, self.log_file, self.job_id)
        self.details.setPlainText("\n".join(lines) if lines else "Nothing was logged for this job.")
        bar = self.details.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- Qt -------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button: a running job goes on in the background."""
        if self.finished_status is None:
            event.ignore()
            self.run_in_background()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            if self.finished_status is None:
                self.run_in_background()
            else:
                self._close_failed()
            return
        super().keyPressEvent(event)
