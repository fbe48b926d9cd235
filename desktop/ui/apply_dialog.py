"""The apply dialog (``applyDialog``): apply one style to photos (files and folders).

It shows what the inputs expand to (count, total size, files skipped as not images, listed on
demand), the output folder (default: a new folder named after the style beside the first
input; Browse…), the output format, JPEG/WebP quality, an optional long-edge resize, the
strength (default: the style's own), keep metadata (less the GPS position: "Drop location")
and include subfolders, and a before/after view of the first photo that follows the strength (rendered off the GUI thread on a proxy).

Every check that touches the disk (walking folders, probing the output folder) runs on a worker
thread; a bad choice gets one sentence here and Start stays disabled. Start queues the batch
(``start_apply``, off the GUI thread) and emits ``jobStarted``; the window follows the job in
its progress dialog. Nothing is created before Start.

When a batch that is exactly this one (same style, photos, output folder and options) is still
unfinished, queued or left running by a process that was killed, Start resumes it rather than
asking: resuming loses nothing and styles no photo twice, and the only other choice, a second
batch of the same photos, is never what a person wants. The window then follows that batch
(``resumed`` says so), whose progress shows how many photos were done before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.text import shown_path
from desktop.ui.apply_choosers import (
    check_out,
    choose_input_folder,
    choose_output_folder,
    choose_photos,
    human_size,
    local_paths,
    plan_inputs,
)
from desktop.ui.apply_preview import FULL_EDGE, PROXY_EDGE, ProxyPreview
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.before_after import BeforeAfterView
from desktop.ui.buttons import push_button
from desktop.ui.name_template_field import NameTemplateField
from desktop.ui.photo_strip import PhotoStrip
from desktop.ui.spin_box import spin_box
from desktop.ui.strength_slider import strength_slider
from desktop.ui.tones import error_label, reading_label
from desktop.ui.zoom_view import ZoomView

log = logging.getLogger(__name__)

FORMATS = (("Same as input", "same"), ("JPEG", "jpeg"), ("PNG", "png"), ("TIFF", "tiff"), ("WebP", "webp"))
CHECK_DELAY_MS = 250  # typing in the output field: check the folder once typing pauses
DEFAULT_LONG_EDGE = 2048
TITLE_NAME = 60  # characters of the style's name in the heading (all of it in the tooltip)


class ApplyDialog(QDialog):
    jobStarted = Signal(int)  # the queued job's id

    def __init__(self, runtime: Any, style_id: int, inputs: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applyDialog")
        self.setWindowTitle("Apply style to photos")
        self.setAcceptDrops(True)
        self.setMinimumWidth(560)
        self.runtime = runtime
        self.style_id = style_id
        self.style: Any = None
        self.inputs: list[str] = [str(p) for p in (inputs or [])]
        self.plan: Any = None
        self.job_id: int | None = None
        self.resumed = False  # Start found this same batch unfinished and resumed it
        self._plan_error = ""
        self._out_error = ""
        self._start_error = ""
        self._planning = False
        self._plan_again = False
        self._out_checked: str | None = None  # the output text the last check was for
        self._out_edited = False  # the person typed or browsed an output folder
        self._starting = False
        self._build()
        self.preview = ProxyPreview(self)
        self.preview.ready.connect(self._preview_ready)
        self.preview.failed.connect(lambda text: self.before_after.set_message(text))
        self._out_timer = QTimer(self)
        self._out_timer.setSingleShot(True)
        self._out_timer.setInterval(CHECK_DELAY_MS)
        self._out_timer.timeout.connect(self._check_output)
        self.finished.connect(self._closed)
        spawn(self._load(), name="apply-dialog-load")

    # --- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 18, 20, 14)
        lay.setSpacing(10)
        self.title = QLabel("Apply style to photos")
        self.title.setObjectName("applyTitleLabel")
        self.title.setWordWrap(True)  # a long name wraps instead of being cut at the dialog's edge
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        lay.addWidget(self.title)

        # inputs: the summary, Details, add more
        inputs_row = QHBoxLayout()
        self.inputs_label = reading_label("applyInputsLabel", "Looking at the photos…")
        inputs_row.addWidget(self.inputs_label, 1)
        self.skipped_button = QPushButton("Details")
        self.skipped_button.setObjectName("applySkippedButton")
        self.skipped_button.setCheckable(True)
        self.skipped_button.setToolTip("Show or hide the files that are skipped")
        self.skipped_button.toggled.connect(self._toggle_skipped)
        self.skipped_button.hide()
        inputs_row.addWidget(self.skipped_button)
        self.add_files_button = push_button(
            "Add photos…",
            "applyAddFilesButton",
            "Choose more photos (or drop photos and folders on this window)",
            self._browse_files,
        )
        self.add_folder_button = push_button(
            "Add folder…",
            "applyAddFolderButton",
            "Choose a folder of photos",
            self._browse_input_folder,
        )
        inputs_row.addWidget(self.add_files_button)
        inputs_row.addWidget(self.add_folder_button)
        lay.addLayout(inputs_row)
        self.skipped_list = QPlainTextEdit()
        self.skipped_list.setObjectName("applySkippedList")
        self.skipped_list.setReadOnly(True)
        self.skipped_list.setMaximumHeight(90)
        self.skipped_list.setAccessibleName("Files skipped")
        self.skipped_list.hide()
        lay.addWidget(self.skipped_list)
        self.strip = PhotoStrip()
        self.strip.photoChosen.connect(self._photo_chosen)
        self.strip.photos.checkedChanged.connect(self._checked_changed)
        self.strip.hide()
        lay.addWidget(self.strip)

        # the before/after view (or the 1:1 zoom) and the strength under it
        self.before_after = BeforeAfterView()
        self.before_after.set_message("Preparing the preview…")
        self.zoom_view = ZoomView()
        self.views = QStackedWidget()
        self.views.addWidget(self.before_after)
        self.views.addWidget(self.zoom_view)
        lay.addWidget(self.views, 1)
        strength_row = QHBoxLayout()
        strength_label = QLabel("&Strength")
        self.strength = strength_slider(
            "applyStrengthSlider", "How strongly the style is applied: 0 % leaves the photos as they are"
        )
        self.strength.setValue(100)
        strength_label.setBuddy(self.strength)
        self.strength_value = QLabel("100 %")
        self.strength_value.setObjectName("applyStrengthValue")
        self.strength_value.setMinimumWidth(self.strength_value.fontMetrics().horizontalAdvance("100 %") + 6)
        self.strength_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.strength.valueChanged.connect(self._strength_changed)
        strength_row.addWidget(strength_label)
        strength_row.addWidget(self.strength, 1)
        strength_row.addWidget(self.strength_value)
        self.zoom_button = QPushButton("1:1")
        self.zoom_button.setObjectName("applyZoomButton")
        self.zoom_button.setCheckable(True)
        self.zoom_button.setAutoDefault(False)
        self.zoom_button.setToolTip("Show the styled photo at full size, one pixel for one pixel")
        self.zoom_button.setAccessibleName("Zoom to full size")
        self.zoom_button.toggled.connect(self._zoom_toggled)
        strength_row.addWidget(self.zoom_button)
        lay.addLayout(strength_row)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        out_row = QHBoxLayout()
        self.out_edit = QLineEdit()
        self.out_edit.setObjectName("applyOutputEdit")
        self.out_edit.setAccessibleName("Output folder")
        self.out_edit.setToolTip("Where the styled photos go (made if it does not exist; nothing is overwritten)")
        self.out_edit.textEdited.connect(self._out_typed)
        self.browse_button = push_button("Browse…", "applyBrowseButton", "Choose the output folder", self._browse_output)
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(self.browse_button)
        out_label = QLabel("&Output folder")
        out_label.setBuddy(self.out_edit)
        form.addRow(out_label, out_row)

        fmt_row = QHBoxLayout()
        self.format = QComboBox()
        self.format.setObjectName("applyFormatCombo")
        self.format.setAccessibleName("Format")
        for text, value in FORMATS:
            self.format.addItem(text, value)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.quality = spin_box("applyQualitySpin", 1, 100, 92)
        self.quality.setAccessibleName("Quality")
        self.quality.setToolTip("JPEG and WebP quality (1–100)")
        quality_label = QLabel("&Quality")
        quality_label.setBuddy(self.quality)
        fmt_row.addWidget(self.format, 1)
        fmt_row.addSpacing(12)
        fmt_row.addWidget(quality_label)
        fmt_row.addWidget(self.quality)
        fmt_label = QLabel("&Format")
        fmt_label.setBuddy(self.format)
        form.addRow(fmt_label, fmt_row)

        self.names = NameTemplateField()
        self.names.changed.connect(self._names_changed)
        names_label = QLabel("&Names")
        names_label.setBuddy(self.names.edit)
        form.addRow(names_label, self.names)

        size_row = QHBoxLayout()
        self.resize_check = QCheckBox("&Resize to a long edge of")
        self.resize_check.setObjectName("applyResizeCheck")
        self.long_edge = spin_box("applyLongEdgeSpin", 16, 30000, DEFAULT_LONG_EDGE, suffix=" px")
        self.long_edge.setAccessibleName("Long edge in pixels")
        self.long_edge.setToolTip("Bigger photos are made smaller to this long edge; smaller ones are never enlarged")
        self.long_edge.setEnabled(False)
        self.resize_check.toggled.connect(self.long_edge.setEnabled)
        size_row.addWidget(self.resize_check)
        size_row.addWidget(self.long_edge)
        size_row.addStretch(1)
        form.addRow("", size_row)

        options_row = QHBoxLayout()
        self.metadata_check = QCheckBox("Keep &metadata")
        self.metadata_check.setObjectName("applyMetadataCheck")
        self.metadata_check.setChecked(True)
        self.metadata_check.setToolTip("Carry EXIF, DPI and a colour profile over to the styled photos")
        self.location_check = QCheckBox("Drop &location")
        self.location_check.setObjectName("applyLocationCheck")
        self.location_check.setToolTip("Leave the GPS position out of the styled photos; the rest of the EXIF is kept")
        self.metadata_check.toggled.connect(self.location_check.setEnabled)
        self.subfolders_check = QCheckBox("Include s&ubfolders")
        self.subfolders_check.setObjectName("applySubfoldersCheck")
        self.subfolders_check.setToolTip("Also take the photos in folders inside the folders given")
        self.subfolders_check.toggled.connect(lambda _on: self.replan())
        options_row.addWidget(self.metadata_check)
        options_row.addWidget(self.location_check)
        options_row.addSpacing(16)
        options_row.addWidget(self.subfolders_check)
        options_row.addStretch(1)
        form.addRow("", options_row)
        lay.addLayout(form)

        self.error = error_label("applyErrorLabel")
        lay.addWidget(self.error)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("applyCancelButton")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("applyStartButton")
        self.start_button.setDefault(True)
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        lay.addLayout(buttons)
        self._format_changed()

    # --- loading and planning ------------------------------------------------------------------
    async def _load(self) -> None:
        from desktop.library.reading import Library

        library = Library(self.runtime.db, self.runtime.paths)
        try:
            self.style = await run_blocking(library.require, self.style_id)
        except UserError as exc:
            self._plan_error = str(exc)
            self._update_state()
            return
        name = self.style.name
        if len(name) > TITLE_NAME:  # cut at a word, the whole name in the tooltip
            name = name[:TITLE_NAME].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
        self.title.setText(f"Apply “{name}” to photos")
        self.title.setToolTip(self.style.name)
        self.setWindowTitle(f"Apply {self.style.name}")
        self.strength.blockSignals(True)
        self.strength.setValue(round(self.style.strength))
        self.strength.blockSignals(False)
        self.strength_value.setText(f"{self.strength.value()} %")
        self.replan()

    def add_inputs(self, paths: list[str]) -> None:
        """More photos or folders (Add…, or a drop on the dialog)."""
        known = set(self.inputs)
        self.inputs += [p for p in (str(x) for x in paths) if p not in known]
        self.replan()

    def replan(self) -> None:
        """Expand the inputs again (on a worker thread): after a change of inputs or of
        'Include subfolders'."""
        if self.style is None:
            return
        if self._planning:
            self._plan_again = True
            return
        self._planning = True
        self._update_state()
        spawn(self._replan(), name="apply-dialog-plan")

    async def _replan(self) -> None:
        try:
            while True:
                self._plan_again = False
                if not self.inputs:
                    self.plan, self._plan_error = None, ""
                    self._show_plan()
                else:
                    try:
                        plan, default_out = await run_blocking(plan_inputs, list(self.inputs), self.subfolders_check.isChecked(), self.style.name)
                    except UserError as exc:
                        self.plan, self._plan_error = None, str(exc)
                    else:
                        self.plan, self._plan_error = plan, ""
                        if not self._out_edited:  # the default follows the inputs until the person chooses
                            self.out_edit.setText(default_out)
                    self._show_plan()
                if not self._plan_again:
                    break
        finally:
            self._planning = False
        self._check_output()

    def _show_plan(self) -> None:
        plan = self.plan
        if plan is None:
            self.inputs_label.setText(
                "No photos yet: add photos or a folder, or drop them on this window." if not self.inputs else "No photos to apply the style to."
            )
            self.skipped_button.hide()
            self.skipped_list.hide()
            self.strip.set_paths([])
            self.strip.hide()
            self.before_after.clear()
            self.before_after.set_message("The first photo shows here.")
            self.zoom_view.set_message("The first photo shows here.")
            self.preview.set_source(None, None)
        else:
            n = len(plan.files)
            self.inputs_label.setToolTip("\n".join(shown_path(p) for p in plan.files[:20]) + ("\n…" if n > 20 else ""))
            self.skipped_button.setVisible(bool(plan.skipped))
            self.skipped_list.setPlainText("\n".join(plan.skipped_lines()))
            self.skipped_list.setVisible(bool(plan.skipped) and self.skipped_button.isChecked())
            self.strip.set_paths([str(p) for p in plan.files])  # chooses the photo to preview
            self.strip.show()
        self._checked_changed()

    def _photo_chosen(self, path: str) -> None:
        """A photo clicked in the strip (or the first of a new plan): the preview shows it."""
        if self.preview.source_path() != path:
            self.before_after.clear()
            self.before_after.set_message("Preparing the preview…")
            self.zoom_view.set_message("Rendering the photo at full size…")
            self.preview.set_source(self.style, path)
        self.preview.request(self.strength.value())

    def chosen_inputs(self) -> list[str]:
        """What Start styles: the inputs as given when every photo is checked, else the checked
        photos themselves."""
        if self.plan is None or not self.strip.photos.unchecked:
            return list(self.inputs)
        return self.strip.photos.checked_paths()

    def _checked_changed(self) -> None:
        n = len(self.strip.photos.checked_paths()) if self.plan is not None else 0
        self.start_button.setText(f"Apply to {n} photo{'s' if n != 1 else ''}" if self.plan is not None else "Start")
        if self.plan is not None:
            total = len(self.plan.files)
            photos = f"{total} photo{'s' if total != 1 else ''}"
            text = f"{photos if n == total else f'{n} of {photos} checked'} · {human_size(self.plan.total_bytes)}"
            if self.plan.skipped:
                text += f"\n{self.plan.skipped_sentence}"
            self.inputs_label.setText(text)
        self._names_changed()

    def _names_changed(self) -> None:
        checked = self.strip.photos.checked_paths() if self.plan is not None else []
        self.names.set_context(checked[0] if checked else None, self.style.name if self.style else "", self.format.currentData())
        self._update_state()

    def _zoom_toggled(self, on: bool) -> None:
        self.views.setCurrentWidget(self.zoom_view if on else self.before_after)
        self.preview.set_edge(FULL_EDGE if on else PROXY_EDGE)
        if on:
            self.zoom_view.set_message("Rendering the photo at full size…")
        self.preview.request(self.strength.value())

    def _closed(self, _result: int) -> None:
        self.preview.stop()
        self.strip.photos.shutdown()

    # --- output folder -------------------------------------------------------------------------
    def _out_typed(self, _text: str) -> None:
        self._out_edited = True
        self._out_checked = None
        self._update_state()
        self._out_timer.start()

    def set_output(self, folder: str) -> None:
        self._out_edited = True
        self.out_edit.setText(folder)
        self._out_checked = None
        self._update_state()  # Start waits for the new folder's check (it stayed enabled and did nothing)
        self._check_output()

    def _check_output(self) -> None:
        spawn(self._check_output_async(), name="apply-dialog-out")

    async def _check_output_async(self) -> None:
        text = self.out_edit.text()
        try:
            await run_blocking(check_out, text)
            error = ""
        except UserError as exc:
            error = str(exc)
        if text == self.out_edit.text():  # not typed over meanwhile
            self._out_error = error
            self._out_checked = text
            self._update_state()

    def _browse_output(self) -> None:
        choose_output_folder(self, self.out_edit.text(), self.set_output)

    def _browse_files(self) -> None:
        choose_photos(self, self.add_inputs)

    def _browse_input_folder(self) -> None:
        choose_input_folder(self, self.add_inputs)

    # --- options -------------------------------------------------------------------------------
    def _format_changed(self, *_args: object) -> None:
        fmt = self.format.currentData()
        self.quality.setEnabled(fmt in ("same", "jpeg", "webp"))
        if hasattr(self, "names"):
            self._names_changed()

    def _strength_changed(self, value: int) -> None:
        self.strength_value.setText(f"{value} %")
        self.preview.request(value)

    def _preview_ready(self, before: QImage, after: QImage, _strength: float) -> None:
        if self.preview.edge == FULL_EDGE:
            self.zoom_view.set_images(before, after)
        else:
            self.before_after.set_images(before, after)

    def _toggle_skipped(self, on: bool) -> None:
        self.skipped_list.setVisible(on and self.plan is not None and bool(self.plan.skipped))
        self.skipped_button.setText("Hide details" if on else "Details")

    def options(self) -> dict[str, Any]:
        """The choices as ``enqueue_apply`` keywords."""
        return {
            "out": self.out_edit.text().strip(),
            "format": self.format.currentData(),
            "quality": self.quality.value(),
            "long_edge": self.long_edge.value() if self.resize_check.isChecked() else None,
            "strength": float(self.strength.value()),
            "keep_metadata": self.metadata_check.isChecked(),
            "strip_location": self.metadata_check.isChecked() and self.location_check.isChecked(),
            "recursive": self.subfolders_check.isChecked(),
            "name": self.names.template(),
        }

    # --- state ---------------------------------------------------------------------------------
    def problem(self) -> str:
        """The one sentence that keeps Start disabled ('' when there is none)."""
        if self._start_error:
            return self._start_error
        if self._plan_error:
            return self._plan_error
        if self.names.refusal():
            return self.names.refusal()
        if self.plan is not None and not self.strip.photos.checked_paths():
            return "Check at least one photo to style."
        if self.plan is not None and self._out_error and self._out_checked == self.out_edit.text():
            return self._out_error
        return ""

    def ready(self) -> bool:
        return (
            self.style is not None
            and self.plan is not None
            and not self._planning
            and not self._starting
            and self._out_checked == self.out_edit.text()
            and not self._out_error
            and not self._plan_error
            and not self.names.refusal()
            and bool(self.strip.photos.checked_paths())
        )

    def _update_state(self) -> None:
        sentence = self.problem()
        self.error.setText(sentence)
        self.error.setVisible(bool(sentence))
        self.start_button.setEnabled(self.ready())

    # --- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.ready():
            return
        self._starting = True
        self._start_error = ""
        self._update_state()
        spawn(self._start(), name="apply-dialog-start")

    async def _start(self) -> None:
        from desktop.pipelines.apply.request import start_apply

        opts = self.options()
        try:
            started = await run_blocking(start_apply, self.runtime, self.style_id, self.chosen_inputs(), **opts)
        except UserError as exc:
            self._start_error = str(exc)
            self._starting = False
            self._update_state()
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a bug: the log has the traceback, the dialog a sentence
            log.exception("Queuing the batch failed")
            self._start_error = "The batch could not be queued; the details are in the log file."
            self._starting = False
            self._update_state()
            return
        if started.resumed:
            log.info("%s", started.sentence())
        self.job_id, self.resumed = started.job_id, started.resumed
        self.jobStarted.emit(started.job_id)
        self.accept()

    # --- drops ---------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        paths = local_paths(event.mimeData().urls())
        if paths:
            self.add_inputs(paths)
            event.acceptProposedAction()

