"""The drop zones of the New style dialog (``referenceDropZone``, ``originalDropZone``): drop an image file, click to browse, or paste.

Every candidate goes through the intake (``desktop.pipelines.preview.request.read_thumbnail``)
on a worker thread: a bad drop (not an image, a damaged file, a folder, a huge picture) is
refused at once with the intake's sentence, and the dialog stays usable. A good one shows a thumbnail and its size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop.errors import UserError
from desktop.pipelines.preview.request import read_thumbnail
from desktop.ui.async_utils import open_and_wait, run_blocking, spawn
from desktop.ui.photo_files import name_filter
from desktop.ui.tones import Tone, ToneLabel, blend, error_color

log = logging.getLogger(__name__)

THUMB = 132
IMAGE_FILTER = name_filter("Images")


@dataclass(frozen=True)
class Reference:
    source: str | bytes  # the file's path, or the bytes of a pasted image
    name: str
    size: tuple[int, int]
    format: str
    thumbnail: QImage


def inspect_reference(source: str | bytes, name: str) -> Reference:
    """Blocking: validate with the intake and make a thumbnail. Raises UserError."""
    thumb = read_thumbnail(source, name, THUMB * 2)
    qimage = QImage(thumb.rgb, thumb.width, thumb.height, thumb.width * 3, QImage.Format.Format_RGB888).copy()
    return Reference(source, name, thumb.size, thumb.format, qimage)


def image_to_png(image: QImage) -> bytes:
    """Blocking: a pasted picture as PNG bytes."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(QByteArray(buffer.data()).data())


def paths_from_mime(mime: QMimeData) -> list[str]:
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


@dataclass(frozen=True)
class DropRole:
    """What a drop zone is for: its names (tests and screen readers find it by them) and the
    words it shows while empty."""

    name: str  # "reference": objectName referenceDropZone, referenceClearButton
    accessible: str
    empty_title: str
    empty_detail: str
    pastes: bool  # Ctrl+V anywhere in the window pastes an image here (one zone per window)


REFERENCE_ROLE = DropRole(
    "reference",
    "Reference image",
    "Drop a reference image here",
    "or click to choose a file, or paste an image (Ctrl+V). Optional.",
    pastes=True,
)
ORIGINAL_ROLE = DropRole(
    "original",
    "Original (before the edit)",
    "Original (before the edit): drop it here",
    "Optional. With the photo as it was before you edited it, the style learns your edit: "
    "the reference above is then the edited photo.",
    pastes=False,
)


