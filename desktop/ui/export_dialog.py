"""The export dialog (``exportDialog``): what to write for the selected styles, then where.

Several styles go into one style pack (``.stylepack``); one style may also be written as a
``.cube`` LUT (17, 33 or 65 points a side) or a HaldCLUT PNG (level 8, 512 x 512) for other
tools. *Include reference photos* adds each style's reference to a pack. *Export…*
(``exportStartButton``) asks where with a save dialog (``chooser``: the real file dialog, or a
test's stand-in), queues an export job and says so with ``jobStarted``; a refusal (a
folder that cannot be written, a style without its grade) stays in the dialog as one sentence
(``exportErrorLabel``), with nothing queued.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.text import file_stem
from desktop.ui.async_utils import open_and_wait, run_blocking, spawn
from desktop.ui.tones import Tone, ToneLabel, error_label

# (parent, title, start path, name filter, default suffix) -> the chosen path, or None
SaveChooser = Callable[[QWidget, str, str, str, str], Awaitable[str | None]]

PACK, CUBE, HALD = "pack", "cube", "hald"
CUBE_SIZES = (17, 33, 65)
DEFAULT_CUBE_SIZE = 33
FORMATS = {  # kind: (suffix, save dialog filter)
    PACK: ("stylepack", "Style packs (*.stylepack)"),
    CUBE: ("cube", "Cube LUTs (*.cube)"),
    HALD: ("png", "HaldCLUT images (*.png)"),
}


async def choose_save_path(parent: QWidget, title: str, start: str, name_filter: str, suffix: str) -> str | None:
    """The platform's save dialog (opened, never exec()-ed); it asks before replacing a file."""
    dialog = QFileDialog(parent, title, start, name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix(suffix)
    accepted = await open_and_wait(dialog) == QDialog.DialogCode.Accepted
    files = dialog.selectedFiles()
    dialog.deleteLater()
    return files[0] if accepted and files else None


def _caption(text: str) -> ToneLabel:
    label = ToneLabel(text, tone=Tone.DIM)
    label.setWordWrap(True)
    label.setIndent(24)
    return label


class ExportDialog(QDialog):
    jobStarted = Signal(int, str)  # job id, the file it writes

    last_folder: Path | None = None  # where the last export went (this session)

    def __init__(self, runtime: Any, styles: list[tuple[int, str]], chooser: SaveChooser = choose_save_path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not styles:
            raise ValueError("nothing to export")
        self.setObjectName("exportDialog")
        self.runtime = runtime
        self.styles = styles
        self.chooser = chooser
        self.busy = False
        several = len(styles) > 1
        self.setWindowTitle("Export styles" if several else "Export style")
        self.setMinimumWidth(480)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(22, 20, 22, 16)
        lay.setSpacing(8)

        self.heading = QLabel(f"Export {len(styles)} styles" if several else f"Export “{styles[0][1]}”")
        self.heading.setObjectName("exportHeading")
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.heading)

        self.group = QButtonGroup(self)
        self.pack_radio = QRadioButton("Style pack (.stylepack)", self)
        self.pack_radio.setObjectName("exportPackRadio")
        self.cube_radio = QRadioButton(".cube LUT", self)
        self.cube_radio.setObjectName("exportCubeRadio")
        self.hald_radio = QRadioButton("HaldCLUT PNG", self)
        self.hald_radio.setObjectName("exportHaldRadio")
        for r in (self.pack_radio, self.cube_radio, self.hald_radio):
            self.group.addButton(r)
        self.cube_size = QComboBox(self)
        self.cube_size.setObjectName("exportCubeSizeCombo")
        for size in CUBE_SIZES:
            self.cube_size.addItem(f"{size} points a side", size)
        self.cube_size.setCurrentIndex(CUBE_SIZES.index(DEFAULT_CUBE_SIZE))
        self.cube_size.setAccessibleName("Size of the .cube")
        self.cube_size.setToolTip("33 suits most tools; 65 keeps strong grades finer, 17 is small and quick")
        self.reference_check = QCheckBox("Include reference photos", self)
        self.reference_check.setObjectName("exportReferenceCheck")
        self.reference_check.setToolTip("Add each style's reference photo to the pack (a bigger file)")

        options = QGridLayout()
        options.setHorizontalSpacing(10)
        options.setVerticalSpacing(4)
        lay.addSpacing(4)
        if several:
            names = ", ".join(name for _id, name in styles[:6]) + (f" and {len(styles) - 6} more" if len(styles) > 6 else "")
            self.summary = ToneLabel(
                f"One style pack (.stylepack) with {names}: their colour grades, previews, words "
                "and settings, for another Style Studio to import.",
                tone=Tone.DIM,
            )
            self.summary.setObjectName("exportSummaryLabel")
            self.summary.setWordWrap(True)
            self.pack_radio.setChecked(True)
            for r in (self.pack_radio, self.cube_radio, self.hald_radio):
                r.hide()
            self.cube_size.hide()
            lay.addWidget(self.summary)
            lay.addSpacing(4)
            lay.addWidget(self.reference_check)
        else:
            self.summary = None
            self.pack_radio.setChecked(True)
            options.addWidget(self.pack_radio, 0, 0, 1, 2)
            options.addWidget(_caption("Everything about the style (grade, previews, words, settings), for another Style Studio to import."), 1, 0, 1, 2)
            options.addWidget(self.reference_check, 2, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
            options.setRowMinimumHeight(3, 8)
            options.addWidget(self.cube_radio, 4, 0)
            options.addWidget(self.cube_size, 4, 1, Qt.AlignmentFlag.AlignLeft)
            options.addWidget(_caption("The colour grade for photo and video tools: Resolve, Premiere, Photoshop, OBS…"), 5, 0, 1, 2)
            options.setRowMinimumHeight(6, 8)
            options.addWidget(self.hald_radio, 7, 0, 1, 2)
            options.addWidget(_caption("The grade as a 512×512 picture for darktable, RawTherapee, G'MIC and ImageMagick."), 8, 0, 1, 2)
            options.setColumnStretch(1, 1)
            lay.addLayout(options)
            self.reference_check.setStyleSheet("QCheckBox { margin-left: 24px; }")
        self.pack_radio.setToolTip("A .stylepack file another Style Studio imports with File › Import…")
        self.cube_radio.setToolTip("An Adobe .cube 3D LUT (version 1.0)")
        self.hald_radio.setToolTip("A HaldCLUT PNG, level 8 (512×512 pixels)")

        self.error = error_label("exportErrorLabel", selectable=False)
        lay.addWidget(self.error)
        lay.addStretch(1)
        lay.addSpacing(10)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = QPushButton("Export…")
        self.start_button.setObjectName("exportStartButton")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Choose where to save it; the export then runs as a job")
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Close without exporting (Escape)")
        buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(lambda: spawn(self.export(), name="export-styles"))
        lay.addWidget(buttons)

        self.group.buttonToggled.connect(lambda *_a: self._update())
        self._update()
        self._fitted = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        if not self._fitted:  # as tall as the wrapped text needs at this width, no taller
            self._fitted = True
            (self.start_button if self.summary is not None else self.group.checkedButton()).setFocus()
            self.resize(self.width(), max(self.minimumSizeHint().height(), self.layout().heightForWidth(self.width())))

    # --- state -----------------------------------------------------------------------------
    def kind(self) -> str:
        if self.cube_radio.isChecked():
            return CUBE
        if self.hald_radio.isChecked():
            return HALD
        return PACK

    def choose(self, kind: str, size: int | None = None) -> None:
        """Pick a format (and a .cube size), as a click would."""
        {PACK: self.pack_radio, CUBE: self.cube_radio, HALD: self.hald_radio}[kind].setChecked(True)
        if size is not None:
            self.cube_size.setCurrentIndex(CUBE_SIZES.index(size))

    def _update(self) -> None:
        kind = self.kind()
        self.reference_check.setEnabled(kind == PACK)
        self.cube_size.setEnabled(kind == CUBE)
        self.error.hide()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.start_button.setEnabled(not busy)

    def start_path(self, kind: str) -> str:
        suffix = FORMATS[kind][0]
        stem = f"{len(self.styles)} styles" if len(self.styles) > 1 else file_stem(self.styles[0][1], "style")
        folder = ExportDialog.last_folder if ExportDialog.last_folder is not None else Path.home()
        return str(folder / f"{stem}.{suffix}")

    # --- exporting --------------------------------------------------------------------------
    async def export(self) -> int | None:
        """Ask where, then queue the export; returns the job id (None when it did not start)."""
        if self.busy:
            return None
        kind = self.kind()
        suffix, name_filter = FORMATS[kind]
        self._set_busy(True)
        try:
            title = "Export style pack" if kind == PACK else f"Export {'.cube LUT' if kind == CUBE else 'HaldCLUT PNG'}"
            target = await self.chooser(self, title, self.start_path(kind), name_filter, suffix)
            if not target:
                return None
            ids = [style_id for style_id, _name in self.styles]
            # the save dialog asked before replacing a file: a file already there may go
            from desktop.pipelines.export.request import enqueue_export_lut, enqueue_export_pack

            try:
                if kind == PACK:
                    job_id = await run_blocking(
                        enqueue_export_pack, self.runtime, ids, target, self.reference_check.isChecked(), overwrite=True
                    )
                else:
                    size = int(self.cube_size.currentData()) if kind == CUBE else None
                    job_id = await run_blocking(enqueue_export_lut, self.runtime, ids[0], kind, size, target, overwrite=True)
            except UserError as exc:
                self.error.setText(str(exc))
                self.error.show()
                return None
        finally:
            self._set_busy(False)
        ExportDialog.last_folder = Path(target).parent
        self.jobStarted.emit(job_id, str(target))
        self.accept()
        return job_id
