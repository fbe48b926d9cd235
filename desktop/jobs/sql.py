"""The SQL layer the engine's stores share (``store``: jobs, ``items``: a batch's items,
``queue``: pauses and workers): statements written once with ``:name`` placeholders and run on
either database, a write transaction that takes SQLite's write lock up front, and trying again
while the library is locked by another program or its server is away.

Plain DBAPI, no ORM: these are the engine's hot paths. SQLite's driver takes ``:name``
placeholders as written; PostgreSQL's (psycopg) wants ``%(name)s`` (``to_pyformat``).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from desktop.errors import LibraryBusy
from desktop.jobs.connections import is_disconnect, is_lock_error

log = logging.getLogger(__name__)
T = TypeVar("T")

Params = dict[str, Any]
Rows = list[tuple[Any, ...]]
Work = Callable[[Any], T]


@functools.lru_cache(maxsize=256)  # the statements are constants: rewrite each once
def to_pyformat(sql: str) -> str:
    """``sql`` with its ``:name`` placeholders written ``%(name)s`` (PostgreSQL's driver);
    ``::`` casts are left alone."""
    return re.sub(r"(?<!:):([a-z_][a-z0-9_]*)", r"%(\1)s", sql)


def placeholders(sqlite: bool) -> Callable[[str], str]:
    """What turns a statement written with ``:name`` placeholders into the driver's."""
    return (lambda s: s) if sqlite else to_pyformat


def execute(conn: Any, sqlite: bool, text: str, values: Params) -> tuple[Rows, int]:
    """Run one statement (already in the driver's placeholders): the rows it returned and how
    many rows it changed."""
    if sqlite:
        cur = conn.execute(text, values)
    else:
        cur = conn.cursor()
        cur.execute(text, values)
    rows = cur.fetchall() if cur.description else []
    return rows, cur.rowcount


def sqlite_write(conn: Any, work: Work[T], *, slow_begin: Callable[[float], None] | None = None) -> T:
    """``work(conn)`` in one SQLite write transaction holding the write lock from its start
    (``BEGIN IMMEDIATE``, so two processes never dead-lock on a lock upgrade); rolled back when
    it raises. ``slow_begin`` is told how long the lock took to get."""
    started = time.monotonic()
    conn.execute("BEGIN IMMEDIATE")
    if slow_begin is not None:
        slow_begin(time.monotonic() - started)
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - the error that brought us here matters
                log.debug("ROLLBACK failed", exc_info=True)
        raise
    return result


def retrying(attempt: Callable[[], T], wait: float) -> T:
    """``attempt()`` again while the library is locked by another program or its server
    cannot be reached (it may be restarting), for up to ``wait`` seconds; then
    ``LibraryBusy`` (or the server's error). The short loop of the item store; the job store
    has its own, which also tells watchers and the log (``JobStore.run``)."""
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return attempt()
        except Exception as exc:  # noqa: BLE001 - sorted just below
            passing = is_lock_error(exc) or is_disconnect(exc)
            if not passing or time.monotonic() > deadline:
                if is_lock_error(exc):
                    raise LibraryBusy() from exc
                raise
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


class Statement:
    """One statement as a unit of work (``JobStore.statement``); remembers the values of its
    latest try, so that whether that try landed can be read back (``landed``)."""

    def __init__(self, text: str, params: Params | Callable[[], Params], sqlite: bool, landed: str | None) -> None:
        self.text = text
        self.params = params
        self.sqlite = sqlite
        self.landed_text = landed
        self.last: Params | None = None

    def __call__(self, conn: Any) -> tuple[Rows, int]:
        values = self.params() if callable(self.params) else self.params
        self.last = values
        return execute(conn, self.sqlite, self.text, values)

    def landed(self, conn: Any) -> tuple[Rows, int] | None:
        """What the latest try returned, read back, if it was committed; None when it was not
        (or this statement cannot tell: it is then simply run again)."""
        if self.landed_text is None or self.last is None:
            return None
        rows = execute(conn, self.sqlite, self.landed_text, self.last)[0]
        return (rows, len(rows)) if rows else None


__all__ = ["Params", "Rows", "Statement", "Work", "execute", "placeholders", "retrying", "sqlite_write", "to_pyformat"]
