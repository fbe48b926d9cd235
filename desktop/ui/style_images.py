"""The detail pane's pictures: tiles that fill their width and enlarge when clicked, and the
dialog that shows one picture whole (``styleImageDialog``).

Decoding happens on worker threads (``read_scaled``); the tiles and the dialog only paint.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QImageReader,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QSizePolicy, QVBoxLayout, QWidget

from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.painting import paint_placeholder, paint_tag, rounded_path, tag_size

FULL_LIMIT = QSize(2400, 2400)  # the enlarged picture is decoded no bigger than this


def read_scaled(path: str, size: QSize, fallback: str | None = None) -> QImage:
    """Blocking: decode an image file scaled to fit ``size`` (never enlarged; worker thread)."""
    if fallback and not Path(path).exists():
        path = fallback
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    src = reader.size()
    if src.isValid():
        fit = src.scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
        if fit.width() < src.width():
            reader.setScaledSize(fit)
    return reader.read()


class ImageTile(QWidget):
    """A picture that fills its width (4:3 box, picture cropped to fill it, rounded corners),
    with an optional caption; click it (or press Enter/Space on it) to see it whole."""

    clicked = Signal()

    def __init__(self, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self.caption = caption
        self.path: str | None = None  # the full-size file, for enlarging
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumSize(80, 60)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{caption}: click to enlarge" if caption else "Click to enlarge")
        self.setAccessibleName(caption or "Preview")
        self.setAccessibleDescription("Press Enter to see it whole")

    def setPixmap(self, pixmap: QPixmap) -> None:  # noqa: N802 - Qt naming
        self._pixmap = pixmap
        self.update()

    def pixmap(self) -> QPixmap | None:
        return self._pixmap

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return width * 3 // 4

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, 120)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        box = QRectF(self.rect())
        clip = rounded_path(box, 6)
        painter.setClipPath(clip)
        if self._pixmap is None or self._pixmap.isNull():
            painter.fillPath(clip, self.palette().color(QPalette.ColorRole.Midlight))
        else:
            size = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            painter.drawPixmap(target.toRect(), self._pixmap)
        if self.caption:
            size = tag_size(painter, self.caption)
            tag = QRectF(6, self.height() - size.height() - 6, min(size.width(), self.width() - 12), size.height())
            text = painter.fontMetrics().elidedText(self.caption, Qt.TextElideMode.ElideRight, int(tag.width()) - 8)
            paint_tag(painter, tag, text, alpha=150)
        if self.hasFocus():
            painter.setClipping(False)
            painter.setPen(self.palette().color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(box.adjusted(1, 1, -1, -1), 6, 6)
        painter.end()


class FittedImage(QWidget):
    """A picture fitted whole into the widget, aspect kept, centred."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 150)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        if self.image.isNull():
            paint_placeholder(painter, self.rect(), self.palette(), "Loading…")
        else:
            painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            if size.width() > self.image.width():  # never enlarged past its own pixels
                size = self.image.size()
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(QRectF(self.rect()).center())
            painter.drawImage(target, self.image)
        painter.end()


class ImageDialog(QDialog):
    """One picture, whole, as big as the screen allows (``styleImageDialog``); Escape closes."""

    def __init__(self, title: str, path: str, parent: QWidget | None = None, preview: QPixmap | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("styleImageDialog")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.path = path
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        self.view = FittedImage()
        self.view.setAccessibleName(title)
        lay.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close (Escape)")
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        if preview is not None and not preview.isNull():
            self.view.set_image(preview.toImage())  # at once, sharp when the file is read
        screen = (parent.screen() if parent is not None else QGuiApplication.primaryScreen()).availableGeometry()
        self.resize(max(480, screen.width() * 3 // 4), max(360, screen.height() * 3 // 4))
        self.loaded = False
        spawn(self._load(), name="style-image-enlarge")

    async def _load(self) -> None:
        image = await run_blocking(read_scaled, self.path, FULL_LIMIT)
        try:
            if not image.isNull():
                self.view.set_image(image)
            self.loaded = True
        except RuntimeError:  # the dialog was closed and deleted meanwhile
            pass
