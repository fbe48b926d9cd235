"""The style detail pane (``styleDetail``): the style's story and what to do with it.

It shows the reference photo (``styleReferenceImage``) and the previews (each enlarges when
clicked), the strength (``styleStrengthSlider`` with a live before/after; "Save strength"
queues a strength job and says so with ``jobStarted``), the words understood and what
each did (``styleWordsLabel``), what is in the .cube and what is an effect
(``styleEffectsLabel``), the match to the reference (``styleQualityLabel``), the palette, the
description and the prompt. "Apply to photos…" (``detailApplyButton``) emits
``applyRequested``; "Export…" (``detailExportButton``) emits ``exportRequested`` (the window's
export dialog); image files or folders dropped on the pane emit ``photosDropped``.

With no style shown it says why: "select a style" in a library that has some, a search that
matched none, or, in a new library, an empty state with a New style button
(``newStyleRequested``). The window tells it how many styles there are
(``show_library_state``)."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QGuiApplication,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.jobs.model import FAILED, SUCCEEDED, JobRow
from desktop.library.reading import Library, StyleInfo
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.jobs_model import JobsModel
from desktop.ui.name_field import NameField
from desktop.ui.strength_editor import StrengthEditor
from desktop.ui.style_images import ImageDialog, ImageTile, read_scaled
from desktop.ui.style_story import cube_text, quality_text, words_text
from desktop.ui.tones import Tone, ToneLabel, reading_label

PLAIN = Qt.TextFormat.PlainText

log = logging.getLogger(__name__)

PREVIEW_TILE = QSize(400, 300)  # decode size: sharp at the widest the pane gets


def _section(text: str) -> QLabel:
    label = ToneLabel(text.upper(), Tone.DIM)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.85)
    font.setBold(True)
    font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.0)
    label.setFont(font)
    return label


class Placeholder(QWidget):
    """What the pane shows with no style: a title, a sentence, and maybe a button."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 24, 24, 24)
        lay.setSpacing(10)
        lay.addStretch(1)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.body = ToneLabel(tone=Tone.DIM)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        lay.addWidget(self.title)
        lay.addWidget(self.body)
        self.button_row = QHBoxLayout()
        self.button_row.addStretch(1)
        self.button_row.addStretch(1)
        lay.addSpacing(6)
        lay.addLayout(self.button_row)
        lay.addStretch(1)

    def set_text(self, title: str, body: str) -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.body.setText(body)

    def add_button(self, button: QPushButton) -> None:
        self.button_row.insertWidget(1, button)


