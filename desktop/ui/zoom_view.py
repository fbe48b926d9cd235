"""A picture at 1:1 (one image pixel to one screen pixel), scrolled by dragging it or with the
scroll bars: the Apply dialog's zoom on its preview (``applyZoomView``), to judge grain and
detail where the fitted before/after view shrinks them. Holding the mouse button without moving
shows the photo before the style (``Before``), released it shows it styled again."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget


class ZoomView(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applyZoomView")
        self.setAccessibleName("The styled photo at full size")
        self.setToolTip("Drag to look around; hold the mouse button still to see the photo before the style")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setText("Rendering the photo at full size…")
        self.setWidget(self.label)
        self.setWidgetResizable(True)
        self._before = QImage()
        self._after = QImage()
        self._grab: QPoint | None = None
        self._moved = False
        self.showing_before = False
        self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)

    def set_images(self, before: QImage, after: QImage) -> None:
        centred = self._after.isNull()
        self._before, self._after = before, after
        self._show(self._before if self.showing_before else self._after)
        if centred:  # the first picture opens on its middle
            for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
                bar.setValue((bar.maximum() + bar.minimum()) // 2)

    def set_message(self, text: str) -> None:
        self._before, self._after = QImage(), QImage()
        self.label.setPixmap(QPixmap())
        self.label.setText(text)

    def has_image(self) -> bool:
        return not self._after.isNull()

    def image_size(self) -> tuple[int, int]:
        return self._after.width(), self._after.height()

    def _show(self, image: QImage) -> None:
        if image.isNull():
            return
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())  # one image pixel, one device pixel
        self.label.setPixmap(pixmap)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if event.button() == Qt.MouseButton.LeftButton:
            self._grab, self._moved = event.position().toPoint(), False
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            if not self._before.isNull():
                self.showing_before = True
                self._show(self._before)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if self._grab is not None:
            here = event.position().toPoint()
            delta = here - self._grab
            if not self._moved and delta.manhattanLength() > 3:
                self._moved = True
                self.showing_before = False  # a drag looks around the styled photo
                self._show(self._after)
            if self._moved:
                self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
                self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
                self._grab = here
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt naming
        if self._grab is not None and event.button() == Qt.MouseButton.LeftButton:
            self._grab = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            if self.showing_before:
                self.showing_before = False
                self._show(self._after)
            event.accept()
            return
        super().mouseReleaseEvent(event)
