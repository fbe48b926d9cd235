"""Duplicating a style: a new style with its own copy of the files, under a name of its own.

The copy is made in ``tmp/duplicate-...`` first (every path resolved and inside ``styles/``;
symlinks are never followed nor copied), then its rows are inserted and the folder moved to
``styles/<new id>`` in one transaction, as ``desktop.library.writing.commit_new_style`` does for
a new style: if either fails, neither happens and nothing is left in the library.

Blocking (database and disk): never on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from desktop.db.models import Style, StyleImage
from desktop.errors import UserError
from desktop.library.reading import LIVE, Library, StyleInfo
from desktop.library.writing import MAX_NAME, checked_name, clear_leftover
from desktop.text import printable

log = logging.getLogger(__name__)

STAGING_PREFIX = "duplicate-"
# what a copy takes from its source as stored (the reference: uploads are stored once per content)
COPIED = ("description", "prompt", "generator", "reference_path", "analysis", "params")
STALE_AFTER = 3600.0  # seconds: a staging folder this old was left by a process that died
_COPY_OF = re.compile(r"^(?P<base>.*\S) copy(?: (?P<n>\d+))?$", re.IGNORECASE)


def copy_name(name: str, taken: set[str]) -> str:
    """The first of 'NAME copy', 'NAME copy 2', 'NAME copy 3'... that no style has (``taken``:
    casefolded names). A copy of a copy counts on: 'Dusk copy' gives 'Dusk copy 2'."""
    match = _COPY_OF.match(name)
    base = match.group("base") if match else name
    n = 1
    while True:
        suffix = " copy" if n == 1 else f" copy {n}"
        candidate = base[: MAX_NAME - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def duplicate_style(library: Library, style_id: int, name: str | None = None, *, now: float | None = None) -> tuple[int, str]:
    """Copy style ``style_id`` (its files, previews, strength and words) as a new style named
    ``name`` (None: 'NAME copy', unique); returns (new id, its name). The new style is the
    newest. Raises UserError, leaving nothing behind, when the style is gone, its files are not
    all in its folder, or ``name`` is empty, too long or another style's."""
    source = library.require(style_id)  # every path resolved and inside the library
    wanted = checked_name(name) if name is not None else None
    cube, images = _files_in_folder(source)
    paths = library.paths
    staging = paths.tmp_dir / f"{STAGING_PREFIX}{style_id}-{uuid.uuid4().hex[:12]}"
    final: Path | None = None
    try:
        assert source.folder is not None
        _copy_folder(source.folder, staging)
        with library.db.write_session() as s:
            row = s.get(Style, style_id)
            if row is None or row.deleted_at is not None:
                raise UserError(f"“{printable(source.name)}” was deleted meanwhile; nothing was copied.")
            stored = wanted or copy_name(row.name, _names_like(s, row.name))
            if wanted is not None:
                _refuse_taken(s, wanted)
            # not the job (one style per job) nor the content hash (unique: the source keeps it)
            same = {column: getattr(row, column) for column in COPIED}
            copy = Style(name=stored, folder="", created_at=time.time() if now is None else now, **same)
            s.add(copy)
            s.flush()  # the id names the folder
            final = paths.styles_dir / str(copy.id)
            clear_leftover(final)
            rel = f"styles/{copy.id}"
            copy.folder = rel
            copy.lut_path = f"{rel}/{cube}"
            for position, preview, thumb, w, h in images:
                s.add(StyleImage(style_id=copy.id, position=position, path=f"{rel}/{preview}", thumb_path=f"{rel}/{thumb}", width=w, height=h))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, final)
            new_id = copy.id
        log.info("Duplicated style %d as %d (%s)", style_id, new_id, stored)
        return new_id, stored
    except BaseException:
        if final is not None and final.exists() and not staging.exists():
            shutil.rmtree(final, ignore_errors=True)  # the rows rolled back: the copy goes too
        raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def remove_stale_copies(paths: Any, *, now: float | None = None) -> None:
    """Remove staging folders of duplicates left by a process that died mid-copy."""
    limit = (time.time() if now is None else now) - STALE_AFTER
    try:
        entries = list(paths.tmp_dir.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name.startswith(STAGING_PREFIX) and not entry.is_symlink() and entry.is_dir() and entry.stat().st_mtime < limit:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _names_like(s: Any, name: str) -> set[str]:
    """The casefolded names of the styles in the library that start like ``name``'s copies."""
    match = _COPY_OF.match(name)
    base = (match.group("base") if match else name)[:40]
    rows = s.scalars(select(Style.name).where(LIVE, func.lower(Style.name).startswith(base.lower(), autoescape=True)))
    return {n.casefold() for n in rows}


def _refuse_taken(s: Any, name: str) -> None:
    wanted = name.casefold()
    for other_id, other in s.execute(select(Style.id, Style.name).where(LIVE, func.lower(Style.name) == name.lower())):
        if other.casefold() == wanted:
            raise UserError(f"Style {other_id} is named '{printable(other)}' already; choose another name for the copy.")


def _files_in_folder(style: StyleInfo) -> tuple[str, list[tuple[int, str, str, int, int]]]:
    """The .cube's and the images' paths inside the style's folder (as the copy stores them)."""
    folder = style.folder
    if folder is None or style.lut_path is None or not folder.is_dir():
        raise UserError(f"“{printable(style.name)}” has no files to copy (its folder is missing); it cannot be duplicated.")

    def inside(path: Path) -> str:
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            raise UserError(f"Some of “{printable(style.name)}”'s files are not in its folder; it cannot be duplicated.") from None

    images = [(i.position, inside(i.path), inside(i.thumb_path), i.width, i.height) for i in style.images]
    return inside(style.lut_path), images


def _copy_folder(source: Path, target: Path) -> None:
    """Copy the plain files and folders under ``source`` (a real path) to ``target`` (made
    here); symlinks are left out, never followed."""
    target.mkdir(parents=True)
    for root, dirs, files in os.walk(source, followlinks=False):
        here = Path(root)
        there = target / here.relative_to(source)
        for d in dirs:
            if not (here / d).is_symlink():
                (there / d).mkdir()
        for f in files:
            path = here / f
            if path.is_symlink() or not path.is_file():
                continue
            shutil.copy2(path, there / f, follow_symlinks=False)
