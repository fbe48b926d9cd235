"""The style library: reading, searching and deleting styles (rows and their files).

Styles are written only by ``desktop.library.writing`` (whole or not at all); everything
here is safe to call from any thread except the GUI thread (it touches the database and disk).

A row's paths are stored relative to the library folder (``Paths.library``: the data folder, or
a shared folder each machine reaches at its own place) and never trusted: each is resolved
against this machine's library folder to its real path (symlinks followed) and must lie inside
the library (style files in ``styles/``, references in ``uploads/``) before it is
handed to a front door, opened or deleted. A path that leads outside is left out of the
``StyleInfo`` (``problem`` says why), and nothing outside is ever deleted.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, func, or_, select, true

from desktop.config import Paths
from desktop.db.engine import Database
from desktop.db.models import Style, StyleImage
from desktop.errors import UserError
from desktop.jobs.model import iso
from desktop.text import printable

log = logging.getLogger(__name__)
_WARNED: set[int] = set()
_IN_CHUNK = 500  # values per IN (...) list (old SQLite allows 999 parameters)


@dataclass(frozen=True)
class StyleImageInfo:
    position: int
    path: Path
    thumb_path: Path
    width: int
    height: int


@dataclass(frozen=True)
class StyleInfo:
    """A style as the front doors show it; paths are absolute real paths inside the library.

    A path of the row that leads outside the library is left out (``folder``, ``lut_path`` or
    ``reference_path`` is None, the image is missing from ``images``) and ``problem`` is the
    sentence that says so."""

    id: int
    name: str
    description: str
    prompt: str
    generator: str
    folder: Path | None
    reference_path: Path | None
    lut_path: Path | None
    analysis: dict[str, Any] | None
    params: dict[str, Any]
    job_id: int | None
    created_at: float
    images: tuple[StyleImageInfo, ...] = field(default_factory=tuple)
    problem: str | None = None
    deleted_at: float | None = None  # when it was deleted (restorable until purged), else None

    @property
    def strength(self) -> float:
        """The style's own strength in per cent, 0..100 (see ``stored_strength``)."""
        return stored_strength(self.params)

    @property
    def thumbnail(self) -> Path | None:
        return self.images[0].thumb_path if self.images else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "prompt": self.prompt,
            "generator": self.generator,
            "folder": str(self.folder) if self.folder else None,
            "reference": str(self.reference_path) if self.reference_path else None,
            "cube": str(self.lut_path) if self.lut_path else None,
            "analysis": self.analysis,
            "params": self.params,
            "job_id": self.job_id,
            "created_at": iso(self.created_at),
            "previews": [str(i.path) for i in self.images],
            "thumbnails": [str(i.thumb_path) for i in self.images],
            "problem": self.problem,
            "deleted_at": iso(self.deleted_at) if self.deleted_at is not None else None,
        }


MAX_STYLE_ID = 2**63 - 1  # the largest id a database row can have

FULL_STRENGTH = 100.0  # per cent: a style that stored no strength grades with its .cube as it is


def stored_strength(params: dict[str, Any] | None) -> float:
    """A style's own strength in per cent, 0..100, from its stored ``params["strength"]``: the one
    reader of it (the window, the command line, apply, export and import all ask here).

    A whole number 0..100 is what the generator, the strength job and imports store. Anything
    else is ``FULL_STRENGTH``: no strength stored, or not a number; and fractions up to 1.0,
    which older versions wrote as the grade's build strength: their .cube is used as it is."""
    value = (params or {}).get("strength")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return FULL_STRENGTH
    if isinstance(value, int) and 0 <= value <= 100:
        return float(value)
    if value <= 1 or value > 100:
        return FULL_STRENGTH
    return float(value)


class StyleCard(NamedTuple):
    """What a gallery card shows of a style, and no more: a tuple of plain values (a few hundred
    bytes, never walked by the garbage collector), so a gallery scrolled through 100,000 styles
    stays small. ``thumbnail`` is the real path of the first preview's thumbnail, inside
    ``styles/``, or None (no preview, or a path that leads outside the library)."""

    id: int
    name: str
    description: str
    generator: str
    created_at: float
    thumbnail: str | None = None


Signature = tuple[int, int, int, float]
"""How many styles there are, the sum and the newest of their ids, and the newest time."""

After = tuple[float, int]
"""Where a page starts: just after the style with this (created_at, id), newest first."""

LIVE = Style.deleted_at.is_(None)
"""Styles in the library: not deleted (a deleted one waits, restorable, until it is purged)."""


