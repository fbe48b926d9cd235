"""The gallery's model: styles newest first, loaded a page at a time on a worker thread.

Rows are ``StyleInfo`` values (each with its first thumbnail). ``refresh()`` re-reads what is
loaded (coalesced, never on the GUI thread) and applies the difference, so the view keeps its
selection; ``fetchMore`` loads the next page as the view scrolls. Thumbnails come from a
``ThumbnailCache`` (decoded off the GUI thread); a placeholder shows until they arrive.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from sqlalchemy import func, select

from desktop.db.models import Style
from desktop.library import Library, StyleInfo
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.keyed_list_model import KeyedListModel
from desktop.ui.thumbnails import ThumbnailCache, placeholder

StyleRole = Qt.ItemDataRole.UserRole + 1
StyleIdRole = Qt.ItemDataRole.UserRole + 2
ThumbnailReadyRole = Qt.ItemDataRole.UserRole + 3

PAGE_SIZE = 200
PROBE_INTERVAL = 0.25
THUMB_SIZE = QSize(176, 132)  # the card's picture: thumbnails are decoded to cover it


def library_signature(library: Library) -> tuple[int, int, int, float]:
    """How many styles there are, the sum and newest of their ids and the newest time: cheap
    (one indexed aggregate), to tell whether a re-read is needed."""
    with library.db.read_session() as s:
        count, total, newest, latest = s.execute(
            select(func.count(Style.id), func.sum(Style.id), func.max(Style.id), func.max(Style.created_at))
        ).one()
    return int(count or 0), int(total or 0), int(newest or 0), float(latest or 0.0)


def gallery_fields(style: StyleInfo) -> tuple[object, ...]:
    thumb = style.thumbnail
    return (style.name, style.description, style.generator, style.created_at, str(thumb) if thumb else None)


def signature_and_style(library: Library, style_id: int) -> tuple[tuple[int, int, int, float], StyleInfo | None]:
    """Blocking: the library's signature, then one style."""
    return library_signature(library), library.get(style_id)


def load_page(library: Library, search: str, limit: int, offset: int = 0) -> tuple[list[StyleInfo], int]:
    """A page of styles and the total that match. Blocking."""
    return library.list(search, limit=limit, offset=offset), library.count(search)


