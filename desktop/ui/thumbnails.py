"""Thumbnails decoded off the GUI thread, with a small LRU of ready pixmaps.

Images are scaled to *cover* the given size (the card crops the overflow).
``ThumbnailCache.get(path)`` answers at once: the pixmap if it is cached, else ``None`` after
asking a ``QThreadPool`` worker to decode (and scale) the file; ``loaded(path)`` is emitted on
the GUI thread when it is ready. Workers produce ``QImage`` (safe off the GUI thread); the
``QPixmap`` is made on the GUI thread.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPixmap

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(str, QImage)


class _Decode(QRunnable):
    def __init__(self, path: str, size: QSize, signals: _Signals) -> None:
        super().__init__()
        self.path = path
        self.size = size
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        image = QImage()
        try:
            reader = QImageReader(self.path)
            reader.setAutoTransform(True)
            src = reader.size()
            if src.isValid():
                cover = src.scaled(self.size, Qt.AspectRatioMode.KeepAspectRatioByExpanding)
                if cover.width() < src.width():  # never enlarge
                    reader.setScaledSize(cover)
            image = reader.read()
            if image.isNull():
                log.warning("Could not read the thumbnail %s: %s", self.path, reader.errorString())
        except Exception:  # a worker must never take the app down
            log.exception("Decoding the thumbnail %s failed", self.path)
        try:
            self.signals.done.emit(self.path, image)
        except RuntimeError:  # the cache is gone
            pass


class ThumbnailCache(QObject):
    loaded = Signal(str)

    def __init__(self, size: QSize, capacity: int = 240, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self.capacity = capacity
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._failed: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    def get(self, path: str) -> QPixmap | None:
        pixmap = self._pixmaps.get(path)
        if pixmap is not None:
            self._pixmaps.move_to_end(path)
            return pixmap
        if path not in self._pending and path not in self._failed:
            self._pending.add(path)
            self._pool.start(_Decode(path, self.size, self._signals))
        return None

    def failed(self, path: str) -> bool:
        return path in self._failed

    def forget(self, path: str) -> None:
        self._pixmaps.pop(path, None)
        self._failed.discard(path)

    def _on_done(self, path: str, image: QImage) -> None:
        self._pending.discard(path)
        if image.isNull():
            self._failed.add(path)
        else:
            self._pixmaps[path] = QPixmap.fromImage(image)
            self._pixmaps.move_to_end(path)
            while len(self._pixmaps) > self.capacity:
                self._pixmaps.popitem(last=False)
        self.loaded.emit(path)

    def shutdown(self, timeout_ms: int = 2000) -> None:
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    def pending_count(self) -> int:
        return len(self._pending)


def placeholder(size: QSize, color: QColor | None = None) -> QPixmap:
    """A quiet rounded tile shown until the thumbnail arrives."""
    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color or QColor(128, 128, 128, 40))
    painter.drawRoundedRect(pixmap.rect().adjusted(1, 1, -1, -1), 8, 8)
    painter.end()
    return pixmap
