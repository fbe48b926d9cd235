"""Read-only listings straight from a SQLite library, with the standard library's ``sqlite3``:
``stylestudio styles list`` answers without importing SQLAlchemy, the models or the job engine
(about 0.2 s of imports) and without opening the library the full way.

This is a shortcut, never a second truth: it is taken only for the plain case (the data
folder's own SQLite file, a library at this version's schema, no ``--json``, ``--deleted`` or
``-v``) and returns None whenever anything is unusual (another database, a library folder set
elsewhere, a file that is not a library, a schema out of date, a locked or unreadable file), so
the full path decides and says what it always says. Its output is the full path's, byte for
byte (``tests/cli/test_quick_listing.py`` runs both)."""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from desktop.db.revision import SCHEMA_REVISION

QUICK_ENV = "STYLESTUDIO_NO_QUICK_LISTING"  # set (to anything) to always take the full path
BUSY_TIMEOUT = 10.0  # seconds, as the full path's connections wait for a writer


class QuickStyle(NamedTuple):
    """One listed style: what ``styles list`` prints of it."""

    id: int
    name: str
    generator: str
    created_at: float


def like_pattern(search: str) -> str:
    """``search`` as a LIKE pattern that matches it anywhere, % and _ taken as typed (escaped
    with '/', as SQLAlchemy's ``icontains(autoescape=True)`` writes it)."""
    text = search.strip().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{text}%"


def _library_file(args: argparse.Namespace) -> Path | None:
    """The data folder's own SQLite file when it is the library a plain listing may read."""
    from desktop.config import resolve_paths

    paths = resolve_paths(args.home)
    if paths.library_source is not None or paths.database_url() != f"sqlite:///{paths.db_file}":
        return None  # a library folder or a database of its own: the full path checks it
    if not paths.db_file.is_file() or not os.access(paths.home, os.W_OK):
        return None  # the full path creates nothing here, or says why it cannot
    return paths.db_file


def quick_styles(args: argparse.Namespace) -> Sequence[QuickStyle] | None:
    """The styles ``styles list`` shows (newest first, ``--search`` applied), or None when the
    full path must answer."""
    if args.json or getattr(args, "deleted", False) or args.verbose or os.environ.get(QUICK_ENV):
        return None
    db_file = _library_file(args)
    if db_file is None:
        return None
    sql = "SELECT id, name, generator, created_at FROM styles WHERE deleted_at IS NULL"
    params: tuple[str, ...] = ()
    if args.search:
        sql += " AND (lower(name) LIKE lower(?) ESCAPE '/' OR lower(description) LIKE lower(?) ESCAPE '/')"
        params = (like_pattern(args.search),) * 2
    sql += " ORDER BY created_at DESC, id DESC"
    try:
        # mode=rw, not ro: nothing is written, but a read-only connection cannot tidy the WAL
        # files away when it closes, and a listing must leave the folder as it found it
        conn = sqlite3.connect(f"{db_file.as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("SELECT version_num FROM alembic_version").fetchall() != [(SCHEMA_REVISION,)]:
            return None  # the full path upgrades it, or says it is not a library it can read
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return [QuickStyle(int(i), name, generator, float(created)) for i, name, generator, created in rows]