class DropZone(QWidget):
    changed = Signal()  # the reference was set or cleared
    refused = Signal(str)  # the sentence that says why a candidate was refused
    busyChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, role: DropRole = REFERENCE_ROLE) -> None:
        super().__init__(parent)
        self.role = role
        self.setObjectName(f"{role.name}DropZone")
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(THUMB + 28)
        self.setAccessibleName(role.accessible)
        self.setAccessibleDescription("Drop an image file here, click to choose one, or paste an image")
        self.reference: Reference | None = None
        self.error: str | None = None
        self._hover = False
        self._busy = 0
        self._generation = 0

        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(14)
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.hide()
        layout.addWidget(self.thumb)
        text_box = QVBoxLayout()
        text_box.setSpacing(4)
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.detail = ToneLabel(tone=Tone.DIM)
        self.detail.setWordWrap(True)
        text_box.addStretch(1)
        text_box.addWidget(self.title)
        text_box.addWidget(self.detail)
        text_box.addStretch(1)
        layout.addLayout(text_box, 1)
        self.clear_button = QToolButton()
        self.clear_button.setObjectName(f"{role.name}ClearButton")
        self.clear_button.setText("Remove")
        self.clear_button.setToolTip(f"Use no {role.name} image")
        self.clear_button.setAccessibleName(f"Remove the {role.name} image")
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.hide()
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignTop)

        # Ctrl+V anywhere in the window pastes an image here (a focused text field keeps
        # its own Ctrl+V for text)
        if role.pastes:
            paste = QShortcut(QKeySequence.StandardKey.Paste, self)
            paste.setContext(Qt.ShortcutContext.WindowShortcut)
            paste.activated.connect(self.paste)
        self._update_text()

    # --- state ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy > 0

    def clear(self) -> None:
        self._generation += 1
        self.reference = None
        self.error = None
        self.thumb.hide()
        self.clear_button.hide()
        self._update_text()
        self.changed.emit()

    def _update_text(self) -> None:
        if self.busy:
            self.title.setText("Checking the image…")
            self.detail.setText("")
        elif self.reference is not None:
            ref = self.reference
            self.title.setText(ref.name)
            w, h = ref.size
            self.detail.setText(f"{w} × {h} px · {ref.format}\nDrop or paste another image to replace it.")
        else:
            self.title.setText(self.role.empty_title)
            self.detail.setText(self.role.empty_detail)
        self.setAccessibleDescription(f"{self.title.text()}. {self.detail.text()}".strip(" ."))
        self.update()

    # --- taking a candidate ---------------------------------------------------------------------
    def set_path(self, path: str) -> None:
        name = Path(path).name or path
        spawn(self._take(path, name), name="reference-inspect")

    def set_bytes(self, data: bytes, name: str = "Pasted image") -> None:
        spawn(self._take(data, name), name="reference-inspect")

    async def _take(self, source: str | bytes, name: str) -> None:
        self._generation += 1
        generation = self._generation
        self._set_busy(+1)
        try:
            ref = await run_blocking(inspect_reference, source, name)
        except UserError as exc:
            if generation == self._generation:
                self.error = str(exc)
                self.refused.emit(self.error)
            return
        except Exception as exc:  # never lose the dialog to an unexpected decoder error
            log.exception("Inspecting a reference image failed")
            if generation == self._generation:
                self.error = f"Can't open \"{name}\": it could not be read as an image ({type(exc).__name__})."
                self.refused.emit(self.error)
            return
        finally:
            self._set_busy(-1)
        if generation != self._generation:
            return
        self.reference = ref
        self.error = None
        pixmap = QPixmap.fromImage(ref.thumbnail).scaled(
            THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.thumb.setPixmap(pixmap)
        self.thumb.show()
        self.clear_button.show()
        self._update_text()
        self.changed.emit()

    def _set_busy(self, delta: int) -> None:
        was = self.busy
        self._busy += delta
        self._update_text()
        if was != self.busy:
            self.busyChanged.emit(self.busy)

    def take_mime(self, mime: QMimeData) -> bool:
        """Use the first file (or image) of a drop or paste; False if there is nothing to use."""
        if mime.hasUrls():
            paths = paths_from_mime(mime)
            if paths:
                self.set_path(paths[0])
                return True
            self.error = "Only files on this computer can be used; save the image to a folder first and drop that file."
            self.refused.emit(self.error)
            return True
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                spawn(self._take_qimage(image), name="reference-paste")
                return True
        return False

    async def _take_qimage(self, image: QImage) -> None:
        self._set_busy(+1)
        try:
            data = await run_blocking(image_to_png, image)
        finally:
            self._set_busy(-1)
        await self._take(data, "Pasted image")

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.take_mime(mime):
            self.error = "The clipboard holds no image; copy an image (or an image file) and paste again."
            self.refused.emit(self.error)

    async def browse(self) -> None:
        dialog = QFileDialog(self, f"Choose {self.role.accessible.lower()}", str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        accepted = await open_and_wait(dialog) == QFileDialog.DialogCode.Accepted
        files = dialog.selectedFiles()
        dialog.deleteLater()
        if accepted and files:
            self.set_path(files[0])

    # --- Qt events ------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            self._hover = True
            self.update()
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001
        self._hover = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._hover = False
        self.update()
        if self.take_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            spawn(self.browse(), name="reference-browse")
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: ANN001
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            spawn(self.browse(), name="reference-browse")
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        rect = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        accent = pal.color(QPalette.ColorRole.Highlight)
        if self._hover:
            fill = QColor(accent)
            fill.setAlpha(30)
            painter.setBrush(fill)
        else:
            painter.setBrush(pal.color(QPalette.ColorRole.Base))
        if self.error and self.reference is None:
            color = error_color(pal)
        elif self._hover or self.hasFocus():
            color = accent
        else:  # a third of the way from the window to its text: visible in light and dark
            color = blend(pal.color(QPalette.ColorRole.Window), pal.color(QPalette.ColorRole.WindowText), 0.35)
        pen = QPen(color, 1.6, Qt.PenStyle.SolidLine if self.reference else Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, 10, 10)
        painter.end()
