"""Thumbnails decoded off the GUI thread, with a small LRU of ready pixmaps.

The cache is bounded however large the library: at most ``capacity`` pixmaps and
``max_bytes`` of pixel data (the least recently used go first), and it remembers at most
``FAILED_LIMIT`` unreadable paths.

Images are scaled to *cover* the given size (the card crops the overflow).
``ThumbnailCache.get(path)`` answers at once: the pixmap if it is cached, else ``None`` after
asking a worker thread to decode (and scale) the file; ``loaded(path)`` is emitted on the GUI
thread when it is ready. Workers produce ``QImage`` (safe off the GUI thread); the ``QPixmap``
is made on the GUI thread. ``shutdown()`` stops taking work and ``join()`` waits for a decode
still running, so no worker emits into a cache that is being deleted.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPixmap

from desktop.text import shown_path

log = logging.getLogger(__name__)

FAILED_LIMIT = 4096  # unreadable paths remembered (not retried); the oldest are forgotten


def pixmap_bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth()) // 8


def decode_scaled(path: str, size: QSize) -> QImage:
    """Blocking (worker thread): read an image scaled to cover ``size``; a null image if it
    cannot be read."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    src = reader.size()
    if src.isValid():
        cover = src.scaled(size, Qt.AspectRatioMode.KeepAspectRatioByExpanding)
        if cover.width() < src.width():  # never enlarge
            reader.setScaledSize(cover)
    image = reader.read()
    if image.isNull():
        log.warning("Could not read the thumbnail %s: %s", shown_path(path), reader.errorString())
    return image


def decode_fitted(path: str, size: QSize) -> QImage:
    """Blocking (worker thread): the image at ``path`` scaled to fit ``size`` (never enlarged),
    upright; a null image if it cannot be read."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # (outputs are upright already: their orientation tag is 1)
    src = reader.size()
    if src.isValid():
        fitted = src.scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
        if fitted.width() < src.width():
            reader.setScaledSize(fitted)
    image = reader.read()
    if image.isNull():
        log.debug("Could not read the batch output %s: %s", shown_path(path), reader.errorString())
    return image


class ThumbnailCache(QObject):
    loaded = Signal(str)
    _decoded = Signal(str, QImage)  # emitted on a worker thread, delivered on the GUI thread

    def __init__(
        self, size: QSize, capacity: int = 240, parent: QObject | None = None, *, max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        super().__init__(parent)
        self.size = size
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._bytes = 0
        self._pending: set[str] = set()
        self._failed: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first
        self._closed = False
        self._futures: set[concurrent.futures.Future[None]] = set()
        self._futures_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stylestudio-thumbs")
        self._decoded.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    def get(self, path: str) -> QPixmap | None:
        pixmap = self._pixmaps.get(path)
        if pixmap is not None:
            self._pixmaps.move_to_end(path)
            return pixmap
        if path not in self._pending and path not in self._failed and not self._closed:
            self._pending.add(path)
            future = self._executor.submit(self._decode, path)
            with self._futures_lock:
                self._futures.add(future)
            future.add_done_callback(self._forget_future)
        return None

    def _forget_future(self, future: concurrent.futures.Future[None]) -> None:  # any thread
        with self._futures_lock:
            self._futures.discard(future)

    def _decode(self, path: str) -> None:  # worker thread
        try:
            image = decode_scaled(path, self.size)
        except Exception:  # a worker must never take the app down
            log.exception("Decoding the thumbnail %s failed", shown_path(path))
            image = QImage()
        if not self._closed:
            try:
                self._decoded.emit(path, image)
            except RuntimeError:  # the cache is gone
                pass

    def failed(self, path: str) -> bool:
        return path in self._failed

    def is_pending(self, path: str) -> bool:
        return path in self._pending

    def forget(self, path: str) -> None:
        pixmap = self._pixmaps.pop(path, None)
        if pixmap is not None:
            self._bytes -= pixmap_bytes(pixmap)
        self._failed.pop(path, None)

    def _on_done(self, path: str, image: QImage) -> None:
        self._pending.discard(path)
        if image.isNull():
            self._failed[path] = None
            while len(self._failed) > FAILED_LIMIT:
                del self._failed[next(iter(self._failed))]
        else:
            self.forget(path)
            pixmap = QPixmap.fromImage(image)
            self._pixmaps[path] = pixmap
            self._bytes += pixmap_bytes(pixmap)
            while len(self._pixmaps) > 1 and (len(self._pixmaps) > self.capacity or self._bytes > self.max_bytes):
                _old, dropped = self._pixmaps.popitem(last=False)
                self._bytes -= pixmap_bytes(dropped)
        self.loaded.emit(path)

    def cached_count(self) -> int:
        """How many pixmaps are held (the bound is ``capacity``)."""
        return len(self._pixmaps)

    @property
    def cached_bytes(self) -> int:
        """The pixel data of the pixmaps held (the bound is ``max_bytes``)."""
        return self._bytes

    def shutdown(self) -> None:
        """Stop decoding (queued work is dropped; a decode in progress finishes on its own, and
        ``join`` waits for it)."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    def join(self, timeout: float) -> bool:
        """Blocking, after ``shutdown``: wait until no decode is running; False on timeout."""
        with self._futures_lock:
            running = list(self._futures)
        _done, not_done = concurrent.futures.wait(running, timeout=timeout)
        return not not_done

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
