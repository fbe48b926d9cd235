"""Writing styles: a new, imported or re-strengthened style committed whole, and the files no
row points at cleaned away.

Every commit here inserts or changes the rows and moves the files a job made (under
``tmp/job-<id>-...``) into ``styles/<id>/`` in one transaction: if either fails, neither happens
and the files go back where they were. ``fence(session)`` runs first inside the transaction (it
raises LeaseLost when the job is no longer this attempt's). The pipelines (``style.generate``,
``style.import``, ``style.strength``) make the files; only this module puts them in the library.

Blocking (database and disk): call it off the GUI thread, and not through
``ctx.run_in_thread`` (a cancel arriving during a commit must not undo a saved style).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desktop.db.models import Style, StyleImage
from desktop.errors import UserError
from desktop.library.reading import Library, style_of_job, styles_by_hash
from desktop.text import clean_name

log = logging.getLogger(__name__)

MAX_NAME = 200  # styles.name is String(200)
MAX_ROUNDS = 5  # pack commits tried, each without the styles another import committed meanwhile
# the files of a style folder that are previews or thumbnails (the generator's and the strength job's)
PREVIEW_FILE = re.compile(r"^(preview|thumb)[-_.]", re.IGNORECASE)


# --- a new style (made here, or imported from a LUT file) -----------------------------------------


@dataclass(frozen=True)
class NewStyle:
    """A style a job made, as it is saved: its words, where it came from (the generator, the
    reference photo's path, its analysis), its params and its (preview, thumbnail, width,
    height) images, whose files are in the job's work folder."""

    name: str
    description: str
    generator: str
    params: dict[str, Any]
    images: list[tuple[Path, Path, int, int]]
    prompt: str = ""
    reference: str | None = None
    analysis: dict[str, Any] | None = None


def commit_new_style(db: Any, paths: Any, work: Path, new: NewStyle, *, job_id: int, fence: Any = None) -> int:
    """Save ``new`` from the folder ``work``: insert the rows and move the folder into place in
    one transaction: if either fails, neither happens. ``fence(session)`` runs first inside the transaction (it raises LeaseLost
    when the job is no longer this attempt's); a style this job already saved is returned
    instead of a second one."""
    # the last line of defence for every new style's name (a raw payload, an imported LUT...):
    # no control or format character is ever stored, so no terminal or label gets one from it
    name = clean_name(new.name, MAX_NAME) or "Untitled style"
    library = paths.library  # rows store paths relative to it: every machine maps it its own way
    final: Path | None = None
    try:
        with db.write_session() as s:
            if fence is not None:
                fence(s)
            existing = s.scalar(select(Style.id).where(Style.job_id == job_id))
            if existing is not None:
                log.info("[job %d] style %d was already saved; not saving another", job_id, existing)
                return existing
            style = Style(
                name=name,
                description=new.description,
                prompt=new.prompt,
                generator=new.generator,
                folder="",
                reference_path=_relative(Path(new.reference), library) if new.reference else None,
                lut_path=None,
                analysis=json.dumps(new.analysis) if new.analysis else None,
                params=json.dumps(new.params),
                job_id=job_id,
                created_at=time.time(),
            )
            s.add(style)
            s.flush()  # the id names the folder
            final = paths.styles_dir / str(style.id)
            clear_leftover(final)
            rel = _relative(final, library)
            style.folder = rel
            style.lut_path = f"{rel}/style.cube"
            for position, (preview, thumb, w, h) in enumerate(new.images):
                s.add(StyleImage(style_id=style.id, position=position, path=f"{rel}/{preview.name}", thumb_path=f"{rel}/{thumb.name}", width=w, height=h))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work, final)
            style_id = style.id
        return style_id
    except BaseException as exc:
        if final is not None and final.exists() and not work.exists():
            shutil.rmtree(final, ignore_errors=True)
        if isinstance(exc, IntegrityError):
            # Another attempt of this job committed its style between our check and our insert
            # (possible on PostgreSQL): the unique index on styles.job_id refused a second one.
            existing = style_of_job(db, job_id)
            if existing is not None:
                return existing
        raise


# --- a pack's styles ------------------------------------------------------------------------------


def checked_name(name: str) -> str:
    """``name`` as a style stores it (control and format characters dropped, white space
    collapsed); UserError when it is empty or too long."""
    clean = clean_name(name, limit=len(name))
    if not clean:
        raise UserError("A style's name cannot be empty; type a few words, like 'Harbour dusk'.")
    if len(clean) > MAX_NAME:
        raise UserError(f"The name is {len(clean)} characters long; keep it under {MAX_NAME}.")
    return clean


