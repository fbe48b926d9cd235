"""The gallery's model: styles newest first, loaded a page at a time on a worker thread.

Rows are ``StyleCard`` tuples (what a card shows, a few hundred bytes each: a gallery scrolled
through 100,000 styles stays small); the detail pane reads the whole style by id. Everything is
read through ``Library`` (keyset pages: a page deep in the library costs what the first does).
``refresh()`` re-reads what is loaded (coalesced, never on the GUI thread) and applies the
difference, so the view keeps its selection; ``fetchMore`` loads the next page as the view
scrolls. Thumbnails come from a bounded ``ThumbnailCache`` (decoded off the GUI thread); a
placeholder shows until they arrive.

Pages grow with what is loaded (at least ``PAGE_SIZE``, at most half of the rows already
there): ``QListView`` lays out every row again after each insertion, so fixed pages would
make scrolling to the end cost the square of the rows; growing ones keep it linear. Reads go
to the database in chunks of ``CHUNK`` rows, so none holds a worker thread (and the GIL) long.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QPixmap

from desktop.library.reading import After, Library, Signature, StyleCard
from desktop.ui.async_utils import Coalesced, run_blocking, spawn
from desktop.ui.keyed_list_model import KeyedListModel
from desktop.ui.thumbnails import ThumbnailCache, placeholder

StyleRole = Qt.ItemDataRole.UserRole + 1  # the row's StyleCard
StyleIdRole = Qt.ItemDataRole.UserRole + 2
ThumbnailReadyRole = Qt.ItemDataRole.UserRole + 3

_card_id = operator.itemgetter(0)  # StyleCard.id

PAGE_SIZE = 200  # the first page, and the least a later one loads
GROWTH = 2  # a later page loads up to 1/GROWTH of the rows already loaded
CHUNK = 2000  # rows per database read
PROBE_INTERVAL = 0.25
THUMB_SIZE = QSize(176, 132)  # the card's picture: thumbnails are decoded to cover it
THUMB_CAPACITY = 240  # decoded thumbnails kept (about ten screenfuls)
THUMB_BYTES = 48 * 1024 * 1024  # ... and at most this much pixel data


def signature_and_card(library: Library, style_id: int) -> tuple[Signature, StyleCard | None]:
    """Blocking: the library's signature, then one style's card."""
    return library.signature(), library.card(style_id)


def signature_and_total(library: Library, search: str) -> tuple[Signature, int]:
    """Blocking: the library's signature, then how many styles match ``search``."""
    return library.signature(), library.count(search)


