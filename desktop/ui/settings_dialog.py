"""Settings (``settingsDialog``): generator, previews (how many, how big), parallel jobs, job
history retention, fal key (OS keyring only), fal models, prompt endpoint, the data folder, and
the library folder (where the styles' files live; shared by the machines of a shared library,
applied at the next start).

Every group's labels share one column width, so the fields line up down the whole dialog.

The fal key is never written to a plain file: it goes to the system keyring, and where there is
none the dialog says so and points to the ``FAL_KEY`` environment variable instead. Reading and
saving (keyring, settings file) happen on a worker thread.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop import config
from desktop.config import Paths, Settings
from desktop.errors import UserError
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.buttons import disclosure_button
from desktop.ui.new_style_dialog import BACKENDS
from desktop.ui.spin_box import PlainNumberBox, spin_box
from desktop.ui.tones import Tone, error_label, reading_label
from desktop.ui.window_fit import fit_height

log = logging.getLogger(__name__)

KEY_UNCHANGED = object()


def read_secret_state() -> tuple[bool, bool, bool]:
    """Blocking: (keyring available, key stored in keyring, FAL_KEY set in the environment)."""
    available = config.keyring_available()
    stored = bool(config.get_secret(config.FAL_KEY_NAME)) if available else False
    return available, stored, bool(os.environ.get("FAL_KEY"))


def save_all(paths: Paths, settings: Settings, key: object) -> None:
    """Blocking: write settings.json (never the key) and the key to the keyring. A library
    folder that cannot be used is refused (UserError) before anything is written."""
    if settings.library_dir:
        problem = config.library_problem(Path(settings.library_dir).expanduser(), "the Library folder field")
        if problem:
            raise UserError(problem)
    settings.save(paths)
    if key is not KEY_UNCHANGED:
        config.set_secret(config.FAL_KEY_NAME, key or None)  # type: ignore[arg-type]


def library_note(paths: Paths) -> str:
    """The line under the library folder field: the folder in use, and when a change applies."""
    now = "the data folder" if paths.library_is_home else str(paths.library)
    text = f"In use now: {now}. A change applies the next time Style Studio starts."
    if os.environ.get(config.LIBRARY_VAR):
        text += f" {config.LIBRARY_VAR} is set in the environment and is used first."
    return text


PREVIEW_COUNT_RANGE = (1, 8)  # as the new-style dialog and a generation job's payload allow
PREVIEW_SIZE_RANGE = (64, 4096)  # pixels, the longest side


class SettingsDialog(QDialog):
    saved = Signal(object)  # the new Settings

    def __init__(self, paths: Paths, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.paths = paths
        self.settings = settings
        self._keyring_available = False
        self._key_stored = False
        self._labels: list[QLabel] = []

        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 16, 18, 14)
        lay.setSpacing(12)

        form = self._group(lay, "Generation")
        self.generator = QComboBox()
        self.generator.setObjectName("settingsGeneratorCombo")
        for value, label in BACKENDS:
            self.generator.addItem(label, value)
        self.generator.setCurrentIndex(max(0, self.generator.findData(settings.generator)))
        self._row(form, "Default &generator", self.generator, "The generator a new style starts with.")
        self.preview_count = spin_box("settingsPreviewCountSpin", *PREVIEW_COUNT_RANGE, settings.preview_count, suffix=" per style")
        self._row(form, "&Previews", self.preview_count, "How many preview images a new style starts with. The local generator shows the reference and then each sample photo once, so it makes 6 at most.")
        self.preview_size = spin_box("settingsPreviewSizeSpin", *PREVIEW_SIZE_RANGE, settings.preview_size, suffix=" px", step=64)
        self._row(form, "Preview &size", self.preview_size, "The longest side of each preview; bigger previews take longer to make.")
        self.max_parallel = spin_box("maxParallelSpin", 1, 16, settings.max_parallel, suffix=" at once")
        self._row(form, "&Jobs", self.max_parallel, "How many jobs may run at the same time.")
        self.retention = PlainNumberBox("retentionSpin", 0.5, 365, settings.retention_days, suffix=" days")
        self._row(form, "Keep job &history", self.retention, "Finished jobs older than this are removed; failed ones stay until dismissed.")

        form = self._group(lay, "fal.ai")
        self.fal_key = QLineEdit()
        self.fal_key.setObjectName("falKeyEdit")
        self.fal_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.fal_key.setPlaceholderText("Checking the system keyring…")
        self.fal_key.setEnabled(False)
        self._key_edited = False
        self.fal_key.textEdited.connect(self._on_key_edited)
        self._row(form, "API &key", self.fal_key, "Your fal.ai key; it is kept in the system keyring, never in a file.")
        # The note under the key can run to two or three lines (no keyring: set FAL_KEY): it
        # spans the whole row and wraps, and the dialog grows to show all of it.
        self.key_note = reading_label("falKeyNoteLabel", tone=Tone.DIM)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.key_note.setSizePolicy(policy)
        form.addRow(self._spacer_label(), self.key_note)

        form = self._group(lay, "Prompt writer")
        self.prompt_url = self._text_row(
            form, "&Chat endpoint", "promptBaseUrlEdit", settings.prompt_base_url,
            "An OpenAI-compatible endpoint that rewrites prompts, e.g. http://localhost:11434/v1; empty uses the built-in template.",
            placeholder="Empty: use the built-in template",
        )
        self.prompt_model = self._text_row(
            form, "&Model", "promptModelEdit", settings.prompt_model, "The model name the chat endpoint is asked for."
        )

        form = self._group(lay, "Data folder")
        folder_row = QHBoxLayout()
        folder_row.setSpacing(8)
        self.data_label = reading_label("dataFolderLabel", str(paths.home), accessible="Data folder location")
        folder_row.addWidget(self.data_label, 1)
        open_button = QPushButton("&Open")
        open_button.setObjectName("openDataFolderButton")
        open_button.setToolTip("Show the data folder in the file manager")
        open_button.setAccessibleName("Open the data folder")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.home))))
        folder_row.addWidget(open_button, 0, Qt.AlignmentFlag.AlignVCenter)
        location = QLabel("Location")
        self._labels.append(location)
        form.addRow(location, folder_row)
        self.library_edit = self._text_row(
            form, "&Library folder", "libraryFolderEdit", settings.library_dir,
            "Where the styles' files are kept: a full path to a folder every machine sharing the library can reach "
            "(each may mount it at its own place). Empty keeps them in the data folder.",
            placeholder="Empty: the data folder",
        )
        self.library_note = reading_label("libraryFolderNoteLabel", tone=Tone.DIM)
        self.library_note.setSizePolicy(policy)
        self.library_note.setText(library_note(paths))
        form.addRow(self._spacer_label(), self.library_note)

        # fal's queue address and model ids: rarely changed, so out of the way until asked for
        self.advanced_button = disclosure_button("Advanced", "settingsAdvancedButton", "Show fal.ai's queue address and model names", self._show_advanced)
        lay.addWidget(self.advanced_button)
        form = self._group(lay, "fal.ai queue and models")
        self.advanced = form.parentWidget()
        self.advanced.setObjectName("settingsAdvancedGroup")
        self.fal_url = self._text_row(form, "&Queue URL", "falQueueUrlEdit", settings.fal_queue_url, "The address of fal's queue API.")
        self.fal_model_ref = self._text_row(
            form, "Model (with &reference)", "falModelReferenceEdit", settings.fal_model_reference,
            "The fal model used when a style has a reference image.",
        )
        self.fal_model_text = self._text_row(
            form, "Model (&text only)", "falModelTextEdit", settings.fal_model_text,
            "The fal model used when a style has only a description.",
        )
        self.advanced.hide()

        self.error = error_label("settingsErrorLabel", selectable=False)
        lay.addWidget(self.error)
        lay.addStretch(1)  # a taller window puts its spare room here, not inside a group

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setObjectName("settingsSaveButton")
        save.setToolTip("Save these settings and close")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("settingsCancelButton")
        cancel.setToolTip("Close without saving")
        self.buttons.accepted.connect(lambda: spawn(self.save()))
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._align_labels()
        self._fit_height()
        spawn(self._load_secret_state(), name="settings-secret-state")

    # --- building -------------------------------------------------------------------------------
    def _group(self, lay: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        lay.addWidget(box)
        return form

    def _text_row(
        self, form: QFormLayout, text: str, name: str, value: str, tip: str, *, placeholder: str = ""
    ) -> QLineEdit:
        """A row of ``form`` with a line edit named ``name`` holding ``value``."""
        edit = QLineEdit(value)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        self._row(form, text, edit, tip)
        return edit

    def _row(self, form: QFormLayout, text: str, field: QWidget, tip: str) -> None:
        label = QLabel(text)
        label.setBuddy(field)
        field.setAccessibleName(text.replace("&", ""))
        field.setToolTip(tip)
        self._labels.append(label)
        form.addRow(label, field)

    def _spacer_label(self) -> QLabel:
        label = QLabel()
        self._labels.append(label)
        return label

    def _align_labels(self) -> None:
        """One label column for every group, so the fields line up down the whole dialog."""
        width = max(label.sizeHint().width() for label in self._labels)
        for label in self._labels:
            label.setFixedWidth(width)

    def _fit_height(self) -> None:
        fit_height(self)

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self._fit_height()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()  # narrower: the wrapped note needs more lines

    async def _load_secret_state(self) -> None:
        try:
            available, stored, from_env = await run_blocking(read_secret_state)
        except Exception:
            log.warning("Reading the keyring state failed", exc_info=True)
            available, stored, from_env = False, False, bool(os.environ.get("FAL_KEY"))
        self._keyring_available = available
        self._key_stored = stored
        notes = []
        if available:
            self.fal_key.setEnabled(True)
            self.fal_key.setPlaceholderText(
                "A key is saved (type to replace it, clear to remove it)" if stored else "Paste your fal key"
            )
            notes.append("Kept in the system keyring, never in a file.")
        else:
            self.fal_key.setEnabled(False)
            self.fal_key.setPlaceholderText("No system keyring on this computer")
            notes.append(
                "No system keyring is available here, so the key cannot be saved by the app. "
                "Set the FAL_KEY environment variable before starting Style Studio instead."
            )
        if from_env:
            notes.append("FAL_KEY is set in the environment and is used first.")
        self.key_note.setText(" ".join(notes))
        self.key_note.setToolTip(self.key_note.text())
        self._fit_height()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self._fit_height()

    def _on_key_edited(self, _text: str) -> None:
        self._key_edited = True

    def new_settings(self) -> Settings:
        return dataclasses.replace(
            self.settings,
            generator=self.generator.currentData(),
            preview_count=self.preview_count.value(),
            preview_size=self.preview_size.value(),
            max_parallel=self.max_parallel.value(),
            retention_days=self.retention.value(),
            fal_queue_url=self.fal_url.text().strip() or self.settings.fal_queue_url,
            fal_model_reference=self.fal_model_ref.text().strip() or self.settings.fal_model_reference,
            fal_model_text=self.fal_model_text.text().strip() or self.settings.fal_model_text,
            prompt_base_url=self.prompt_url.text().strip(),
            prompt_model=self.prompt_model.text().strip() or self.settings.prompt_model,
            library_dir=self.library_edit.text().strip(),
        )

    async def save(self) -> None:
        settings = self.new_settings()
        key: object = KEY_UNCHANGED
        if self._key_edited and self._keyring_available:
            key = self.fal_key.text().strip()
        self.buttons.setEnabled(False)
        try:
            await run_blocking(save_all, self.paths, settings, key)
        except UserError as exc:
            self._show_error(str(exc))
            return
        except OSError as exc:
            self._show_error(f"The settings could not be saved ({exc.strerror or exc}); check that the data folder is writable.")
            return
        finally:
            self.buttons.setEnabled(True)
        self.settings = settings
        self.saved.emit(settings)
        self.accept()