def _which(deleted: bool | None):
    """The styles ``deleted`` asks for: False those in the library, True the deleted ones
    (restorable), None both."""
    if deleted is None:
        return true()
    return Style.deleted_at.is_not(None) if deleted else LIVE


def outside_sentence(style_id: int, stored: str, real: str, *, deleted: bool = False) -> str:
    where = stored if os.path.normpath(stored) == real else f"{stored} leads to {real}"
    if deleted:
        return (
            f"Style {style_id}'s files point outside the library ({where}); Style Studio removed the "
            "style from the library and did not touch them."
        )
    return f"Style {style_id}'s files point outside the library ({where}); Style Studio did not touch them."


class RealPaths:
    """``os.path.realpath`` (symlinks followed) that remembers each folder's real path, for one
    batch of rows: a gallery page resolves a thousand paths under the same few folders, with
    one ``lstat`` per new name instead of one per component."""

    MAX_DEPTH = 64  # deeper paths (only a hostile row has them) go to os.path.realpath whole

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        hit = self._memo.get(path)
        if hit is not None:
            return hit
        parent, name = os.path.split(path)
        if not name or name in (".", "..") or parent == path or path.count(os.sep) > self.MAX_DEPTH:
            real = os.path.realpath(path)
        else:
            candidate = os.path.join(self(parent), name)
            real = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
        self._memo[path] = real
        return real


class _Resolver:
    """Resolves a row's stored paths against the library folder and keeps those whose real
    path lies inside ``root``; the others are listed in ``outside``."""

    def __init__(self, library: Path, root: Path, real: RealPaths | None = None) -> None:
        self.library = os.path.abspath(library)
        self.realpath = real or RealPaths()
        self.prefix = self.realpath(os.path.abspath(root)).rstrip(os.sep) + os.sep
        self.outside: list[tuple[str, str]] = []  # (stored, real) of refused paths

    def inside(self, stored: str | None) -> Path | None:
        if not stored:
            return None
        real = self.realpath(os.path.join(self.library, stored))
        if real.startswith(self.prefix):
            return Path(real)
        self.outside.append((stored, real))
        return None


def _info(paths: Paths, style: Style, images: list[StyleImage] | None, real: RealPaths | None = None) -> StyleInfo:
    real = real or RealPaths()
    files = _Resolver(paths.library, paths.styles_dir, real)
    uploads = _Resolver(paths.library, paths.uploads_dir, real)
    kept: list[StyleImageInfo] = []
    for i in images or []:
        path, thumb = files.inside(i.path), files.inside(i.thumb_path)
        if path is not None and thumb is not None:
            kept.append(StyleImageInfo(i.position, path, thumb, i.width, i.height))
    info = StyleInfo(
        id=style.id,
        name=style.name,
        description=style.description,
        prompt=style.prompt,
        generator=style.generator,
        folder=files.inside(style.folder),
        reference_path=uploads.inside(style.reference_path),
        lut_path=files.inside(style.lut_path),
        analysis=json.loads(style.analysis) if style.analysis else None,
        params=json.loads(style.params) if style.params else {},
        job_id=style.job_id,
        created_at=style.created_at,
        images=tuple(kept),
        deleted_at=style.deleted_at,
    )
    refused = files.outside + uploads.outside
    if not refused:
        return info
    if style.id not in _WARNED:  # once per process: galleries re-read their rows often
        _WARNED.add(style.id)
        log.warning("Style %d has paths outside the library, left out: %s", style.id, refused)
    stored, real = refused[0]
    return dataclasses.replace(info, problem=outside_sentence(style.id, stored, real))