def rename_style(db: Any, style_id: int, name: str) -> str:
    """Give style ``style_id`` the name ``name`` (see ``checked_name``); returns the name
    stored. Raises UserError, changing nothing, when the name is empty or too long, or the
    style is gone."""
    clean = checked_name(name)
    with db.write_session() as s:
        style = s.get(Style, style_id)
        if style is None:
            raise UserError(f"There is no style {style_id}; 'stylestudio styles list' shows the styles there are.")
        style.name = clean
    return clean


def commit_pack(db: Any, paths: Any, staged: list[Any], job_id: int, fence: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Commit ``staged`` (``desktop.pipelines.import_.pack.Staged``) whole; returns (new styles, styles another
    import committed first), each content hash -> style id, in the pack's order.

    Two imports of the same pack at once both stage; the unique index on
    ``styles.content_hash`` lets only the first commit a style: the second's insert fails, its
    transaction rolls back (the staged folders go back where they were), and it commits again
    without the styles that are now there."""
    todo = list(staged)
    late: dict[str, int] = {}
    _purge_deleted_twins(db, paths, [st.style.content_hash for st in todo])
    for _round in range(MAX_ROUNDS):
        if not todo:
            return {}, late
        try:
            ids = _commit_pack_once(db, paths, todo, job_id, fence)
        except IntegrityError:
            taken = styles_by_hash(db, [st.style.content_hash for st in todo])
            if not taken:
                raise
            late.update(taken)
            todo = [st for st in todo if st.style.content_hash not in taken]
            continue
        return {st.style.content_hash: i for st, i in zip(todo, ids, strict=True)}, late
    raise UserError("Other imports kept adding the same styles while this one was saving; import the pack again.")


def _purge_deleted_twins(db: Any, paths: Any, hashes: list[str]) -> None:
    """Deleted styles (restorable) with the content of styles being imported again are purged
    first: the import brings that content back, and a content is stored once (unique hash)."""
    twins: list[int] = []
    with db.read_session() as s:
        for i in range(0, len(hashes), 500):  # old SQLite allows 999 parameters
            part = hashes[i:i + 500]
            twins += s.scalars(select(Style.id).where(Style.content_hash.in_(part), Style.deleted_at.is_not(None)))
    library = Library(db, paths)
    for style_id in twins:
        try:
            library.delete(style_id, deleted_before=time.time() + 1)
        except UserError as exc:
            log.warning("Purging deleted style %d before importing it again: %s", style_id, exc)


def _commit_pack_once(db: Any, paths: Any, staged: list[Any], job_id: int, fence: Any) -> list[int]:
    """Insert every style's rows (the first carries the job's id), then move every folder (and
    reference) into place, in one transaction; on any failure the files go back where they
    were staged and nothing stays in the library."""
    moved: list[tuple[Path, Path]] = []  # (final, staged) folders
    placed_refs: list[tuple[Path, Path]] = []  # (in uploads/, staged)
    now = time.time()
    try:
        with db.write_session() as s:
            fence(s)
            if s.scalar(select(Style.id).where(Style.job_id == job_id)) is not None:
                raise UserError("This import was already saved by an earlier attempt; run the import again to see its styles.")
            rows = []
            for n, st in enumerate(staged):
                ps = st.style
                style = Style(
                    name=ps.name,
                    description=ps.description,
                    prompt=ps.prompt,
                    generator=ps.generator,
                    folder="",
                    reference_path=f"uploads/{st.reference[1]}" if st.reference is not None else None,
                    lut_path=None,
                    analysis=json.dumps(ps.analysis) if ps.analysis else None,
                    params=json.dumps(ps.params),
                    job_id=job_id if n == 0 else None,
                    content_hash=ps.content_hash,
                    created_at=now - n * 1e-3,  # the pack's first style shows first
                )
                s.add(style)
                s.flush()  # a style another import committed meanwhile fails here (unique hash)
                rel = f"styles/{style.id}"
                style.folder = rel
                style.lut_path = f"{rel}/style.cube"
                for position, (preview, thumb, w, h) in enumerate(st.images):
                    s.add(StyleImage(style_id=style.id, position=position, path=f"{rel}/{preview}", thumb_path=f"{rel}/{thumb}", width=w, height=h))
                rows.append(style)
            s.flush()
            for st, style in zip(staged, rows, strict=True):
                if st.reference is not None:
                    staged_ref, ref_name = st.reference
                    target = paths.uploads_dir / ref_name
                    if not target.is_file():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(staged_ref, target)
                        placed_refs.append((target, staged_ref))
                final = paths.styles_dir / str(style.id)
                clear_leftover(final)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(st.folder, final)
                moved.append((final, st.folder))
            ids = [style.id for style in rows]
        return ids
    except BaseException:
        for final, folder in reversed(moved):
            if final.exists() and not folder.exists():
                os.replace(final, folder)
        for target, staged_ref in placed_refs:
            if target.exists() and not staged_ref.exists():
                os.replace(target, staged_ref)
        raise


# --- a style's new strength -----------------------------------------------------------------------


def commit_strength(
    db: Any,
    style: Any,
    work: Path,
    *,
    strength: int,
    images: list[tuple[int, str, str, int, int]],
    quality: dict[str, Any] | None,
    job_id: int,
    fence: Any = None,
    changed: dict[str, Any] | None = None,
) -> list[str]:
    """Move the new files in and point the rows at them, in one transaction; returns the
    stored paths of the files the rows no longer use. On failure the folder is as it was.
    ``changed``: other params the change sets (a grain or vignette set on its own)."""
    folder: Path = style.folder
    cube: Path = style.lut_path
    moved: list[Path] = []
    backup = work / "previous.cube"
    replaced = False
    try:
        with db.write_session() as s:
            if fence is not None:
                fence(s)
            row = s.scalar(select(Style).where(Style.id == style.id).with_for_update())
            if row is None:
                raise UserError(f"“{style.name}” was deleted while its strength was being changed; nothing was saved.")
            params = json.loads(row.params) if row.params else {}
            if params.get("strength_job") == job_id:
                return []
            rows = {img.position: img for img in s.scalars(select(StyleImage).where(StyleImage.style_id == style.id))}
            old: list[str] = []
            for position, preview, thumb, w, h in images:
                img = rows.get(position)
                if img is None:
                    continue
                for name in (preview, thumb):
                    os.replace(work / name, folder / name)
                    moved.append(folder / name)
                old += [img.path, img.thumb_path]
                img.path = f"{row.folder}/{preview}"
                img.thumb_path = f"{row.folder}/{thumb}"
                img.width, img.height = w, h
            if cube.is_file():
                shutil.copyfile(cube, backup)
            os.replace(work / "style.cube", cube)
            replaced = True
            params.update(changed or {})
            params["strength"] = strength
            params["strength_job"] = job_id
            if quality is not None:
                params["quality"] = quality
            row.params = json.dumps(params)
        return old
    except BaseException:
        for path in moved:
            path.unlink(missing_ok=True)
        if replaced and backup.is_file():
            os.replace(backup, cube)
        raise


# --- files no row points at -----------------------------------------------------------------------


def clear_leftover(final: Path) -> None:
    """Remove what a style whose rows are gone left at ``final``; a symlink is unlinked, never
    followed, so nothing outside the library is touched."""
    if final.is_symlink() or final.is_file():
        final.unlink()
    elif final.exists():
        shutil.rmtree(final)


def remove_old_previews(folder: Path | None, stored: list[str]) -> None:
    """Remove the old previews the rows no longer point at: only plain files directly in the
    style's folder (the real one, inside the library), never a symlink's target."""
    if folder is None:
        return
    for rel in stored:
        path = folder / Path(rel).name
        if path.is_symlink() or not path.is_file() or not PREVIEW_FILE.match(path.name):
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("Could not remove the old preview %s: %s", path, exc)


def remove_unreferenced_previews(db: Any, style_id: int, folder: Path | None) -> None:
    """After a crash between the commit and the tidying: remove the previews and thumbnails in
    the style's folder that no row points at. Runs under the write lock (and the style's row
    lock), so a strength job moving its files in right now cannot lose them."""
    if folder is None or not folder.is_dir():
        return
    with db.write_session() as s:
        if s.scalar(select(Style.id).where(Style.id == style_id).with_for_update()) is None:
            return
        used = {Path(p).name for img in s.scalars(select(StyleImage).where(StyleImage.style_id == style_id)) for p in (img.path, img.thumb_path)}
        for entry in folder.iterdir():
            if entry.name in used or not PREVIEW_FILE.match(entry.name) or entry.is_symlink() or not entry.is_file():
                continue
            entry.unlink(missing_ok=True)


def _relative(path: Path, library: Path) -> str:
    """``path`` relative to the library folder (both real paths: the library may be reached
    through a symlink), as stored in a row; a path outside it stays absolute."""
    try:
        return path.resolve().relative_to(library.resolve()).as_posix()
    except ValueError:
        return str(path)
