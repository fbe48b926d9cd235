"""A library that grows: scrolling the gallery to the end of thousands of styles loads each
style exactly once, in order (searching too, and when many styles share a time), in pages that
grow with what is loaded; the model keeps a compact row per style; the thumbnail cache stays
within its bounds; and a card never shows a thumbnail from outside the library."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize
from PySide6.QtGui import QColor, QImage
from sqlalchemy import insert

from benchmarks.ui_library import make_library
from desktop import app as desktop_app
from desktop.config import resolve_paths
from desktop.db.engine import Database
from desktop.db.models import Style, StyleImage
from desktop.library.reading import Library, StyleCard
from desktop.runtime import open_runtime
from desktop.ui import styles_model, thumbnails
from desktop.ui.styles_model import StyleIdRole, StylesModel
from desktop.ui.thumbnails import ThumbnailCache
from tests.ui.conftest import arun, wait_until

LONG = 180  # seconds: generous, for a loaded machine


def newest_first(home: Path, search: str = "") -> list[int]:
    """The ids the gallery should show, read straight from the file and filtered in Python."""
    conn = sqlite3.connect(resolve_paths(home).db_file)
    try:
        rows = conn.execute("SELECT id, name, description FROM styles ORDER BY created_at DESC, id DESC").fetchall()
    finally:
        conn.close()
    text = search.lower()
    return [i for i, name, description in rows if text in name.lower() or text in description.lower()]


def ids_in(model: StylesModel) -> list[int]:
    return [model.index(r, 0).data(StyleIdRole) for r in range(model.rowCount())]


def row_bytes(card: StyleCard) -> int:
    return sys.getsizeof(card) + sum(sys.getsizeof(v) for v in card)


def load_all(model: StylesModel) -> int:
    """Ask for pages until every style is loaded, as a view scrolled to the end does; returns
    how many pages it took."""
    loaded: list[int] = []
    model.pageLoaded.connect(lambda: loaded.append(model.rowCount()))
    pages = 0
    while model.canFetchMore(QModelIndex()):
        n = model.rowCount()
        model.fetchMore(QModelIndex())
        pages += 1
        wait_until(lambda pages=pages: len(loaded) >= pages and not model.busy, LONG)
        assert model.rowCount() > n or not model.canFetchMore(QModelIndex())
    model.pageLoaded.disconnect()
    return pages


def test_scrolling_to_the_end_loads_every_style_once_in_order(qtbot, aloop, home):
    make_library(home, 5000)
    expected = newest_first(home)
    win = arun(qtbot, desktop_app.start(home), timeout=60)
    try:
        model, view = win.styles_model, win.gallery.view
        pages: list[int] = []
        model.pageLoaded.connect(lambda: pages.append(model.rowCount()))
        wait_until(lambda: model.ever_loaded, LONG)
        assert model.total == 5000 and model.rowCount() < 5000  # the first screen does not read all
        bar = view.verticalScrollBar()

        def scrolled_to_the_end() -> bool:
            bar.setValue(bar.maximum())  # as a user dragging the scroll bar down would
            return model.rowCount() == model.total and not model.busy

        wait_until(scrolled_to_the_end, LONG)
        assert ids_in(model) == expected
        # pages grow with what is loaded: fixed pages of 200 would take 24 reads after the first
        assert len(pages) <= 12, pages
        # a compact row per style (a tuple of what the card shows), not the whole style
        assert all(isinstance(c, StyleCard) for c in model.items())
        assert sum(row_bytes(c) for c in model.items()) / len(expected) < 1000
        # the cards on screen got their thumbnails; the cache stayed within its bounds
        wait_until(lambda: model.thumbnails.pending_count() == 0 and model.thumbnails_waited_for() == 0, LONG)
        assert 0 < model.thumbnails.cached_count() <= model.thumbnails.capacity
        assert model.thumbnails.cached_bytes <= model.thumbnails.max_bytes
        # selecting a deep card still shows the whole style in the detail pane
        view.setCurrentIndex(model.index(4321, 0))
        wait_until(lambda: win.detail.style is not None and win.detail.style.id == expected[4321], LONG)
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=60)


def test_searching_then_scrolling_loads_only_the_matches_once_in_order(qtbot, aloop, home, monkeypatch):
    monkeypatch.setattr(styles_model, "PAGE_SIZE", 50)
    monkeypatch.setattr(styles_model, "CHUNK", 64)
    make_library(home, 1200)
    rt = open_runtime(home, watch_external=False)
    try:
        model = StylesModel(Library(rt.db, rt.paths))
        model.refresh()
        wait_until(lambda: model.ever_loaded and not model.busy, LONG)
        load_all(model)  # deep in the whole library first
        assert ids_in(model) == newest_first(home)

        refreshed: list[bool] = []
        model.refreshed.connect(lambda: refreshed.append(True))
        model.set_search("ROSE print")  # as typed: any case
        wait_until(lambda: bool(refreshed) and not model.busy, LONG)
        expected = newest_first(home, "rose print")
        assert 50 < len(expected) < 1200 and model.total == len(expected)
        load_all(model)
        assert ids_in(model) == expected

        model.set_search("")  # back to everything: the first page again, then scroll
        wait_until(lambda: model.search == "" and model.total == 1200 and not model.busy, LONG)
        load_all(model)
        assert ids_in(model) == newest_first(home)
        model.thumbnails.shutdown()
    finally:
        rt.close()


def add_rows(home: Path, times: list[float]) -> None:
    """Styles at the given times (many share one), each with a thumbnail path."""
    paths = resolve_paths(home)
    db = Database(paths.database_url())
    try:
        db.migrate()
        with db.write_session() as s:
            s.execute(
                insert(Style),
                [
                    {"id": i + 1, "name": f"Look {i + 1}", "description": "tied", "prompt": "", "generator": "local",
                     "folder": f"styles/{i + 1:06d}", "params": "{}", "created_at": t}
                    for i, t in enumerate(times)
                ],
            )
            s.execute(
                insert(StyleImage),
                [
                    {"style_id": i + 1, "position": 0, "path": f"styles/{i + 1:06d}/p.jpg",
                     "thumb_path": f"styles/{i + 1:06d}/p.thumb.webp", "width": 4, "height": 3}
                    for i in range(len(times))
                ],
            )
    finally:
        db.dispose()


def test_styles_made_at_the_same_time_are_neither_skipped_nor_repeated(qtbot, aloop, home, monkeypatch):
    monkeypatch.setattr(styles_model, "PAGE_SIZE", 7)
    monkeypatch.setattr(styles_model, "CHUNK", 5)
    times = [1_700_000_000.0 + (i % 6) for i in range(300)]  # 50 styles share each second
    add_rows(home, times)
    expected = newest_first(home)
    library = Library(Database(resolve_paths(home).database_url()), resolve_paths(home))
    try:
        # the library's pages, one after another
        seen: list[int] = []
        after = None
        while True:
            page = library.cards(limit=11, after=after)
            seen += [c.id for c in page]
            if len(page) < 11:
                break
            after = (page[-1].created_at, page[-1].id)
        assert seen == expected
        # and the gallery's
        model = StylesModel(library)
        model.refresh()
        wait_until(lambda: model.ever_loaded and not model.busy, LONG)
        load_all(model)
        assert ids_in(model) == expected
        model.thumbnails.shutdown()
    finally:
        library.db.dispose()


def test_a_thumbnail_leading_outside_the_library_is_left_off_the_card(home, tmp_path):
    add_rows(home, [1_700_000_000.0, 1_700_000_001.0])
    paths = resolve_paths(home)
    outside = tmp_path / "elsewhere.webp"
    outside.write_bytes(b"not ours")
    (paths.home / "styles" / "000001").mkdir(parents=True)
    os.symlink(outside, paths.home / "styles" / "000001" / "p.thumb.webp")  # inside by name only
    library = Library(Database(paths.database_url()), paths)
    try:
        first, second = library.cards(limit=10)
        assert (second.id, second.thumbnail) == (1, None)
        assert first.id == 2 and first.thumbnail == str(paths.styles_dir.resolve() / "000002" / "p.thumb.webp")
        assert library.card(1) == second and library.card(999) is None
    finally:
        library.db.dispose()


def test_the_thumbnail_cache_stays_within_its_bounds(qtbot, aloop, tmp_path, monkeypatch):
    monkeypatch.setattr(thumbnails, "FAILED_LIMIT", 3)
    files = []
    for i in range(30):
        image = QImage(200, 150, QImage.Format.Format_RGB32)
        image.fill(QColor(i * 8, 100, 200))
        path = tmp_path / f"thumb-{i}.png"
        assert image.save(str(path))
        files.append(str(path))
    broken = []
    for i in range(8):
        path = tmp_path / f"broken-{i}.png"
        path.write_bytes(b"not an image")
        broken.append(str(path))
    one = 176 * 132 * 4  # a decoded thumbnail's pixels, about (scaled to cover 176 x 132)
    cache = ThumbnailCache(QSize(176, 132), capacity=10, max_bytes=int(one * 6.5))
    sizes: list[tuple[int, int]] = []
    loaded: list[str] = []

    def on_loaded(path: str) -> None:
        loaded.append(path)
        sizes.append((cache.cached_count(), cache.cached_bytes))

    cache.loaded.connect(on_loaded)
    try:
        for path in files + broken:
            assert cache.get(path) is None  # decoded off the GUI thread: not there yet
        wait_until(lambda: len(loaded) == len(files) + len(broken), LONG)
        assert max(n for n, _ in sizes) <= 10 and max(b for _, b in sizes) <= cache.max_bytes
        assert 1 <= cache.cached_count() <= 6  # the byte bound is the tighter one here
        last = [p for p in loaded if p in files][-1]
        assert cache.get(last) is not None  # the most recent stays
        assert sum(cache.failed(p) for p in broken) == 3  # the oldest failures are forgotten
    finally:
        cache.shutdown()
        assert cache.join(30)


def test_refreshing_thousands_of_loaded_cards_touches_only_what_changed(qapp, qtmodeltester, home):
    paths = resolve_paths(home)
    db = Database(paths.database_url())
    model = StylesModel(Library(db, paths))  # the diffing alone: cards given, not read
    cards = [StyleCard(5000 - i, f"Look {i}", "d", "local", 1e9 - i, None) for i in range(5000)]
    model.replace_all(cards)
    qtmodeltester.check(model)
    changes: list[tuple[str, int, int]] = []
    model.rowsRemoved.connect(lambda _p, a, b: changes.append(("removed", a, b)))
    model.rowsInserted.connect(lambda _p, a, b: changes.append(("inserted", a, b)))
    model.dataChanged.connect(lambda a, b, _roles=(): changes.append(("changed", a.row(), b.row())))
    model.modelReset.connect(lambda: changes.append(("reset", 0, 0)))
    fresh = [StyleCard(*c) for c in cards]  # a re-read: equal values, new objects
    fresh[10:13] = []  # three deleted elsewhere
    fresh[3000] = fresh[3000]._replace(name="Renamed")
    fresh.insert(0, StyleCard(9999, "New", "d", "local", 2e9, None))
    model.replace_all(fresh)
    assert changes == [("removed", 10, 12), ("inserted", 0, 0), ("changed", 3001, 3001)]  # rows as they end
    assert model.items() == fresh and all(model.row_of(c.id) == i for i, c in enumerate(fresh))
    changes.clear()
    model.replace_all([StyleCard(*c) for c in fresh])  # nothing changed: no signal at all
    assert changes == []
    model.thumbnails.shutdown()
    db.dispose()