class Library:
    def __init__(self, db: Database, paths: Paths) -> None:
        self.db = db
        self.paths = paths

    def count(self, search: str = "") -> int:
        with self.db.read_session() as s:
            q = select(func.count(Style.id)).where(LIVE)
            if search:
                q = q.where(_matches(search))
            return int(s.scalar(q) or 0)

    def signature(self) -> Signature:
        """How many styles there are, the sum and newest of their ids and the newest time:
        cheap (one indexed aggregate), to tell whether a re-read is needed."""
        with self.db.read_session() as s:
            count, total, newest, latest = s.execute(
                select(func.count(Style.id), func.sum(Style.id), func.max(Style.id), func.max(Style.created_at)).where(LIVE)
            ).one()
        return int(count or 0), int(total or 0), int(newest or 0), float(latest or 0.0)

    def cards(self, search: str = "", *, limit: int, after: After | None = None) -> list[StyleCard]:
        """A gallery page: up to ``limit`` styles newest first, starting just after ``after``
        (keyset pagination: a page deep in the library costs what the first one does, where
        an OFFSET walks every row before it). Only the columns a card shows are read, and only
        the thumbnail's path is resolved (it must lie inside ``styles/``)."""
        q = (
            select(Style.id, Style.name, Style.description, Style.generator, Style.created_at, StyleImage.thumb_path)
            .outerjoin(StyleImage, and_(StyleImage.style_id == Style.id, StyleImage.position == 0))
            .where(LIVE)
            .order_by(Style.created_at.desc(), Style.id.desc())
            .limit(limit)
        )
        if search:
            q = q.where(_matches(search))
        if after is not None:
            q = q.where(_older_than(after))
        with self.db.read_session() as s:
            rows = s.execute(q).all()
        return self._cards(rows)

    def card(self, style_id: int) -> StyleCard | None:
        """One style as a gallery card, or None when there is no such style."""
        q = (
            select(Style.id, Style.name, Style.description, Style.generator, Style.created_at, StyleImage.thumb_path)
            .outerjoin(StyleImage, and_(StyleImage.style_id == Style.id, StyleImage.position == 0))
            .where(Style.id == style_id, LIVE)
        )
        with self.db.read_session() as s:
            rows = s.execute(q).all()
        cards = self._cards(rows[:1])
        return cards[0] if cards else None

    def _cards(self, rows: Any) -> list[StyleCard]:
        real = RealPaths()
        library = os.path.abspath(self.paths.library)
        prefix = real(os.path.abspath(self.paths.styles_dir)).rstrip(os.sep) + os.sep
        generators: dict[str, str] = {}  # one string per generator name, not one per row
        out = []
        for style_id, name, description, generator, created_at, stored in rows:
            thumb = None
            if stored:
                thumb = real(os.path.join(library, stored))
                if not thumb.startswith(prefix):
                    if style_id not in _WARNED:
                        _WARNED.add(style_id)
                        log.warning("Style %d's thumbnail %s leads outside the library (%s), left out", style_id, stored, thumb)
                    thumb = None
            gen = generators.setdefault(generator, sys.intern(generator))
            out.append(StyleCard(style_id, name, description, gen, created_at, thumb))
        return out

    def list(
        self,
        search: str = "",
        *,
        limit: int | None = None,
        offset: int = 0,
        after: After | None = None,
        deleted: bool = False,
    ) -> list[StyleInfo]:
        """Styles newest first, each with its first preview's thumbnail only (cheap for a
        gallery of thousands); ``after`` starts just after that (created_at, id), which unlike
        ``offset`` costs nothing for a page deep in the library. ``deleted``: the deleted
        styles (restorable until purged) instead of those in the library."""
        with self.db.read_session() as s:
            q = select(Style).where(_which(deleted)).order_by(Style.created_at.desc(), Style.id.desc()).offset(offset)
            if search:
                q = q.where(_matches(search))
            if after is not None:
                q = q.where(_older_than(after))
            if limit is not None:
                q = q.limit(limit)
            styles = list(s.scalars(q))
            firsts: dict[int, StyleImage] = {}
            if styles:
                ids = [st.id for st in styles]
                img_q = select(StyleImage).where(StyleImage.style_id.in_(ids), StyleImage.position == 0)
                for img in s.scalars(img_q):
                    firsts[img.style_id] = img
            real = RealPaths()
            return [_info(self.paths, st, [firsts[st.id]] if st.id in firsts else [], real) for st in styles]

    def get(self, style_id: int, *, deleted: bool | None = False) -> StyleInfo | None:
        """The style, or None; ``deleted`` as in ``find_id`` (by default a deleted style is None)."""
        with self.db.read_session() as s:
            style = s.get(Style, style_id)
            if style is None or (deleted is not None and (style.deleted_at is not None) != deleted):
                return None
            return _info(self.paths, style, list(style.images))

    def require(self, style_id: int) -> StyleInfo:
        """The style, whole: raises UserError when there is none, or when its row points
        outside the library."""
        info = self.get(style_id)
        if info is None:
            raise UserError(f"There is no style {style_id}; 'stylestudio styles list' shows the styles there are.")
        if info.problem:
            raise UserError(info.problem)
        return info

    def find(self, text: str | int) -> StyleInfo:
        """A style, whole (``require``), by its id or its name (see ``find_id``)."""
        return self.require(self.find_id(text))

    def find_id(self, text: str | int, *, deleted: bool | None = False) -> int:
        """The id of a style given by its id (a whole number), or by its name: exactly as
        written, else ignoring case. Raises UserError when there is none, or when several have
        that name (the sentence names them, so the person can give an id). ``deleted``: False
        looks among the styles in the library, True among the deleted ones (to restore), None
        among both."""
        which = _which(deleted)
        listing = "'stylestudio styles list --deleted' shows the deleted styles" if deleted else "'stylestudio styles list' shows the styles there are"
        none = "no deleted style" if deleted else "no style"
        if isinstance(text, int) or str(text).strip().isdigit():
            style_id = int(text)
            with self.db.read_session() as s:
                row = s.get(Style, style_id) if 1 <= style_id <= MAX_STYLE_ID else None
            if row is not None and deleted is False and row.deleted_at is not None:
                raise UserError(f"Style {style_id} was deleted; 'stylestudio styles restore {style_id}' brings it back.")
            if row is None or (deleted is True and row.deleted_at is None):
                raise UserError(f"There is {none} {style_id}; {listing}.")
            return style_id
        name = str(text).strip()
        with self.db.read_session() as s:
            found = list(s.execute(select(Style.id, Style.name).where(Style.name == name, which).order_by(Style.id)))
            if not found:  # a scan: names may be in any script, which SQL's lower() may not fold
                wanted = name.casefold()
                rows = s.execute(select(Style.id, Style.name).where(which).order_by(Style.id))
                found = [row for row in rows if row.name.casefold() == wanted]
        shown = printable(name)[:80]
        if not found:
            raise UserError(f"There is {none} named '{shown}'; {listing}.")
        if len(found) > 1:
            which = ", ".join(f"{row.id} '{printable(row.name)[:40]}'" for row in found[:5])
            more = f" and {len(found) - 5} more" if len(found) > 5 else ""
            raise UserError(f"{len(found)} styles are named '{shown}' ({which}{more}); give the id of the one you mean.")
        return int(found[0].id)

    def delete(self, style_id: int, *, deleted_before: float | None = None) -> bool:
        """Delete the style's row and its folder for good (a deleted style's too: see
        ``desktop.library.trash`` for the delete that can be undone). The uploaded reference
        stays (other styles may share it: uploads are stored once per content).
        ``deleted_before``: only if the style was deleted before then (a purge; a style
        restored meanwhile stays); False when it was not, True when the style was removed.

        The folder is deleted only when its real path lies inside ``styles/``. When the row
        points outside the library, the row is still removed but nothing outside is touched,
        and UserError says so (after the row is gone)."""
        with self.db.read_session() as s:
            style = s.get(Style, style_id)
            if style is None:
                raise UserError(f"There is no style {style_id}; 'stylestudio styles list' shows the styles there are.")
            name, stored = style.name, style.folder
        files = _Resolver(self.paths.library, self.paths.styles_dir)
        folder = files.inside(stored) if stored else None
        with self.db.write_session() as s:
            if deleted_before is not None:
                expired = Style.deleted_at.is_not(None), Style.deleted_at < deleted_before
                if s.scalar(select(Style.id).where(Style.id == style_id, *expired).with_for_update()) is None:
                    return False
            s.execute(delete(StyleImage).where(StyleImage.style_id == style_id))
            s.execute(delete(Style).where(Style.id == style_id))
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)  # the real path: never a symlink's target outside
        log.info("Deleted style %d (%s)", style_id, name)
        if files.outside:
            bad, real = files.outside[0]
            log.warning("Style %d's folder %s leads outside the library (%s); left untouched", style_id, bad, real)
            raise UserError(outside_sentence(style_id, bad, real, deleted=True))
        return True


