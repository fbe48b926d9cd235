"""The diffing list model under random changes, with Qt's model tester attached: the rows end
equal to the data, and the view's selection survives refreshes (no resets)."""

from __future__ import annotations

import random

from PySide6.QtCore import QModelIndex, Qt

from desktop.ui.keyed_list_model import KeyedListModel


class Numbers(KeyedListModel[tuple[int, str]]):
    def key(self, item):
        return item[0]

    def sort_key(self, item):
        return item[0]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        item = self.item_at(index)
        return None if item is None or role != Qt.ItemDataRole.DisplayRole else f"{item[0]}:{item[1]}"


def test_random_refreshes_match_the_data_without_resets(qtmodeltester):
    rng = random.Random(7)
    model = Numbers()
    qtmodeltester.check(model)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    for _ in range(300):
        op = rng.random()
        if op < 0.6:
            keys = sorted(rng.sample(range(60), rng.randint(0, 25)), reverse=True)
            new = [(k, rng.choice("abc")) for k in keys]
            model.replace_all(new)
            assert model.items() == new
        elif op < 0.85:
            item = (rng.randrange(60), rng.choice("abc"))
            model.upsert(item)
        else:
            items = model.items()
            if items:
                model.remove_key(rng.choice(items)[0])
        keys = [k for k, _ in model.items()]
        assert keys == sorted(keys, reverse=True)
        assert len(set(keys)) == len(keys)
        assert all(model.row_of(k) == i for i, k in enumerate(keys))
    assert resets == []


def test_a_persistent_index_follows_its_item_across_a_refresh(qtmodeltester):
    model = Numbers()
    qtmodeltester.check(model)
    model.replace_all([(9, "a"), (5, "b"), (2, "c")])
    from PySide6.QtCore import QPersistentModelIndex

    kept = QPersistentModelIndex(model.index(1, 0))  # item 5
    model.replace_all([(12, "n"), (10, "n"), (5, "b2"), (1, "z")])
    assert kept.isValid() and kept.row() == 2
    assert model.data(model.index(kept.row(), 0)) == "5:b2"
    assert model.rowCount(model.index(0, 0)) == 0 and model.rowCount(QModelIndex()) == 4
