"""The Apply dialog's photos as a strip of thumbnails (``applyPhotoStrip``), each with a
checkbox: an unchecked photo is not styled; clicking one (or moving to it with the arrow keys)
previews the style on it.

Fast with hundreds or thousands of photos: a ``QListView`` in icon mode with uniform item sizes
and batched layout asks only for the thumbnails on screen, and those are decoded (scaled down by
the decoder) on worker threads by a ``ThumbnailCache``; a photo shows a quiet tile until its
thumbnail arrives, and the cache's size is bounded however many photos there are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from desktop.text import shown_path
from desktop.ui.thumbnails import ThumbnailCache, placeholder

THUMB = QSize(88, 66)
CELL = QSize(122, 86)  # a thumbnail, its checkbox beside it and its name under it
PathRole = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def cropped(pixmap: QPixmap) -> QPixmap:
    """The middle of a thumbnail that covers ``THUMB``, cut to ``THUMB`` (every tile the same
    shape, a portrait photo too)."""
    if pixmap.width() <= THUMB.width() and pixmap.height() <= THUMB.height():
        return pixmap
    x = max(0, (pixmap.width() - THUMB.width()) // 2)
    y = max(0, (pixmap.height() - THUMB.height()) // 2)
    return pixmap.copy(x, y, min(THUMB.width(), pixmap.width()), min(THUMB.height(), pixmap.height()))


class PhotoStripModel(QAbstractListModel):
    """The plan's photos, each checked (styled) unless the person unchecked it."""

    checkedChanged = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.paths: list[str] = []
        self.unchecked: set[str] = set()
        self._rows: dict[str, int] = {}
        self.cache = ThumbnailCache(THUMB, capacity=400, parent=self, max_bytes=32 * 1024 * 1024)
        self.cache.loaded.connect(self._thumbnail_loaded)
        self._tile = placeholder(THUMB)
        self._broken = placeholder(THUMB)

    def set_paths(self, paths: list[str]) -> None:
        """New photos (a new plan); a photo unchecked before stays unchecked."""
        self.beginResetModel()
        self.paths = list(paths)
        self._rows = {p: i for i, p in enumerate(self.paths)}
        self.unchecked &= set(self.paths)
        self.endResetModel()
        self.checkedChanged.emit()

    def checked_paths(self) -> list[str]:
        return [p for p in self.paths if p not in self.unchecked]

    def set_checked(self, path: str, on: bool) -> None:
        row = self._rows.get(path)
        if row is None or (path not in self.unchecked) == on:
            return
        (self.unchecked.discard if on else self.unchecked.add)(path)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checkedChanged.emit()

    def set_all_checked(self, on: bool) -> None:
        self.unchecked = set() if on else set(self.paths)
        if self.paths:
            self.dataChanged.emit(self.index(0), self.index(len(self.paths) - 1), [Qt.ItemDataRole.CheckStateRole])
        self.checkedChanged.emit()

    def _thumbnail_loaded(self, path: str) -> None:
        row = self._rows.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # --- the model -----------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt naming
        return 0 if parent.isValid() else len(self.paths)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.paths):
            return None
        path = self.paths[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return Path(path).name
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap: QPixmap | None = self.cache.get(path)
            if pixmap is None:
                return self._broken if self.cache.failed(path) else self._tile
            return cropped(pixmap)
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Unchecked if path in self.unchecked else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.ToolTipRole:
            state = "not styled (unchecked)" if path in self.unchecked else "styled"
            return f"{shown_path(path)}\n{state}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{Path(path).name}, {'unchecked' if path in self.unchecked else 'checked'}"
        if role == PathRole:
            return path
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 - Qt naming
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        self.set_checked(self.paths[index.row()], on)
        return True

    def shutdown(self) -> None:
        self.cache.shutdown()


class PhotoStrip(QListView):
    """One row of thumbnails that scrolls sideways; ``photoChosen(path)`` when a photo is
    clicked or reached with the keys."""

    photoChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applyPhotoStrip")
        self.setAccessibleName("Photos to style")
        self.setToolTip("Click a photo to preview the style on it; uncheck the photos you do not want styled")
        self.photos = PhotoStripModel(self)
        self.setModel(self.photos)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setIconSize(THUMB)
        self.setGridSize(CELL)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(CELL.height() + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth())
        self.selectionModel().currentChanged.connect(self._current_changed)

    def set_paths(self, paths: list[str]) -> None:
        current = self.current_path()
        self.photos.set_paths(paths)
        if paths:
            row = paths.index(current) if current in paths else 0
            self.setCurrentIndex(self.photos.index(row))

    def current_path(self) -> str | None:
        index = self.currentIndex()
        return self.photos.paths[index.row()] if index.isValid() and index.row() < len(self.photos.paths) else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.photoChosen.emit(self.photos.paths[current.row()])

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt naming
        if event.key() == Qt.Key.Key_Space and self.currentIndex().isValid():  # Space: check / uncheck
            path = self.photos.paths[self.currentIndex().row()]
            self.photos.set_checked(path, path in self.photos.unchecked)
            return
        super().keyPressEvent(event)