def style_of_job(db: Database, job_id: int) -> int | None:
    """The style a job (an earlier attempt of it) saved, if any: ``styles.job_id`` is unique."""
    with db.read_session() as s:
        return s.scalar(select(Style.id).where(Style.job_id == job_id))


def styles_by_hash(db: Database, wanted: list[str]) -> dict[str, int]:
    """The styles whose stored content hash is one of ``wanted``: hash -> id."""
    found: dict[str, int] = {}
    with db.read_session() as s:
        for i in range(0, len(wanted), _IN_CHUNK):
            part = wanted[i:i + _IN_CHUNK]
            rows = s.execute(select(Style.content_hash, Style.id).where(Style.content_hash.in_(part), LIVE))
            for digest, style_id in rows:
                found[digest] = style_id
    return found


def _older_than(after: After):
    """Styles after (created_at, id) in newest-first order. Written so the created_at index
    gives the range (SQLite and PostgreSQL alike); the id breaks ties."""
    created_at, style_id = after
    return and_(Style.created_at <= created_at, or_(Style.created_at < created_at, Style.id < style_id))


def _matches(search: str):
    """Name or description contains ``search`` as typed: % and _ are plain characters."""
    text = search.strip()
    return or_(Style.name.icontains(text, autoescape=True), Style.description.icontains(text, autoescape=True))
