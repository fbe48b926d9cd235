"""Settings (``settingsDialog``): generator, fal key (OS keyring only), fal models, prompt
endpoint, parallel jobs, job history retention, and the data folder.

The fal key is never written to a plain file: it goes to the system keyring, and where there is
none the dialog says so and points to the ``FAL_KEY`` environment variable instead. Reading and
saving (keyring, settings file) happen on a worker thread.
"""

from __future__ import annotations

import dataclasses
import logging
import os

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import config
from desktop.config import Paths, Settings
from desktop.errors import UserError
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.new_style_dialog import BACKENDS

log = logging.getLogger(__name__)

KEY_UNCHANGED = object()


def read_secret_state() -> tuple[bool, bool, bool]:
    """Blocking: (keyring available, key stored in keyring, FAL_KEY set in the environment)."""
    available = config.keyring_available()
    stored = bool(config.get_secret(config.FAL_KEY_NAME)) if available else False
    return available, stored, bool(os.environ.get("FAL_KEY"))


def save_all(paths: Paths, settings: Settings, key: object) -> None:
    """Blocking: write settings.json (never the key) and the key to the keyring."""
    settings.save(paths)
    if key is not KEY_UNCHANGED:
        config.set_secret(config.FAL_KEY_NAME, key or None)  # type: ignore[arg-type]


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

        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 16, 18, 14)
        lay.setSpacing(12)

        gen = QGroupBox("Generation")
        form = QFormLayout(gen)
        self.generator = QComboBox()
        self.generator.setObjectName("settingsGeneratorCombo")
        for value, label in BACKENDS:
            self.generator.addItem(label, value)
        self.generator.setCurrentIndex(max(0, self.generator.findData(settings.generator)))
        form.addRow("Default generator", self.generator)
        self.max_parallel = QSpinBox()
        self.max_parallel.setObjectName("maxParallelSpin")
        self.max_parallel.setRange(1, 16)
        self.max_parallel.setValue(settings.max_parallel)
        self.max_parallel.setSuffix(" at once")
        form.addRow("Jobs", self.max_parallel)
        self.retention = QDoubleSpinBox()
        self.retention.setObjectName("retentionSpin")
        self.retention.setRange(0.5, 365)
        self.retention.setDecimals(1)
        self.retention.setValue(settings.retention_days)
        self.retention.setSuffix(" days")
        self.retention.setToolTip("Finished jobs older than this are removed; failed ones stay until dismissed.")
        form.addRow("Keep job history", self.retention)
        lay.addWidget(gen)

        fal = QGroupBox("fal.ai")
        form = QFormLayout(fal)
        self.fal_key = QLineEdit()
        self.fal_key.setObjectName("falKeyEdit")
        self.fal_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.fal_key.setPlaceholderText("Checking the system keyring…")
        self.fal_key.setEnabled(False)
        self._key_edited = False
        self.fal_key.textEdited.connect(self._on_key_edited)
        form.addRow("API key", self.fal_key)
        self.key_note = QLabel()
        self.key_note.setObjectName("falKeyNoteLabel")
        self.key_note.setWordWrap(True)
        self.key_note.setStyleSheet("color: palette(placeholder-text);")
        form.addRow("", self.key_note)
        self.fal_url = QLineEdit(settings.fal_queue_url)
        self.fal_url.setObjectName("falQueueUrlEdit")
        form.addRow("Queue URL", self.fal_url)
        self.fal_model_ref = QLineEdit(settings.fal_model_reference)
        self.fal_model_ref.setObjectName("falModelReferenceEdit")
        form.addRow("Model (with reference)", self.fal_model_ref)
        self.fal_model_text = QLineEdit(settings.fal_model_text)
        self.fal_model_text.setObjectName("falModelTextEdit")
        form.addRow("Model (text only)", self.fal_model_text)
        lay.addWidget(fal)

        prompt = QGroupBox("Prompt writer")
        form = QFormLayout(prompt)
        self.prompt_url = QLineEdit(settings.prompt_base_url)
        self.prompt_url.setObjectName("promptBaseUrlEdit")
        self.prompt_url.setPlaceholderText("Empty: use the built-in template (e.g. http://localhost:11434/v1)")
        form.addRow("Chat endpoint", self.prompt_url)
        self.prompt_model = QLineEdit(settings.prompt_model)
        self.prompt_model.setObjectName("promptModelEdit")
        form.addRow("Model", self.prompt_model)
        lay.addWidget(prompt)

        data = QGroupBox("Data folder")
        row = QHBoxLayout(data)
        self.data_label = QLabel(str(paths.home))
        self.data_label.setObjectName("dataFolderLabel")
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_label.setWordWrap(True)
        row.addWidget(self.data_label, 1)
        open_button = QPushButton("Open")
        open_button.setObjectName("openDataFolderButton")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.home))))
        row.addWidget(open_button)
        lay.addWidget(data)

        self.error = QLabel()
        self.error.setObjectName("settingsErrorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.hide()
        lay.addWidget(self.error)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(lambda: spawn(self.save()))
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        spawn(self._load_secret_state(), name="settings-secret-state")

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

    def _on_key_edited(self, _text: str) -> None:
        self._key_edited = True

    def new_settings(self) -> Settings:
        return dataclasses.replace(
            self.settings,
            generator=self.generator.currentData(),
            max_parallel=self.max_parallel.value(),
            retention_days=self.retention.value(),
            fal_queue_url=self.fal_url.text().strip() or self.settings.fal_queue_url,
            fal_model_reference=self.fal_model_ref.text().strip() or self.settings.fal_model_reference,
            fal_model_text=self.fal_model_text.text().strip() or self.settings.fal_model_text,
            prompt_base_url=self.prompt_url.text().strip(),
            prompt_model=self.prompt_model.text().strip() or self.settings.prompt_model,
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
            self.error.setText(str(exc))
            self.error.show()
            return
        except OSError as exc:
            self.error.setText(f"The settings could not be saved ({exc.strerror or exc}); check that the data folder is writable.")
            self.error.show()
            return
        finally:
            self.buttons.setEnabled(True)
        self.settings = settings
        self.saved.emit(settings)
        self.accept()
