"""A before/after split view (``beforeAfterView``): the original left of a draggable vertical
divider, the styled photo right of it.

Both images are drawn over the same rectangle (scaled to fit, aspect kept, centred); the
divider says where one stops showing and the other starts. Drag the divider (or click
anywhere), or use Left/Right (Shift for bigger steps, Home/End for the ends) to move it.
The images are set ready-made (``set_images``): computing them is someone else's job
(``desktop.pipelines.preview`` renders them in the worker processes; ``decode_pair`` turns
its PNG bytes into images, on a worker thread).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.ui.painting import paint_placeholder, paint_tag, rounded_path, tag_size

KEY_STEP = 0.02  # Left/Right
BIG_STEP = 0.10  # Shift+Left/Right
GRAB = 8  # pixels either side of the divider that grab it


def decode_pair(pngs: tuple[bytes, bytes]) -> tuple[QImage, QImage]:
    """Blocking (worker thread): a rendered (before, after) pair of PNG bytes as images (RGB888,
    as the renders were made, so they scale to the view exactly as before)."""
    before, after = (QImage.fromData(data, "PNG").convertToFormat(QImage.Format.Format_RGB888) for data in pngs)
    return before, after


class BeforeAfterView(QWidget):
    splitChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beforeAfterView")
        self.setAccessibleName("Before and after")
        self.setAccessibleDescription(
            "The original photo left of the divider, with the style right of it; Left and Right move the divider."
        )
        self.setToolTip("Before (left) and after (right): drag the divider, or use the Left and Right keys")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 110)
        self.setMouseTracking(True)
        self._before = QImage()
        self._after = QImage()
        self._split = 0.5
        self._dragging = False
        self._message = ""
        self._scaled: dict[str, QImage] = {}  # cache of the images at the current draw size

    # --- API --------------------------------------------------------------------------------
    def set_images(self, before: QImage, after: QImage) -> None:
        self._before = QImage(before)
        self._after = QImage(after)
        self._message = ""
        self._scaled.clear()
        self.update()

    def clear(self) -> None:
        self._before = QImage()
        self._after = QImage()
        self._scaled.clear()
        self.update()

    def set_message(self, text: str) -> None:
        """A line shown while there is no image (e.g. "Preparing the preview…")."""
        self._message = text
        self.update()

    def has_images(self) -> bool:
        return not self._before.isNull() and not self._after.isNull()

    def before_image(self) -> QImage:
        return self._before

    def after_image(self) -> QImage:
        return self._after

    def split(self) -> float:
        return self._split

    def set_split(self, value: float) -> None:
        value = min(1.0, max(0.0, float(value)))
        if value != self._split:
            self._split = value
            self.update()
            self.splitChanged.emit(value)

    # --- geometry ---------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(360, 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(160, 110)

    def image_rect(self) -> QRect:
        """Where the photo is drawn (fitted into the widget, aspect kept, centred)."""
        area = self.rect().adjusted(1, 1, -1, -1)
        src = self._before if not self._before.isNull() else self._after
        if src.isNull() or src.width() <= 0 or src.height() <= 0:
            return area
        size = src.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = area.x() + (area.width() - size.width()) // 2
        y = area.y() + (area.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def divider_x(self) -> int:
        r = self.image_rect()
        return r.x() + round(self._split * r.width())

    def _split_at(self, x: float) -> float:
        r = self.image_rect()
        return (x - r.x()) / max(1, r.width())

    def _fitted(self, key: str, image: QImage, size: QSize) -> QImage:
        cached = self._scaled.get(key)
        if cached is None or cached.size() != size:
            cached = image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
            self._scaled[key] = cached
        return cached

    # --- painting ---------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        if not self.has_images():
            paint_placeholder(p, self.rect().adjusted(8, 8, -8, -8), pal, self._message or "No preview yet")
            p.end()
            return
        r = self.image_rect()
        x = self.divider_x()
        before = self._fitted("before", self._before, r.size())
        after = self._fitted("after", self._after, r.size())
        left = QRect(r.x(), r.y(), x - r.x(), r.height())
        right = QRect(x, r.y(), r.right() + 1 - x, r.height())
        if left.width() > 0:
            p.drawImage(left, before, left.translated(-r.x(), -r.y()))
        if right.width() > 0:
            p.drawImage(right, after, right.translated(-r.x(), -r.y()))
        # the divider and its handle
        p.setPen(QPen(QColor(255, 255, 255, 230), 2))
        p.drawLine(x, r.top(), x, r.bottom())
        p.setPen(QPen(QColor(0, 0, 0, 90), 1))
        p.drawLine(x + 1, r.top(), x + 1, r.bottom())
        handle = QRectF(x - 9, r.center().y() - 14, 18, 28)
        path = rounded_path(handle, 6)
        p.fillPath(path, QColor(255, 255, 255, 235))
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawPath(path)
        p.setPen(QPen(QColor(60, 60, 60), 1.5))
        cy = handle.center().y()
        for dx in (-3.0, 3.0):
            p.drawLine(QPointF(x + dx, cy - 6), QPointF(x + dx, cy + 6))
        # labels
        self._tag(p, r, "Before", left=True)
        self._tag(p, r, "After", left=False)
        if self.hasFocus():
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.end()

    def _tag(self, p: QPainter, r: QRect, text: str, *, left: bool) -> None:
        size = tag_size(p, text)
        w, h = size.width(), size.height()
        if r.width() < 2 * w + 24 or r.height() < h + 12:
            return
        x = r.x() + 6 if left else r.right() - 6 - w
        paint_tag(p, QRectF(x, r.y() + 6, w, h), text)

    # --- input ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if event.button() == Qt.MouseButton.LeftButton and self.has_images():
            self._dragging = True
            self.set_split(self._split_at(event.position().x()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if self._dragging:
            self.set_split(self._split_at(event.position().x()))
            event.accept()
            return
        near = self.has_images() and abs(event.position().x() - self.divider_x()) <= GRAB
        self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        step = BIG_STEP if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else KEY_STEP
        key = event.key()
        if key == Qt.Key.Key_Left:
            self.set_split(self._split - step)
        elif key == Qt.Key.Key_Right:
            self.set_split(self._split + step)
        elif key == Qt.Key.Key_Home:
            self.set_split(0.0)
        elif key == Qt.Key.Key_End:
            self.set_split(1.0)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        self._scaled.clear()
        super().resizeEvent(event)
