"""A list model of items with a stable key, kept sorted (descending) by a fixed sort key.

Views keep their selection and scroll position across refreshes because a refresh is applied
as the smallest set of row removals, insertions and ``dataChanged`` calls, never as a reset.
Callers always act on keys (job ids, style ids), never on row numbers.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex

T = TypeVar("T")

Index = QModelIndex | QPersistentModelIndex


class KeyedListModel(QAbstractListModel, Generic[T]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[T] = []
        self._rows: dict[Hashable, int] = {}

    # --- subclasses ---------------------------------------------------------------------------
    def key(self, item: T) -> Hashable:
        raise NotImplementedError

    def sort_key(self, item: T) -> Any:
        """Items are kept in descending order of this (it must not change for a key)."""
        raise NotImplementedError

    def same(self, a: T, b: T) -> bool:
        return a == b

    # --- Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    # --- reading ------------------------------------------------------------------------------
    def items(self) -> list[T]:
        return list(self._items)

    def item(self, row: int) -> T | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def item_at(self, index: Index) -> T | None:
        return self.item(index.row()) if index.isValid() else None

    def find(self, key: Hashable) -> T | None:
        row = self._rows.get(key)
        return None if row is None else self._items[row]

    def row_of(self, key: Hashable) -> int:
        return self._rows.get(key, -1)

    def index_of(self, key: Hashable) -> QModelIndex:
        row = self.row_of(key)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    # --- changing -----------------------------------------------------------------------------
    def _reindex(self, start: int = 0) -> None:
        if start == 0:
            self._rows = {}
        for row in range(start, len(self._items)):
            self._rows[self.key(self._items[row])] = row

    def _insert_position(self, item: T) -> int:
        sk = self.sort_key(item)
        lo, hi = 0, len(self._items)
        while lo < hi:  # descending order: first position whose sort key is below ours
            mid = (lo + hi) // 2
            if self.sort_key(self._items[mid]) > sk:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def upsert(self, item: T) -> None:
        """Insert the item in order, or update it in place."""
        row = self._rows.get(self.key(item))
        if row is not None:
            if not self.same(self._items[row], item):
                self._items[row] = item
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx)
            return
        pos = self._insert_position(item)
        self.beginInsertRows(QModelIndex(), pos, pos)
        self._items.insert(pos, item)
        self._reindex(pos)
        self.endInsertRows()

    def append_rows(self, items: list[T]) -> None:
        """Add items that all sort after the last one (and after each other), at the end."""
        if not items:
            return
        start = len(self._items)
        self.beginInsertRows(QModelIndex(), start, start + len(items) - 1)
        self._items.extend(items)
        self._reindex(start)
        self.endInsertRows()

    def remove_key(self, key: Hashable) -> bool:
        row = self._rows.get(key)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        del self._rows[key]
        self._reindex(row)
        self.endRemoveRows()
        return True

    def replace_all(self, new_items: Iterable[T]) -> None:
        """Make the list equal to ``new_items`` (sorted descending, unique keys) with minimal
        row changes."""
        new = list(new_items)
        if not self._items:
            if new:
                self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
                self._items = new
                self._reindex()
                self.endInsertRows()
            return
        new_keys = {self.key(i) for i in new}
        # 1. remove what is gone, bottom up, in contiguous runs
        row = len(self._items) - 1
        while row >= 0:
            if self.key(self._items[row]) in new_keys:
                row -= 1
                continue
            end = row
            while row >= 0 and self.key(self._items[row]) not in new_keys:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row + 1, end)
            del self._items[row + 1 : end + 1]
            self.endRemoveRows()
        self._reindex()
        # 2. what is left appears in ``new`` in the same order: insert the rest, update the kept
        i = 0
        while i < len(new):
            current = self._items[i] if i < len(self._items) else None
            if current is not None and self.key(current) == self.key(new[i]):
                if not self.same(current, new[i]):
                    self._items[i] = new[i]
                    idx = self.index(i, 0)
                    self.dataChanged.emit(idx, idx)
                i += 1
                continue
            if self.key(new[i]) in self._rows:  # order changed: should not happen; start over
                self.beginResetModel()
                self._items = new
                self._reindex()
                self.endResetModel()
                return
            start = i
            while i < len(new) and self.key(new[i]) not in self._rows:
                i += 1
            run = new[start:i]
            self.beginInsertRows(QModelIndex(), start, start + len(run) - 1)
            self._items[start:start] = run
            self._reindex(start)
            self.endInsertRows()
