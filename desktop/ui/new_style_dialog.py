"""The new-style dialog (``newStyleDialog``): a description, a reference image, Generate.

Generate validates and enqueues on a worker thread (``enqueue_style`` copies the reference into
the library first and raises a one-sentence ``UserError`` if it refuses anything, in which case
no job is made). On success the dialog closes and emits ``jobStarted(job_id)``; the window then
follows that job id.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.runtime import Runtime
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.buttons import push_button
from desktop.ui.drop_zone import ORIGINAL_ROLE, DropZone
from desktop.ui.spin_box import spin_box
from desktop.ui.tones import Tone, ToneLabel, error_label
from desktop.ui.window_fit import fit_height

log = logging.getLogger(__name__)

BACKENDS = (("local", "Local (offline)"), ("fal", "fal.ai (online)"))
NO_FAL_KEY_HINT = "No fal key is set yet: add one in Settings or set FAL_KEY, or use the local generator."


def _enqueue(
    runtime: Runtime,
    description: str,
    reference: str | bytes | None,
    original: str | bytes | None,
    name: str | None,
    backend: str,
    previews: int,
) -> int:
    """Blocking: validate, copy the reference (and the original) into the library, enqueue a
    generation job."""
    from desktop.pipelines.generate.request import enqueue_style

    return enqueue_style(
        runtime, description, reference=reference, original=original, name=name,
        backend="local" if original is not None else backend, previews=previews,
    )


def _fal_key_present() -> bool:
    from desktop.config import fal_key

    return bool(fal_key())


def _has_image_files(mime: QMimeData) -> bool:
    return any(u.isLocalFile() for u in mime.urls()) if mime.hasUrls() else False


class DescriptionEdit(QPlainTextEdit):
    """The description field: text pastes as text; an image (or an image file copied in a file
    manager) pasted or dropped here becomes the reference instead (``imageOffered``)."""

    imageOffered = Signal(QMimeData)

    @staticmethod
    def _is_image(source: QMimeData) -> bool:
        return source.hasImage() or _has_image_files(source)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:  # noqa: N802 - Qt naming
        return self._is_image(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt naming
        if self._is_image(source):
            self.imageOffered.emit(source)
            return
        super().insertFromMimeData(source)


class NewStyleDialog(QDialog):
    jobStarted = Signal(int)

    def __init__(self, runtime: Runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.setObjectName("newStyleDialog")
        self.setWindowTitle("New style")
        self.setAcceptDrops(True)
        self.setMinimumWidth(520)
        self._submitting = False
        self._has_fal_key: bool | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)

        heading = QLabel("&Describe the look you want")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)

        self.description = DescriptionEdit()
        heading.setBuddy(self.description)
        self.description.setObjectName("descriptionEdit")
        self.description.setPlaceholderText(
            "For example: warm faded film, soft grain, teal shadows and a gentle vignette"
        )
        self.description.setTabChangesFocus(True)
        self.description.setMinimumHeight(84)
        self.description.setMaximumHeight(120)
        self.description.setAccessibleName("Description")
        self.description.setToolTip("Colours, mood and texture of the look; paste an image here to use it as the reference.")
        layout.addWidget(self.description)

        self.drop_zone = DropZone()
        self.drop_zone.setToolTip("Drop an image file here, click to choose one, or paste an image (Ctrl+V)")
        layout.addWidget(self.drop_zone)
        # a second, optional photo: the reference before it was edited (the style learns the edit)
        self.original_zone = DropZone(role=ORIGINAL_ROLE)
        self.original_zone.setToolTip("Drop the photo as it was before the edit, or click to choose it")
        layout.addWidget(self.original_zone)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("styleNameEdit")
        self.name_edit.setPlaceholderText("Made from the description if left empty")
        self._row(form, "&Name", self.name_edit, "The style's name in the library; left empty, it is made from the description.")
        self.backend = QComboBox()
        self.backend.setObjectName("backendCombo")
        for value, label in BACKENDS:
            self.backend.addItem(label, value)
        self._row(form, "&Generator", self.backend, "Local works offline; fal.ai needs a fal key and an internet connection.")
        self.previews = spin_box("previewCountSpin", 1, 8, suffix=" previews")
        self._row(form, "&Previews", self.previews, "How many preview images to make for this style.")
        layout.addLayout(form)

        # One message line under the form: the error of the last Generate when there is one,
        # else a hint about the chosen generator (never both: they would say the same thing).
        self.hint = ToneLabel(tone=Tone.DIM)
        self.hint.setObjectName("newStyleHintLabel")
        self.hint.setWordWrap(True)
        self.hint.hide()
        layout.addWidget(self.hint)

        self.error = error_label("newStyleErrorLabel")
        layout.addWidget(self.error)
        layout.addStretch(1)

        buttons = QDialogButtonBox()
        self.generate_button = push_button("Generate", "generateButton", "Start making this style; it goes on in the background", self.generate)
        self.generate_button.setDefault(True)
        buttons.addButton(self.generate_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("newStyleCancelButton")
        cancel.setToolTip("Close without making a style")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        settings = runtime.settings
        idx = self.backend.findData(settings.generator)
        self.backend.setCurrentIndex(max(0, idx))
        self.previews.setValue(min(8, max(1, settings.preview_count)))

        self.description.textChanged.connect(self._update_state)
        self.description.imageOffered.connect(self.drop_zone.take_mime)
        self.drop_zone.refused.connect(self.show_error)
        self.drop_zone.changed.connect(self._reference_changed)
        self.drop_zone.busyChanged.connect(lambda _b: self._update_state())
        self.original_zone.refused.connect(self.show_error)
        self.original_zone.changed.connect(self._reference_changed)
        self.original_zone.busyChanged.connect(lambda _b: self._update_state())
        self.backend.currentIndexChanged.connect(lambda _i: self._update_hint())
        self._update_state()
        self._fit_height()
        spawn(self._check_fal_key(), name="fal-key-check")

    # --- state ------------------------------------------------------------------------------
    def _update_state(self) -> None:
        said = bool(self.description.toPlainText().strip()) or self._learns_an_edit()
        busy = self.drop_zone.busy or self.original_zone.busy
        ok = said and not self._submitting and not busy
        self.generate_button.setEnabled(ok)
        self.generate_button.setText("Starting…" if self._submitting else "Generate")

    def _learns_an_edit(self) -> bool:
        """Both photos are given: the style learns the edit (a description is optional)."""
        return self.drop_zone.reference is not None and self.original_zone.reference is not None

    def _reference_changed(self) -> None:
        if self.drop_zone.error is None and self.original_zone.error is None:
            self.show_error(None)
        self._update_state()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        self._update_hint()

    async def _check_fal_key(self) -> None:
        try:
            self._has_fal_key = await run_blocking(_fal_key_present)
        except Exception:
            self._has_fal_key = None
        self._update_hint()

    def _update_hint(self) -> None:
        wanted = self.backend.currentData() == "fal" and self._has_fal_key is False
        self.hint.setText(NO_FAL_KEY_HINT if wanted else "")
        self.hint.setVisible(wanted and self.error.isHidden())
        self._fit_height()

    def _fit_height(self) -> None:
        fit_height(self)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()  # narrower: wrapped messages need more lines

    @staticmethod
    def _row(form: QFormLayout, text: str, field: QWidget, tip: str) -> None:
        label = QLabel(text)
        label.setBuddy(field)
        field.setAccessibleName(text.replace("&", ""))
        field.setToolTip(tip)
        form.addRow(label, field)

    # --- drops anywhere on the dialog -----------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.drop_zone.take_mime(event.mimeData()):
            event.acceptProposedAction()

    def set_reference(self, source: str | QMimeData) -> None:
        if isinstance(source, QMimeData):
            self.drop_zone.take_mime(source)
        else:
            self.drop_zone.set_path(source)

    # --- generating -----------------------------------------------------------------------------
    def generate(self) -> None:
        if not self.generate_button.isEnabled():
            return
        spawn(self._generate(), name="style-enqueue")

    async def _generate(self) -> None:
        description = self.description.toPlainText().strip()
        if not description and not self._learns_an_edit():
            self.show_error("Describe the style first: a few words about colours, mood and texture.")
            return
        ref, original = self.drop_zone.reference, self.original_zone.reference
        if original is not None and ref is None:
            self.show_error("Add the edited photo as the reference too: the style learns the change from the original to it.")
            return
        self._submitting = True
        self._update_state()
        self.show_error(None)
        try:
            job_id = await run_blocking(
                _enqueue,
                self.runtime,
                description,
                ref.source if ref is not None else None,
                original.source if original is not None else None,
                self.name_edit.text().strip() or None,
                self.backend.currentData(),
                self.previews.value(),
            )
        except UserError as exc:
            self.show_error(str(exc))
            return
        except Exception as exc:
            log.exception("Starting a style job failed")
            self.show_error(f"The style could not be started ({type(exc).__name__}); the details are in the log.")
            return
        finally:
            if shiboken6.isValid(self):
                self._submitting = False
                self._update_state()
        if shiboken6.isValid(self):
            self.jobStarted.emit(job_id)
            self.accept()

    def reject(self) -> None:
        if self._submitting:  # the job is being queued: let that finish, the dialog then closes
            return
        super().reject()
