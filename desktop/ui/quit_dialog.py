"""Quitting with work running (``quitWithWorkDialog``): asked once, like an editor with unsaved
work, and only when the window runs or started a job that has not ended.

- *Finish in the background*: the window closes; its work goes back to the queue and a headless
  worker (``desktop.app.start_background_worker``) runs the queue until it is empty.
- *Pause and quit*: the window closes; unfinished work waits in the queue and resumes at the
  next start or on any worker (photos done stay done).
- *Cancel my work and quit*: the jobs started in this window are canceled; work it ran for
  others (the command line, another window or machine) goes back to the queue.
- *Don't quit* (Escape): nothing happens.

Whatever is chosen, work the window did not start is never canceled (``desktop.app.stop``).
``QuitKeys`` makes the quit key (Ctrl+Q) work from every dialog, modal ones included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCommandLinkButton,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from desktop.jobs.items import held_by
from desktop.jobs.model import JobRow
from desktop.ui.async_utils import open_and_wait, run_blocking, spawn
from desktop.ui.jobs_model import job_summary

if TYPE_CHECKING:
    from desktop.jobs.engine import JobEngine

log = logging.getLogger(__name__)

MAX_LISTED = 5  # jobs named in the dialog; more are counted


class QuitChoice(StrEnum):
    BACKGROUND = "background"  # Finish in the background
    PAUSE = "pause"  # Pause and quit (also what closing with nothing running does)
    CANCEL_MINE = "cancel-mine"  # Cancel my work and quit


@dataclass
class QuitWork:
    """What quitting would leave: the active jobs started in this window (``mine``) and the
    ones its pool runs for others (``others``)."""

    mine: list[JobRow] = field(default_factory=list)
    others: list[JobRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.mine and not self.others


def work_on_quit(engine: JobEngine, started_here: set[int]) -> QuitWork:
    """Blocking: the unfinished jobs started in this window, and the ones this window's pool
    leads or helps with (their rows, as read now)."""
    helping = {job_id for job_id, _position in held_by(engine.owner)}
    work = QuitWork()
    for row in engine.list(include_finished=False, limit=1000):
        if row.id in started_here:
            work.mine.append(row)
        elif (row.status == "running" and row.owner == engine.owner) or row.id in helping:
            work.others.append(row)
    return work


def _jobs(count: int) -> str:
    return f"{count} job{'s' if count != 1 else ''}"


def _listed(rows: list[JobRow], heading: str) -> list[str]:
    if not rows:
        return []
    lines = [heading] + [f"  • {job_summary(row)}" for row in rows[:MAX_LISTED]]
    if len(rows) > MAX_LISTED:
        lines.append(f"  • and {_jobs(len(rows) - MAX_LISTED)} more")
    return lines


class QuitDialog(QDialog):
    """The question; ``choice`` is what was chosen (None: don't quit)."""

    def __init__(self, work: QuitWork, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quitWithWorkDialog")
        self.setWindowTitle("Quit Style Studio")
        self.choice: QuitChoice | None = None
        total = len(work.mine) + len(work.others)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)  # as tall as its content
        heading = QLabel(f"{_jobs(total).capitalize()} {'is' if total == 1 else 'are'} not finished")
        heading.setObjectName("quitHeading")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        lines = _listed(work.mine, "Started in this window:") + _listed(
            work.others, "Started elsewhere, run here (goes back to the queue, never canceled):"
        )
        listing = QLabel("\n".join(lines))
        listing.setObjectName("quitJobsLabel")
        listing.setTextFormat(Qt.TextFormat.PlainText)
        listing.setWordWrap(True)
        layout.addWidget(listing)
        self.background_button = self._choice(
            layout, QuitChoice.BACKGROUND, "Finish in the background", "quitBackgroundButton",
            "The work goes on without the window until it is done; open Style Studio again to see the results.",
        )
        self.pause_button = self._choice(
            layout, QuitChoice.PAUSE, "Pause and quit", "quitPauseButton",
            "Unfinished work waits in the queue and resumes at the next start, or on any worker. Finished photos are kept.",
        )
        mine = len(work.mine)
        self.cancel_button = self._choice(
            layout, QuitChoice.CANCEL_MINE, "Cancel my work and quit", "quitCancelMineButton",
            f"Cancels the {_jobs(mine)} started in this window"
            + ("; work started elsewhere goes back to the queue." if work.others else "."),
        )
        self.cancel_button.setVisible(mine > 0)
        buttons = QDialogButtonBox()
        self.stay_button = buttons.addButton("Don't quit", QDialogButtonBox.ButtonRole.RejectRole)
        self.stay_button.setObjectName("quitStayButton")
        self.stay_button.setToolTip("Keep Style Studio open (Escape)")
        self.stay_button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.background_button.setDefault(True)
        self.background_button.setFocus()
        listing.setMinimumWidth(460)

    def _choice(self, layout: QVBoxLayout, choice: QuitChoice, text: str, name: str, description: str) -> QCommandLinkButton:
        button = QCommandLinkButton(text, description)
        button.setObjectName(name)
        button.setAccessibleDescription(description)
        button.clicked.connect(lambda: self.choose(choice))
        layout.addWidget(button)
        return button

    def choose(self, choice: QuitChoice) -> None:
        self.choice = choice
        self.accept()


async def ask_quit(dialog: QuitDialog) -> QuitChoice | None:
    """Open the question and await the answer (None: don't quit)."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    accepted = await open_and_wait(dialog) == QDialog.DialogCode.Accepted
    return dialog.choice if accepted else None


def is_quit_key(event: QKeyEvent, keys: list[QKeySequence]) -> bool:
    pressed = QKeySequence(event.keyCombination())
    return any(pressed.matches(key) == QKeySequence.SequenceMatch.ExactMatch for key in keys)


class QuitKeys(QObject):
    """An application event filter: the quit key pressed in any window of the app (a dialog,
    modal or not, where the main window's Quit shortcut cannot fire) asks to quit."""

    def __init__(self, keys: list[QKeySequence], quit_requested: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self.quit_requested = quit_requested

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and is_quit_key(event, self.keys):
            self.quit_requested()
            return True
        return False


class Quitting:
    """The main window's way out: ``request`` (File > Quit, the close button, the quit key from
    any dialog) asks when work is unfinished, then sets ``choice`` and emits the window's
    ``closeRequested``; ``desktop.app.stop`` does the rest. Closing with nothing running, or by
    Ctrl+C in the terminal, keeps ``PAUSE``: nothing is canceled."""

    def __init__(self, window: Any, keys: list[QKeySequence]) -> None:  # the MainWindow
        self.window = window
        self.choice = QuitChoice.PAUSE
        self.asking = False
        self.dialog: QuitDialog | None = None  # the question while it is open
        self.keys = QuitKeys(keys, self.request, window)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.keys)

    def close(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.keys)

    def request(self) -> None:
        window = self.window
        if window.stopped:
            return
        if self.asking:
            if self.dialog is not None:
                self.dialog.raise_()
                self.dialog.activateWindow()
            return
        self.asking = True
        spawn(self._ask_and_quit(), name="quit-ask")

    async def _ask_and_quit(self) -> None:
        window = self.window
        try:
            work = QuitWork()
            if window.runtime is not None:
                try:
                    work = await run_blocking(work_on_quit, window.runtime.engine, window.following.started_ids())
                except Exception:  # noqa: BLE001 - the library cannot be read: quit, canceling nothing
                    log.warning("Could not read the jobs before quitting; unfinished work stays queued", exc_info=True)
            choice = QuitChoice.PAUSE
            if not work.empty:
                self.dialog = QuitDialog(work, window)
                choice = await ask_quit(self.dialog)
        finally:
            self.asking = False
            self.dialog = None
        if choice is None or window.stopped:
            return  # Don't quit
        self.choice = choice
        window.closeRequested.emit()
