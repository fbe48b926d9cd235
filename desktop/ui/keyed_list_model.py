"""A list model of items with a stable key, kept sorted (descending) by a fixed sort key.

Views keep their selection and scroll position across refreshes because a refresh is applied
as the smallest set of row removals, insertions and ``dataChanged`` calls, never as a reset.
Callers always act on keys (job ids, style ids), never on row numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")

Index = QModelIndex | QPersistentModelIndex


class KeyedListModel(QAbstractListModel, Generic[T]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[T] = []
        self._rows: dict[Hashable, int] = {}
        self._role_values = self.role_values()

    # --- subclasses ---------------------------------------------------------------------------
    def key(self, item: T) -> Hashable:
        raise NotImplementedError

    def keys_of(self, items: list[T]) -> list[Hashable]:
        """``key`` of each item (a subclass may do it faster, e.g. with ``operator.itemgetter``)."""
        return list(map(self.key, items))

    def sort_key(self, item: T) -> Any:
        """Items are kept in descending order of this (it must not change for a key)."""
        raise NotImplementedError

    def same(self, a: T, b: T) -> bool:
        return a == b

    def role_values(self) -> dict[int, Callable[[T], Any]]:
        """Per Qt item data role, how an item gives its value (asked once; ``data`` of any
        other role is None)."""
        return {}

    # --- Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.item_at(index)
        value = None if item is None else self._role_values.get(role)
        return None if value is None else value(item)

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
        self._rows.update(zip(self.keys_of(self._items[start:]), range(start, len(self._items)), strict=True))

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
        row changes. Keys are taken once per item (a refresh of a gallery scrolled through
        100,000 styles walks them all on the GUI thread)."""
        new = list(new_items)
        if new == self._items:  # nothing changed (equal items look the same): no row work
            return
        if not self._items:
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self._items = new
            self._reindex()
            self.endInsertRows()
            return
        new_keys = self.keys_of(new)
        wanted = set(new_keys)
        old_keys = self.keys_of(self._items)
        # 1. remove what is gone, bottom up, in contiguous runs
        gone = [row for row, k in enumerate(old_keys) if k not in wanted]
        if gone:
            end = gone[-1]
            for at in range(len(gone) - 1, -1, -1):
                row = gone[at]
                if at > 0 and gone[at - 1] == row - 1:
                    continue  # the run goes on upwards
                self.beginRemoveRows(QModelIndex(), row, end)
                del self._items[row : end + 1]
                del old_keys[row : end + 1]
                self.endRemoveRows()
                if at > 0:
                    end = gone[at - 1]
            self._rows = dict(zip(old_keys, range(len(old_keys)), strict=True))
        # 2. what is left appears in ``new`` in the same order: insert the rest, update the kept
        if old_keys == new_keys:  # nothing to insert: only changed items to tell about
            for i in [i for i, (a, b) in enumerate(zip(self._items, new, strict=True)) if a != b]:
                if not self.same(self._items[i], new[i]):
                    self._items[i] = new[i]
                    idx = self.index(i, 0)
                    self.dataChanged.emit(idx, idx)
                else:
                    self._items[i] = new[i]
            return
        i = 0
        while i < len(new):
            if i < len(old_keys) and old_keys[i] == new_keys[i]:
                current = self._items[i]
                if current != new[i]:
                    self._items[i] = new[i]
                    if not self.same(current, new[i]):
                        idx = self.index(i, 0)
                        self.dataChanged.emit(idx, idx)
                i += 1
                continue
            if new_keys[i] in self._rows:  # order changed: should not happen; start over
                self.beginResetModel()
                self._items = new
                self._reindex()
                self.endResetModel()
                return
            start = i
            while i < len(new) and new_keys[i] not in self._rows:
                i += 1
            run = new[start:i]
            self.beginInsertRows(QModelIndex(), start, start + len(run) - 1)
            self._items[start:start] = run
            old_keys[start:start] = new_keys[start:i]
            self._reindex(start)
            self.endInsertRows()
