"""Which of a pack's styles the library already holds, by content hash.

A style is recognised by its content hash (``desktop.exchange.pack.content_hash``: its .cube
and its previews). Before staging, an import looks for the pack's hashes in the library: in
``styles.content_hash`` (every style an import added since schema 0006) and, for the other
styles, in their files. Two imports of the same pack at once (two workers, two command lines)
both find nothing and both stage; ``desktop.library.writing.commit_pack`` lets only the first
commit a style (the unique index on ``styles.content_hash``) and reports the others as skipped.
SQLite serialises the two commits; PostgreSQL holds the second insert until the first
transaction ends, then refuses it.
"""

from __future__ import annotations

import os
from typing import Any


def present_by_hash(db: Any, paths: Any, styles: Any) -> dict[str, int]:
    """The library's styles whose content hash is one of the pack's: by the stored hash, then
    (for styles without one: made here, or imported before schema 0006) from their files, by
    .cube size first (one stat each), then the hash of the few whose size matches."""
    from sqlalchemy import select

    from desktop.db.models import Style, StyleImage
    from desktop.exchange.pack import content_hash, sha256_file
    from desktop.library.reading import RealPaths, styles_by_hash

    wanted = {s.content_hash for s in styles}
    found = styles_by_hash(db, sorted(wanted))
    sizes = {s.cube.bytes for s in styles}
    with db.read_session() as s:
        rows = s.execute(select(Style.id, Style.lut_path).where(Style.lut_path.is_not(None), Style.deleted_at.is_(None)).order_by(Style.id)).all()
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
