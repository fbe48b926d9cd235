"""A pack's staged styles committed to the library in one transaction, once each.

A style is recognised by its content hash (``desktop.exchange.pack.content_hash``: its .cube
and its previews). Before staging, an import looks for the pack's hashes in the library: in
``styles.content_hash`` (every style an import added since schema 0006) and, for the other
styles, in their files. Two imports of the same pack at once (two workers, two command lines)
both find nothing and both stage; the unique index on ``styles.content_hash`` lets only the
first commit a style: the second's insert fails, its transaction rolls back (the staged folders
go back where they were), and it commits again without the styles that are now there, which it
reports as skipped. SQLite serialises the two commits; PostgreSQL holds the second insert until
the first transaction ends, then refuses it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from desktop.errors import UserError

MAX_ROUNDS = 5  # commits tried, each without the styles another import committed meanwhile
_IN_CHUNK = 500  # hashes per IN (...) list (old SQLite allows 999 parameters)


def _library_hashes(db: Any, wanted: list[str]) -> dict[str, int]:
    """The styles whose stored content hash is one of ``wanted``: hash -> id."""
    from sqlalchemy import select

    from desktop.db.models import Style

    found: dict[str, int] = {}
    with db.read_session() as s:
        for i in range(0, len(wanted), _IN_CHUNK):
            part = wanted[i:i + _IN_CHUNK]
            for digest, style_id in s.execute(select(Style.content_hash, Style.id).where(Style.content_hash.in_(part))):
                found[digest] = style_id
    return found


def present_by_hash(db: Any, paths: Any, styles: Any) -> dict[str, int]:
    """The library's styles whose content hash is one of the pack's: by the stored hash, then
    (for styles without one: made here, or imported before schema 0006) from their files, by
    .cube size first (one stat each), then the hash of the few whose size matches."""
    from sqlalchemy import select

    from desktop.db.models import Style, StyleImage
    from desktop.exchange.pack import content_hash, sha256_file
    from desktop.library.reading import RealPaths

    wanted = {s.content_hash for s in styles}
    found = _library_hashes(db, sorted(wanted))
    sizes = {s.cube.bytes for s in styles}
    with db.read_session() as s:
        rows = s.execute(select(Style.id, Style.lut_path).where(Style.lut_path.is_not(None)).order_by(Style.id)).all()
    real = RealPaths()
    root = real(os.path.abspath(paths.styles_dir)).rstrip(os.sep) + os.sep
    library = os.path.abspath(paths.library)
    for style_id, lut_path in rows:
        cube = real(os.path.join(library, lut_path))
        if not cube.startswith(root):
            continue
        try:
            if os.stat(cube).st_size not in sizes:
                continue
        except OSError:
            continue
        with db.read_session() as s:
            previews = list(s.scalars(select(StyleImage.path).where(StyleImage.style_id == style_id).order_by(StyleImage.position)))
        try:
            files = [real(os.path.join(library, p)) for p in previews]
            if not all(f.startswith(root) for f in files):
                continue
            digest = content_hash(sha256_file(cube), [sha256_file(f) for f in files])
        except OSError:
            continue
        if digest in wanted:
            found.setdefault(digest, style_id)
    return found


def commit_pack(db: Any, paths: Any, staged: list[Any], job_id: int, fence: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Commit ``staged`` (``import_pack.Staged``) whole; returns (new styles, styles another
    import committed first), each content hash -> style id, in the pack's order."""
    from sqlalchemy.exc import IntegrityError

    todo = list(staged)
    late: dict[str, int] = {}
    for _round in range(MAX_ROUNDS):
        if not todo:
            return {}, late
        try:
            ids = _commit_once(db, paths, todo, job_id, fence)
        except IntegrityError:
            taken = _library_hashes(db, [st.style.content_hash for st in todo])
            if not taken:
                raise
            late.update(taken)
            todo = [st for st in todo if st.style.content_hash not in taken]
            continue
        return {st.style.content_hash: i for st, i in zip(todo, ids, strict=True)}, late
    raise UserError("Other imports kept adding the same styles while this one was saving; import the pack again.")


def _commit_once(db: Any, paths: Any, staged: list[Any], job_id: int, fence: Any) -> list[int]:
    """Insert every style's rows (the first carries the job's id), then move every folder (and
    reference) into place, in one transaction; on any failure the files go back where they
    were staged and nothing stays in the library."""
    from sqlalchemy import select

    from desktop.db.models import Style, StyleImage
    from desktop.pipelines.style_generate import _clear_leftover

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
                _clear_leftover(final)
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
