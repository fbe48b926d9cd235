"""The style detail pane (``styleDetail``): previews, palette, prompt, and what to do with it.

With no style shown it says why: "select a style" in a library that has some, a search that
matched none, or, in a new library, an empty state with a New style button
(``newStyleRequested``). The window tells it how many styles there are
(``show_library_state``)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QImage,
    QImageReader,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.library import Library, StyleInfo
from desktop.ui.async_utils import open_and_wait, run_blocking, spawn
from desktop.ui.tones import Tone, ToneLabel

log = logging.getLogger(__name__)

PREVIEW_TILE = QSize(400, 300)  # decode size: sharp at the widest the pane gets


def _read_scaled(path: str, size: QSize, fallback: str | None = None) -> QImage:
    """Blocking: decode an image file scaled to fit ``size`` (worker thread)."""
    if fallback and not Path(path).exists():
        path = fallback
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    src = reader.size()
    if src.isValid():
        reader.setScaledSize(src.scaled(size, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


class ImageTile(QWidget):
    """A preview that fills its width (4:3 box, picture fitted inside, rounded placeholder)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumSize(80, 60)

    def setPixmap(self, pixmap: QPixmap) -> None:  # noqa: N802 - Qt naming
        self._pixmap = pixmap
        self.update()

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return width * 3 // 4

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, 120)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        box = QRectF(self.rect())
        clip = QPainterPath()
        clip.addRoundedRect(box, 6, 6)
        painter.setClipPath(clip)
        if self._pixmap is None or self._pixmap.isNull():
            painter.fillPath(clip, self.palette().color(QPalette.ColorRole.Midlight))
        else:
            size = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            painter.drawPixmap(target.toRect(), self._pixmap)
        painter.end()


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
    deleted = Signal(int)  # style id
    status = Signal(str)  # a short note for the status bar
    newStyleRequested = Signal()  # the empty library's New style button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("styleDetail")
        self.setMinimumWidth(300)
        self.library: Library | None = None
        self.style: StyleInfo | None = None
        self._generation = 0
        self._total: int | None = None  # styles in the library, once the window has said
        self._searching = False

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

        self.name = QLabel()
        self.name.setObjectName("styleNameLabel")
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.name.setFont(font)
        self.meta = ToneLabel(tone=Tone.DIM)
        lay.addWidget(self.name)
        lay.addWidget(self.meta)

        self.previews = QGridLayout()
        self.previews.setSpacing(8)
        lay.addLayout(self.previews)

        lay.addWidget(_section("Palette"))
        self.palette_row = QHBoxLayout()
        self.palette_row.setSpacing(6)
        lay.addLayout(self.palette_row)

        lay.addWidget(_section("Description"))
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        self.export_button = QPushButton("Export .cube…")
        self.export_button.setObjectName("exportCubeButton")
        self.folder_button = QPushButton("Open folder")
        self.folder_button.setObjectName("openFolderButton")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("deleteStyleButton")
        self.copy_button.setToolTip("Copy the prompt to the clipboard")
        self.export_button.setToolTip("Save this style's colour grade as a .cube LUT for photo and video tools")
        self.folder_button.setToolTip("Show this style's files in the file manager")
        self.delete_button.setToolTip("Delete this style and its previews (asks first)")
        buttons.addWidget(self.copy_button, 0, 0)
        buttons.addWidget(self.export_button, 0, 1)
        buttons.addWidget(self.folder_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)
        lay.addLayout(buttons)
        lay.addStretch(1)
        self.addWidget(scroll)
        self.page = scroll

        self.copy_button.clicked.connect(self.copy_prompt)
        self.export_button.clicked.connect(lambda: spawn(self.export_cube()))
        self.folder_button.clicked.connect(self.open_folder)
        self.delete_button.clicked.connect(lambda: spawn(self.delete()))

    # --- showing --------------------------------------------------------------------------------
    def set_library(self, library: Library) -> None:
        self.library = library

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
        self._fill(style)
        for i, img in enumerate(style.images):
            image = await run_blocking(_read_scaled, str(img.thumb_path), PREVIEW_TILE, str(img.path))
            if generation != self._generation:
                return
            item = self.previews.itemAtPosition(i // 2, i % 2)
            if item is not None and item.widget() is not None and not image.isNull():
                item.widget().setPixmap(QPixmap.fromImage(image))

    def _fill(self, style: StyleInfo) -> None:
        self.style = style
        self.name.setText(style.name)
        created = time.strftime("%d %b %Y, %H:%M", time.localtime(style.created_at))
        generator = {"local": "Local generator", "fal": "fal.ai"}.get(style.generator, style.generator)
        self.meta.setText(f"{generator} · {created}")
        _clear(self.previews)
        for i, _img in enumerate(style.images):
            self.previews.addWidget(ImageTile(), i // 2, i % 2)
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
        self.export_button.setEnabled(style.lut_path is not None)
        self.folder_button.setEnabled(style.folder is not None)
        self.setCurrentWidget(self.page)

    # --- actions ------------------------------------------------------------------------------
    def copy_prompt(self) -> None:
        if self.style is not None:
            QGuiApplication.clipboard().setText(self.style.prompt)
            self.status.emit("Prompt copied")

    def open_folder(self) -> None:
        if self.style is not None and self.style.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.style.folder)))

    async def export_cube(self) -> None:
        style = self.style
        if style is None or style.lut_path is None:
            return
        dialog = QFileDialog(self, "Export .cube", str(Path.home() / f"{_safe(style.name)}.cube"), "Cube LUT (*.cube)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("cube")
        accepted = await open_and_wait(dialog) == QFileDialog.DialogCode.Accepted
        files = dialog.selectedFiles()
        dialog.deleteLater()
        if not accepted or not files:
            return
        target = files[0]
        try:
            await run_blocking(_copy_whole, style.lut_path, target)
        except OSError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", f"The .cube file could not be written: {exc.strerror or exc}.", parent=self)
            await open_and_wait(box)
            box.deleteLater()
            return
        self.status.emit(f"Exported {Path(target).name}")

    async def delete(self) -> None:
        style = self.style
        if style is None or self.library is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete style",
            f"Delete “{style.name}” and its previews? This cannot be undone.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        await open_and_wait(box)
        confirmed = box.clickedButton() is delete
        box.deleteLater()
        if not confirmed:
            return
        try:
            await run_blocking(self.library.delete, style.id)
        except UserError as exc:
            self.status.emit(str(exc))
        self.show_style(None)
        self.deleted.emit(style.id)
        self.status.emit(f"Deleted “{style.name}”")


def _clear(layout: QGridLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.deleteLater()


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip()
    return keep or "style"


def _copy_whole(source: Path | str, target: Path | str) -> None:
    """Copy under a temporary name beside the target, then rename: the target is never seen
    half-written (another program watching the folder, or a full disk mid-copy)."""
    import os
    import tempfile

    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