class StylesModel(KeyedListModel[StyleInfo]):
    refreshed = Signal()  # a refresh (or first load) was applied
    pageLoaded = Signal()
    taken = Signal(int)  # take_new(style_id) is done, whichever way it went

    def __init__(self, library: Library, parent: Any = None) -> None:
        super().__init__(parent)
        self.library = library
        self.search = ""
        self.total = 0
        self.ever_loaded = False
        self.thumbnails = ThumbnailCache(THUMB_SIZE, capacity=240, parent=self)
        self.thumbnails.loaded.connect(self._thumbnail_loaded)
        self._placeholder = placeholder(THUMB_SIZE)
        self._thumb_owner: dict[str, int] = {}  # thumbnail path -> style id, while it loads
        self._busy = False
        self._refresh_wanted = False
        self._fetching = False
        self._signature: tuple[int, int, int, float] | None = None
        self._probing = False
        self._probe_again = False
        self._generation = 0  # a new search makes older page loads stale
        self._taking: set[int] = set()  # styles being added one by one (take_new)

    # --- KeyedListModel ---------------------------------------------------------------------
    def key(self, item: StyleInfo) -> int:
        return item.id

    def sort_key(self, item: StyleInfo) -> tuple[float, int]:
        return (item.created_at, item.id)

    def same(self, a: StyleInfo, b: StyleInfo) -> bool:
        """What a card shows (comparing whole StyleInfo values, paths and all, costs the GUI
        thread tens of ms per refresh of a few hundred styles)."""
        return gallery_fields(a) == gallery_fields(b)

    # --- Qt ---------------------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        style = self.item_at(index)
        if style is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return style.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self.decoration(style)
        if role == Qt.ItemDataRole.ToolTipRole:
            created = time.strftime("%d %b %Y %H:%M", time.localtime(style.created_at))
            return f"{style.name}\n{style.description}\n{style.generator} · {created}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Style {style.name}"
        if role == StyleRole:
            return style
        if role == StyleIdRole:
            return style.id
        if role == ThumbnailReadyRole:
            return style.thumbnail is None or self.thumbnail(style) is not None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.isValid():
            return False
        return self.ever_loaded and not self._fetching and not self._busy and len(self._items) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        spawn(self._fetch_more(self._generation, len(self._items)), name="styles-fetch-more")

    # --- thumbnails ---------------------------------------------------------------------------
    def decoration(self, style: StyleInfo) -> QPixmap:
        """The card's picture: the thumbnail, or the placeholder while it loads."""
        return self.thumbnail(style) or self._placeholder

    def thumbnail(self, style: StyleInfo) -> QPixmap | None:
        if style.thumbnail is None:
            return None
        path = str(style.thumbnail)
        self._thumb_owner[path] = style.id
        return self.thumbnails.get(path)

    def _thumbnail_loaded(self, path: str) -> None:
        row = self.row_of(self._thumb_owner.pop(path, -1))
        if row >= 0:
            idx = self.index(row, 0)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    # --- loading --------------------------------------------------------------------------------
    def set_search(self, text: str) -> None:
        text = text.strip()
        if text == self.search:
            return
        self.search = text
        self._generation += 1
        self.refresh()

    def refresh(self) -> None:
        """Read the loaded range again (coalesced)."""
        if self._busy:
            self._refresh_wanted = True
            return
        self._busy = True
        spawn(self._refresh(), name="styles-refresh")

    async def _refresh(self) -> None:
        try:
            while True:
                self._refresh_wanted = False
                generation = self._generation
                search = self.search
                limit = max(PAGE_SIZE, len(self._items))
                # the signature first: a change after it is seen by the next probe
                self._signature = await run_blocking(library_signature, self.library)
                styles, total = await run_blocking(load_page, self.library, search, limit)
                if generation == self._generation:
                    self.total = total
                    self.replace_all(_unique(styles))
                    self.ever_loaded = True
                    self.refreshed.emit()
                if not self._refresh_wanted and generation == self._generation:
                    break
        finally:
            self._busy = False
        if self._probe_again and not self._probing:
            self.check_for_changes()

    def take_new(self, style_id: int) -> None:
        """A style was just made: add that one style instead of re-reading every loaded one (a
        full re-read of a gallery scrolled through thousands of styles, on every finished job,
        would keep a worker thread, and with it the GIL, busy for seconds)."""
        if style_id in self._taking:
            return
        if self.search or not self.ever_loaded or self._busy or self._signature is None:
            self.refresh()
            return
        self._taking.add(style_id)
        spawn(self._take_new(style_id, self._generation), name="styles-take-new")

    def taking(self, style_id: int) -> bool:
        return style_id in self._taking

    async def _take_new(self, style_id: int, generation: int) -> None:
        try:
            signature, style = await run_blocking(signature_and_style, self.library, style_id)
            before = self._signature
            if generation != self._generation or self._busy or before is None or style is None:
                self.refresh()
                return
            if self.row_of(style_id) >= 0:  # already here (a refresh got it first)
                if signature != before:
                    self.refresh()
                return
            count, total, newest, latest = before
            expected = (count + 1, total + style_id, max(newest, style_id), max(latest, style.created_at))
            if signature != expected:  # something else changed too: read it all again
                self.refresh()
                return
            self._signature = signature
            more_pages = len(self._items) < self.total
            self.total += 1
            last = self._items[-1] if self._items else None
            if not (more_pages and last is not None and self.sort_key(style) < self.sort_key(last)):
                self.upsert(style)  # else it comes with a later page
            self.refreshed.emit()
        finally:
            self._taking.discard(style_id)
            try:
                self.taken.emit(style_id)
            except RuntimeError:  # the window closed meanwhile
                pass

    async def _fetch_more(self, generation: int, offset: int) -> None:
        try:
            styles, total = await run_blocking(load_page, self.library, self.search, PAGE_SIZE, offset)
            if generation == self._generation and not self._busy:
                self.total = total
                fresh = _unique([s for s in styles if self.row_of(s.id) < 0])
                if fresh and self._items and self.sort_key(fresh[0]) < self.sort_key(self._items[-1]):
                    # the usual case, a page older than all loaded: append it (O(page), where
                    # a merge walks every loaded style on the GUI thread)
                    self.append_rows(fresh)
                elif fresh:
                    self.replace_all(_unique([*self._items, *fresh]))
        finally:
            self._fetching = False
            try:
                self.pageLoaded.emit()
            except RuntimeError:  # the window closed meanwhile
                pass

    def check_for_changes(self) -> None:
        """Something changed in another process: re-read only if the styles did (coalesced:
        one probe at a time, one more if asked meanwhile)."""
        if self._probing or self._busy:
            self._probe_again = True
            return
        self._probing = True
        spawn(self._probe(), name="styles-probe")

    async def _probe(self) -> None:
        try:
            while True:
                self._probe_again = False
                began = time.monotonic()
                signature = await run_blocking(library_signature, self.library)
                if signature != self._signature and not self._busy:
                    if self._taking:  # a style being taken in explains it, likely: look again after
                        self._probe_again = True
                    else:
                        self.refresh()
                if not self._probe_again:
                    break
                # at most a few probes a second however busy the other processes are
                await asyncio.sleep(max(0.0, PROBE_INTERVAL - (time.monotonic() - began)))
        finally:
            self._probing = False

    @property
    def busy(self) -> bool:
        return self._busy or self._fetching


def _unique(styles: list[StyleInfo]) -> list[StyleInfo]:
    seen: set[int] = set()
    out = []
    for s in sorted(styles, key=lambda s: (s.created_at, s.id), reverse=True):
        if s.id not in seen:
            seen.add(s.id)
            out.append(s)
    return out