def next_page_size(loaded: int) -> int:
    return max(PAGE_SIZE, loaded // GROWTH)


class StylesModel(KeyedListModel[StyleCard]):
    refreshed = Signal()  # a refresh (or first load) was applied
    pageLoaded = Signal()
    taken = Signal(int)  # take_new(style_id) is done, whichever way it went

    def __init__(self, library: Library, parent: Any = None) -> None:
        super().__init__(parent)
        self.library = library
        self.search = ""
        self.total = 0
        self.ever_loaded = False
        self.thumbnails = ThumbnailCache(THUMB_SIZE, capacity=THUMB_CAPACITY, max_bytes=THUMB_BYTES, parent=self)
        self.thumbnails.loaded.connect(self._thumbnail_loaded)
        self._placeholder = placeholder(THUMB_SIZE)
        self._thumb_owner: dict[str, set[int]] = {}  # thumbnail path -> style ids, while it loads
        self._refreshes = Coalesced(self._refresh_once, name="styles-refresh", ended=self._refreshed)
        self._fetching = False
        self._fetch_wanted = False  # fetchMore came during a refresh: fetch once it is applied
        self._signature: Signature | None = None
        self._probes = Coalesced(self._probe_once, name="styles-probe", interval=PROBE_INTERVAL)
        self._generation = 0  # a new search makes older page loads stale
        self._taking: set[int] = set()  # styles being added one by one (take_new)

    # --- KeyedListModel (a card is what it shows: equal cards look the same) ----------------
    def key(self, item: StyleCard) -> int:
        return item.id

    def keys_of(self, items: list[StyleCard]) -> list[int]:
        return list(map(_card_id, items))  # C speed: a refresh may walk 100,000 cards

    def sort_key(self, item: StyleCard) -> tuple[float, int]:
        return (item.created_at, item.id)

    # --- Qt ---------------------------------------------------------------------------------
    def role_values(self) -> dict[int, Callable[[StyleCard], Any]]:
        return {
            Qt.ItemDataRole.DisplayRole: lambda style: style.name,
            Qt.ItemDataRole.DecorationRole: self.decoration,
            Qt.ItemDataRole.ToolTipRole: _tooltip,
            Qt.ItemDataRole.AccessibleTextRole: lambda style: f"Style {style.name}",
            StyleRole: lambda style: style,
            StyleIdRole: lambda style: style.id,
            ThumbnailReadyRole: lambda style: style.thumbnail is None or self.thumbnail(style) is not None,
        }

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.isValid():
            return False
        return self.ever_loaded and len(self._items) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        """Load the next page; ``pageLoaded`` follows. While a page or a refresh is being read,
        the page in flight answers (or the next one starts once the refresh is applied)."""
        if not self.canFetchMore(parent) or self._fetching:
            return
        if self._refreshes.running:
            self._fetch_wanted = True
            return
        self._fetching = True
        spawn(self._fetch_more(self._generation), name="styles-fetch-more")

    # --- thumbnails ---------------------------------------------------------------------------
    def decoration(self, style: StyleCard) -> QPixmap:
        """The card's picture: the thumbnail, or the placeholder while it loads."""
        return self.thumbnail(style) or self._placeholder

    def thumbnail(self, style: StyleCard) -> QPixmap | None:
        path = style.thumbnail
        if path is None:
            return None
        pixmap = self.thumbnails.get(path)
        if pixmap is None and self.thumbnails.is_pending(path):  # repaint this card when it comes
            self._thumb_owner.setdefault(path, set()).add(style.id)
        return pixmap

    def _thumbnail_loaded(self, path: str) -> None:
        for style_id in self._thumb_owner.pop(path, ()):
            row = self.row_of(style_id)
            if row >= 0:
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def thumbnails_waited_for(self) -> int:
        """How many thumbnails cards are waiting for (bounded by the cache's pending work)."""
        return len(self._thumb_owner)

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
        self._refreshes.request()

    async def _refresh_once(self) -> bool:
        generation = self._generation
        search = self.search
        limit = max(PAGE_SIZE, len(self._items))
        # the signature first: a change after it is seen by the next probe
        self._signature, total = await run_blocking(signature_and_total, self.library, search)
        styles = await self._read(search, limit, None, generation)
        if styles is not None:
            self.total = max(total, len(styles))
            self.replace_all(styles)  # newest first, each once: as the reads return them
            self.ever_loaded = True
            self.refreshed.emit()
        return generation != self._generation  # the search changed meanwhile: read again

    def _refreshed(self) -> None:
        if self._fetch_wanted:
            self._fetch_wanted = False
            if self.canFetchMore(QModelIndex()) and not self._fetching:
                self.fetchMore(QModelIndex())
            elif not self._fetching:  # nothing more to load: answer whoever waits for the page
                self.pageLoaded.emit()
        if self._probes.wanted and not self._probes.running:
            self._probes.request()

    def take_new(self, style_id: int) -> None:
        """A style was just made: add that one style instead of re-reading every loaded one (a
        full re-read of a gallery scrolled through thousands of styles, on every finished job,
        would keep a worker thread, and with it the GIL, busy for seconds)."""
        if style_id in self._taking:
            return
        if self.search or not self.ever_loaded or self._refreshes.running or self._signature is None:
            self.refresh()
            return
        self._taking.add(style_id)
        spawn(self._take_new(style_id, self._generation), name="styles-take-new")

    def update_one(self, style_id: int) -> None:
        """A style changed in place (its strength, previews, thumbnail): read its card again."""
        spawn(self._update_one(style_id), name="styles-update-one")

    async def _update_one(self, style_id: int) -> None:
        card = await run_blocking(self.library.card, style_id)
        if card is not None and self.row_of(style_id) >= 0:
            self.upsert(card)

    def taking(self, style_id: int) -> bool:
        return style_id in self._taking

    async def _take_new(self, style_id: int, generation: int) -> None:
        try:
            signature, style = await run_blocking(signature_and_card, self.library, style_id)
            before = self._signature
            if generation != self._generation or self._refreshes.running or before is None or style is None:
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

    async def _read(self, search: str, limit: int, after: After | None, generation: int) -> list[StyleCard] | None:
        """Up to ``limit`` cards after ``after``, read in chunks; None if a new search came
        meanwhile."""
        out: list[StyleCard] = []
        while len(out) < limit:
            want = min(CHUNK, limit - len(out))
            cards = await run_blocking(self.library.cards, search, limit=want, after=after)
            if generation != self._generation:
                return None
            out.extend(cards)
            if len(cards) < want:
                break
            after = (cards[-1].created_at, cards[-1].id)
        return out

    async def _fetch_more(self, generation: int) -> None:
        try:
            last = self._items[-1] if self._items else None
            want = next_page_size(len(self._items))
            styles = await self._read(self.search, want, (last.created_at, last.id) if last else None, generation)
            if styles is not None and generation == self._generation and not self._refreshes.running:
                fresh = [s for s in styles if s.id not in self._rows]  # in order, as read
                if fresh and self._items and self.sort_key(fresh[0]) < self.sort_key(self._items[-1]):
                    # the usual case, a page older than all loaded: append it (O(page), where
                    # a merge walks every loaded style on the GUI thread)
                    self.append_rows(fresh)
                elif fresh:
                    self.replace_all(_unique([*self._items, *fresh]))
                if len(styles) < want:  # the end: no more than what is here
                    self.total = len(self._items)
                else:
                    self.total = max(self.total, len(self._items))
        finally:
            self._fetching = False
            try:
                self.pageLoaded.emit()
            except RuntimeError:  # the window closed meanwhile
                pass

    def check_for_changes(self) -> None:
        """Something changed in another process: re-read only if the styles did (coalesced:
        one probe at a time, one more if asked meanwhile, at most a few a second)."""
        if self._refreshes.running:
            self._probes.wanted = True  # probed once the refresh ends
            return
        self._probes.request()

    async def _probe_once(self) -> bool:
        signature = await run_blocking(self.library.signature)
        if signature != self._signature and not self._refreshes.running:
            if self._taking:  # a style being taken in explains it, likely: look again after
                return True
            self.refresh()
        return False

    @property
    def busy(self) -> bool:
        return self._refreshes.running or self._fetching


def _unique(styles: list[StyleCard]) -> list[StyleCard]:
    """Newest first, each style once."""
    seen: set[int] = set()
    out = []
    for s in sorted(styles, key=_sort_key, reverse=True):
        if s.id not in seen:
            seen.add(s.id)
            out.append(s)
    return out


def _sort_key(s: StyleCard) -> tuple[float, int]:
    return (s.created_at, s.id)


def _tooltip(style: StyleCard) -> str:
    created = time.strftime("%d %b %Y %H:%M", time.localtime(style.created_at))
    return f"{style.name}\n{style.description}\n{style.generator} · {created}"