class StyleDetail(QStackedWidget):
    deleteRequested = Signal(int)  # style id: "Delete" (the window deletes it, with an Undo)
    status = Signal(str)  # a short note for the status bar
    newStyleRequested = Signal()  # the empty library's New style button
    jobStarted = Signal(int)  # a job this pane queued (a strength job): the window follows it
    styleChanged = Signal(int)  # a job this pane queued changed this style (its previews, its .cube)
    applyRequested = Signal(int)  # style id: "Apply to photos…"
    exportRequested = Signal(int)  # style id: "Export…"
    photosDropped = Signal(int, list)  # style id, the dropped files and folders (path strings)
    loaded = Signal(int)  # style id: shown whole (its pictures read, the scroll position kept)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("styleDetail")
        self.setMinimumWidth(300)
        self.setAcceptDrops(True)
        self.library: Library | None = None
        self.runtime: Any = None
        self.style: StyleInfo | None = None
        self._generation = 0
        self._total: int | None = None  # styles in the library, once the window has said
        self._searching = False
        self.jobs: JobsModel | None = None  # the window's jobs: how a strength job's end arrives
        self._saving: dict[int, tuple[StyleInfo, int]] = {}  # strength job id -> (its style, the strength)
        self.image_dialogs: list[ImageDialog] = []

        self.none = Placeholder("styleDetailPlaceholder")
        self.none.set_text("", "Select a style to see its previews, palette and prompt.")
        self.addWidget(self.none)
        self.empty = Placeholder("styleDetailEmptyState")
        self.empty.set_text(
            "No styles yet",
            "Your library is empty. Make your first style: its previews, palette and prompt will show here.",
        )
        self.empty_button = QPushButton("New style…")
        self.empty_button.setObjectName("detailNewStyleButton")
        self.empty_button.setToolTip("Describe a new style (Ctrl+N)")
        self.empty_button.setAccessibleName("New style")
        self.empty_button.clicked.connect(self.newStyleRequested)
        self.empty.add_button(self.empty_button)
        self.addWidget(self.empty)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        scroll.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(18, 16, 18, 16)
        lay.setSpacing(10)

        self.name = reading_label("styleNameLabel")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.name.setFont(font)
        self.name_field = NameField(self.name)
        self.name_field.renameRequested.connect(lambda name: spawn(self.rename(name), name="style-rename"))
        self.meta = ToneLabel(tone=Tone.DIM)
        lay.addWidget(self.name_field)
        lay.addWidget(self.meta)

        # the main action right under the name, above the fold of any window size
        self.apply_button = QPushButton("Apply to photos…")
        self.apply_button.setObjectName("detailApplyButton")
        self.apply_button.setToolTip("Apply this style to your photos (or drop photos and folders on this pane)")
        self.apply_button.setAccessibleName("Apply to photos")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self._apply_clicked)
        lay.addWidget(self.apply_button)

        self.previews = QGridLayout()
        self.previews.setSpacing(8)
        lay.addLayout(self.previews)
        self.reference_tile: ImageTile | None = None

        lay.addWidget(_section("Strength"))
        self.strength = StrengthEditor()
        self.strength.saveRequested.connect(lambda value: spawn(self.save_strength(value), name="style-strength-save"))
        lay.addWidget(self.strength)

        lay.addWidget(_section("Your words"))
        self.words = reading_label("styleWordsLabel", text_format=PLAIN, accessible="The words of the description, and what each did")
        lay.addWidget(self.words)

        lay.addWidget(_section("The .cube and the effects"))
        self.effects = reading_label(
            "styleEffectsLabel",
            text_format=PLAIN,
            accessible="What the .cube file holds, and the effects only Style Studio renders",
        )
        lay.addWidget(self.effects)

        self.quality_title = _section("Quality")
        lay.addWidget(self.quality_title)
        self.quality = reading_label(
            "styleQualityLabel", text_format=PLAIN, accessible="How close the style brings photos to its reference"
        )
        lay.addWidget(self.quality)

        lay.addWidget(_section("Palette"))
        self.palette_row = QHBoxLayout()
        self.palette_row.setSpacing(6)
        lay.addLayout(self.palette_row)

        lay.addWidget(_section("Description"))
        self.description = reading_label()
        lay.addWidget(self.description)

        lay.addWidget(_section("Prompt"))
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("stylePromptEdit")
        self.prompt.setReadOnly(True)
        self.prompt.setMaximumHeight(110)
        self.prompt.setAccessibleName("Prompt")
        self.prompt.setToolTip("The prompt this style was made with")
        lay.addWidget(self.prompt)

        buttons = QGridLayout()
        buttons.setSpacing(6)
        self.copy_button = QPushButton("Copy prompt")
        self.copy_button.setObjectName("copyPromptButton")
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("detailExportButton")
        self.folder_button = QPushButton("Open folder")
        self.folder_button.setObjectName("openFolderButton")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("deleteStyleButton")
        self.copy_button.setToolTip("Copy the prompt to the clipboard")
        self.export_button.setToolTip("Save this style as a style pack, a .cube LUT or a HaldCLUT PNG (Ctrl+E)")
        self.folder_button.setToolTip("Show this style's files in the file manager")
        self.delete_button.setToolTip("Delete this style (Undo in the status bar, or Ctrl+Z, brings it back)")
        buttons.addWidget(self.copy_button, 0, 0)
        buttons.addWidget(self.export_button, 0, 1)
        buttons.addWidget(self.folder_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)
        lay.addLayout(buttons)
        lay.addStretch(1)
        self.addWidget(scroll)
        self.page = scroll

        self.copy_button.clicked.connect(self.copy_prompt)
        self.export_button.clicked.connect(self._export_clicked)
        self.folder_button.clicked.connect(self.open_folder)
        self.delete_button.clicked.connect(self._delete_clicked)

    # --- showing --------------------------------------------------------------------------------
    def set_library(self, library: Library) -> None:
        self.library = library

    def set_runtime(self, runtime: Any) -> None:
        """The open library's runtime: its engine queues the jobs this pane starts."""
        self.runtime = runtime
        if self.library is None:
            self.set_library(Library(runtime.db, runtime.paths))

    def set_jobs(self, jobs: JobsModel) -> None:
        """The window's jobs model: a strength job this pane queued is followed through its
        ``jobEnded``, as every view of the window follows its jobs."""
        self.jobs = jobs
        jobs.jobEnded.connect(self._job_ended)

    def _the_runtime(self) -> Any:
        # until the window hands it over with set_runtime, the window's own is used
        return self.runtime if self.runtime is not None else getattr(self.window(), "runtime", None)

    def leave_the_empty_library_to_the_gallery(self) -> None:
        """Beside a gallery that has its own empty state (and New style button), the pane
        says one quiet line instead of a second message and a second button."""
        self.empty.set_text("", "A style's previews, palette and prompt show here.")
        self.empty_button.hide()

    def show_library_state(self, total: int, searching: bool = False) -> None:
        """How many styles the gallery shows (``total``), and whether a search narrows them:
        picks what the pane says when no style is shown."""
        self._total = total
        self._searching = searching
        if self.style is None or total == 0:
            self._show_placeholder()

    def _show_placeholder(self) -> None:
        self.style = None
        if self._total == 0 and not self._searching:
            self.setCurrentWidget(self.empty)
            return
        if self._total == 0:
            self.none.set_text("No style matches", "Change or clear the search (Escape) to see your styles.")
        else:
            self.none.set_text("", "Select a style to see its previews, palette and prompt.")
        self.setCurrentWidget(self.none)

    def show_style(self, style_id: int | None) -> None:
        """Show a style by id (read on a worker thread); None clears the pane."""
        self._generation += 1
        if style_id is None or self.library is None:
            self._show_placeholder()
            return
        spawn(self._load(style_id, self._generation), name="style-detail-load")

    async def _load(self, style_id: int, generation: int) -> None:
        assert self.library is not None
        style = await run_blocking(self.library.get, style_id)
        if generation != self._generation:
            return
        if style is None:
            self._show_placeholder()
            return
        reason = await run_blocking(_not_adjustable, style)
        if generation != self._generation:
            return
        # the same style shown again (after Save strength, a rename): the pane stays where it was
        again = self.style is not None and self.style.id == style_id and self.currentWidget() is self.page
        scrolled = self.page.verticalScrollBar().value() if again else 0
        self._fill(style, reason)
        self._scroll_to(scrolled)
        tiles: list[tuple[ImageTile, str, str | None]] = []
        if self.reference_tile is not None and style.reference_path is not None:
            tiles.append((self.reference_tile, str(style.reference_path), None))
        for i, img in enumerate(style.images):
            tile = self._preview_tile(i)
            if tile is not None:
                tiles.append((tile, str(img.thumb_path), str(img.path)))
        for tile, path, fallback in tiles:
            image = await run_blocking(read_scaled, path, PREVIEW_TILE, fallback)
            if generation != self._generation:
                return
            if not image.isNull():
                tile.setPixmap(QPixmap.fromImage(image))
        self._scroll_to(scrolled)
        self.loaded.emit(style_id)

    def _scroll_to(self, value: int) -> None:
        """Scroll the page to ``value`` once its new layout is in place (pending layout requests
        are handled first, so the scroll bar's range is the new one)."""
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.page.verticalScrollBar().setValue(value)

    def _preview_tile(self, index: int) -> ImageTile | None:
        offset = 1 if self.reference_tile is not None else 0
        item = self.previews.itemAtPosition((index + offset) // 2, (index + offset) % 2)
        widget = item.widget() if item is not None else None
        return widget if isinstance(widget, ImageTile) else None

    def _fill(self, style: StyleInfo, reason: str | None = None) -> None:
        # the same style again: its pictures stay until their new files are read (the page keeps its height)
        same = self.style is not None and self.style.id == style.id
        tiles = [self.previews.itemAt(i).widget() for i in range(self.previews.count())] if same else []
        before = {t.objectName(): t.pixmap() for t in tiles if isinstance(t, ImageTile)}
        self.style = style
        self.name_field.show_name(style.name)
        created = time.strftime("%d %b %Y, %H:%M", time.localtime(style.created_at))
        generator = {"local": "Local generator", "fal": "fal.ai"}.get(style.generator, style.generator)
        self.meta.setText(f"{generator} · {created}")
        _clear(self.previews)
        self.reference_tile = None
        position = 0
        if style.reference_path is not None:
            tile = ImageTile("Reference")
            tile.setObjectName("styleReferenceImage")
            tile.setAccessibleName("Reference photo")
            tile.setToolTip("The reference photo: click to enlarge")
            tile.path = str(style.reference_path)
            tile.clicked.connect(lambda t=tile: self.enlarge(t, f"{style.name}: reference"))
            self.previews.addWidget(tile, 0, 0)
            self.reference_tile = tile
            position = 1
        for i, img in enumerate(style.images):
            tile = ImageTile()
            tile.setObjectName(f"stylePreview{i + 1}")
            tile.setAccessibleName(f"Preview {i + 1}")
            tile.setToolTip(f"Preview {i + 1}: click to enlarge")
            tile.path = str(img.path)
            tile.clicked.connect(lambda t=tile, n=i + 1: self.enlarge(t, f"{style.name}: preview {n}"))
            self.previews.addWidget(tile, (position + i) // 2, (position + i) % 2)
        for tile in (self.reference_tile, *(self._preview_tile(i) for i in range(len(style.images)))):
            kept = before.get(tile.objectName()) if tile is not None else None
            if tile is not None and kept is not None and not kept.isNull():
                tile.setPixmap(kept)
        _clear(self.palette_row)
        palette = (style.analysis or {}).get("palette") or []
        for entry in palette[:10]:
            hex_ = str(entry.get("hex", "#808080"))
            swatch = QLabel()
            swatch.setFixedSize(30, 30)
            swatch.setToolTip(f"{entry.get('name', '')} {hex_}".strip())
            swatch.setAccessibleName(swatch.toolTip())
            color = QColor(hex_)
            border = color.darker(130).name()
            swatch.setStyleSheet(f"background: {color.name()}; border: 1px solid {border}; border-radius: 6px;")
            self.palette_row.addWidget(swatch)
        if not palette:
            self.palette_row.addWidget(QLabel("—"))
        self.palette_row.addStretch(1)
        self.description.setText(style.description)
        self.prompt.setPlainText(style.prompt)
        self.copy_button.setEnabled(bool(style.prompt.strip()))  # an imported LUT has no prompt
        self.words.setText(words_text(style.params, style.description))
        self.effects.setText(cube_text(style.params))
        quality = quality_text(style.params)
        self.quality.setText(quality)
        self.quality.setVisible(bool(quality))
        self.quality_title.setVisible(bool(quality))
        self.strength.set_style(style, reason)
        if style.id in self._saving:
            self.strength.set_saving(True, "Saving the new strength…")
        self.export_button.setEnabled(style.lut_path is not None)
        self.folder_button.setEnabled(style.folder is not None)
        self.apply_button.setEnabled(style.lut_path is not None)
        self.setCurrentWidget(self.page)

    def enlarge(self, tile: ImageTile, title: str) -> ImageDialog | None:
        """Show a tile's picture whole in a dialog of its own."""
        if not tile.path:
            return None
        dialog = ImageDialog(title, tile.path, self, preview=tile.pixmap())
        self.image_dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self._image_dialog_closed(d))
        dialog.open()
        return dialog

    def _image_dialog_closed(self, dialog: ImageDialog) -> None:
        if dialog in self.image_dialogs:
            self.image_dialogs.remove(dialog)
        dialog.deleteLater()

    # --- strength -------------------------------------------------------------------------------
    async def save_strength(self, strength: int) -> int | None:
        """Queue a strength job for the shown style; once the jobs model says it ended, show
        the style again (its new .cube, previews and strength). Returns the job id."""
        from desktop.pipelines.strength.request import enqueue_strength

        style, runtime = self.style, self._the_runtime()
        if style is None or runtime is None or any(s.id == style.id for s, _ in self._saving.values()):
            return None
        self.strength.set_saving(True, f"Saving at {strength} %…")
        try:
            job_id = await run_blocking(enqueue_strength, runtime, style.id, strength, **self.strength.changed_levels())
        except UserError as exc:
            self.strength.set_saving(False, str(exc), error=True)
            return None
        self._saving[job_id] = (style, strength)
        self.jobStarted.emit(job_id)
        jobs = self.jobs if self.jobs is not None else getattr(self.window(), "jobs_model", None)
        row = jobs.find(job_id) if jobs is not None else None
        if row is not None and row.is_finished:  # (its end was seen already: a very fast job)
            self._job_ended(row)
        return job_id

    def _job_ended(self, row: JobRow) -> None:
        """A job ended (``JobsModel.jobEnded``): one of this pane's strength jobs says how the
        save went."""
        saving = self._saving.pop(row.id, None)
        if saving is None:
            return
        style, strength = saving
        shown = self.style is not None and self.style.id == style.id
        if row.status == SUCCEEDED:
            self.styleChanged.emit(style.id)
            self.status.emit(f"“{style.name}” now grades at {strength} %")
            if shown:
                self.show_style(style.id)
        elif shown:
            error = row.error if row.status == FAILED and row.error else "The strength was not saved."
            self.strength.set_saving(False, error, error=True)

    # --- photos for the style ---------------------------------------------------------------------
    def _apply_clicked(self) -> None:
        if self.style is not None:
            self.applyRequested.emit(self.style.id)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        if self.style is not None and self.currentWidget() is self.page and _local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()  # the window takes it (a new style from a dropped picture)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt naming
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        paths = _local_paths(event.mimeData())
        if self.style is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.photosDropped.emit(self.style.id, paths)

    # --- actions ------------------------------------------------------------------------------
    def copy_prompt(self) -> None:
        if self.style is not None and not self.style.prompt.strip():
            self.status.emit("This style has no prompt to copy (it was not made from words).")
        elif self.style is not None:
            QGuiApplication.clipboard().setText(self.style.prompt)
            self.status.emit("Prompt copied")

    def open_folder(self) -> None:
        if self.style is not None and self.style.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.style.folder)))

    def _export_clicked(self) -> None:
        if self.style is not None:
            self.exportRequested.emit(self.style.id)

    async def rename(self, name: str) -> None:
        """Save ``name`` as the shown style's name (F2, or a double-click on the heading); a
        refused name leaves the old one, with the reason in the status bar."""
        style = self.style
        if style is None or self.library is None:
            return
        from desktop.library.writing import rename_style

        try:
            stored = await run_blocking(rename_style, self.library.db, style.id, name)
        except UserError as exc:
            self.status.emit(str(exc))
            return
        if self.style is not None and self.style.id == style.id:
            self.style = dataclasses.replace(self.style, name=stored)
            self.name_field.show_name(stored)
        self.styleChanged.emit(style.id)
        self.status.emit(f"Renamed “{style.name}” to “{stored}”")

    def _delete_clicked(self) -> None:
        if self.style is not None:
            self.deleteRequested.emit(self.style.id)


def _not_adjustable(style: StyleInfo) -> str | None:
    """Blocking (it looks at files): why the style's strength cannot be changed, or None."""
    from desktop.pipelines.strength.request import not_adjustable

    return not_adjustable(style)


def _local_paths(mime: QMimeData) -> list[str]:
    """The local files and folders a drag carries (web links and the like are left out)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def _clear(layout: QGridLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.deleteLater()
