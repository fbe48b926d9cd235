"""The job store's database connections: one per thread, never closed under a thread using it.

``use()`` marks an operation in flight on the calling thread's connection; ``close()`` refuses
new operations (``LibraryClosed``), waits a bounded time for the ones in flight, then closes
every idle connection. A connection still in use when that wait runs out is closed by its own
thread as its operation ends, so no connection is ever closed while another thread is inside
it (closing a sqlite3 connection under a running statement frees memory that statement still
uses: that was a segmentation fault), and none is created after ``close()``.

A connection that the server dropped (a restart, a network cut) is ``discard()``-ed by the
thread using it; that thread's next operation opens a fresh one.

Also here: telling a lock or serialization failure (worth waiting for), and a lost server
(worth reconnecting to), from any other error.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from desktop.errors import LibraryBusy, LibraryClosed

log = logging.getLogger(__name__)

CLOSE_WAIT = 5.0  # seconds close() waits for operations in flight
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available
_PG_LOCK_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class LibraryUnreachable(LibraryBusy):
    """The library's database server stayed out of reach longer than an operation waits."""

    def __init__(
        self,
        message: str = (
            "The library's database server could not be reached (it may be restarting, or the"
            " network is down); check that it runs, then try again."
        ),
    ) -> None:
        super().__init__(message)


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception inside a SQLAlchemy wrapper (``DBAPIError.orig``)."""
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def is_lock_error(exc: BaseException) -> bool:
    """True for "the database is locked / busy" (SQLite) and lock or serialization failures
    (PostgreSQL): the statement did nothing and may simply be run again later."""
    exc = _driver_error(exc)
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    return getattr(exc, "sqlstate", None) in _PG_LOCK_STATES


# PostgreSQL: connection_exception (class 08), admin_shutdown, crash_shutdown, cannot_connect_now
_PG_GONE_CLASSES = ("08",)
_PG_GONE_STATES = frozenset({"57P01", "57P02", "57P03"})


def is_disconnect(exc: BaseException) -> bool:
    """True when the database server went away or cannot be reached for now (PostgreSQL
    restarted, the network dropped): the connection is useless, a new one may work later.
    SQLite files never disconnect. Sees through SQLAlchemy's wrapper (``exc.orig``)."""
    exc = _driver_error(exc)
    if isinstance(exc, sqlite3.Error):
        return False
    state = getattr(exc, "sqlstate", None)
    if state is not None:
        return state in _PG_GONE_STATES or state.startswith(_PG_GONE_CLASSES)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - only SQLite in use
        return False
    # a closed connection, or a server that could not be reached, carries no sqlstate
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


@dataclass
class Slot:
    """One thread's connection: how many blocks of that thread use it now, and when it opened."""

    conn: Any = None
    busy: int = 0
    opened_at: float = 0.0  # time.monotonic() when ``conn`` was opened


class ThreadConnections:
    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._cond = threading.Condition()
        self._slots: dict[int, Slot] = {}
        self._closed = False
        self.closing = threading.Event()  # set by close(): waits for the lock end at once

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The calling thread's connection, marked in use until the block ends."""
        slot = self.enter()
        try:
            yield slot.conn
        finally:
            self.leave(slot)

    def enter(self) -> Slot:
        """Mark an operation in flight on the calling thread's connection (opened if needed)
        and return its slot; every ``enter`` is paired with one ``leave(slot)``. The store's
        hot path calls these two instead of ``use()`` (no generator, one lock each way)."""
        ident = threading.get_ident()
        with self._cond:
            if self._closed:
                raise LibraryClosed()
            slot = self._slots.get(ident)
            if slot is None:
                slot = self._slots[ident] = Slot()
            slot.busy += 1
        if slot.conn is None:
            try:
                slot.conn = self._connect()
            except BaseException:
                self.leave(slot)
                raise
            slot.opened_at = time.monotonic()
        return slot

    def leave(self, slot: Slot) -> None:
        """End the operation ``enter`` began. Only a closing store waits for operations to end,
        so only then is anyone told (and a connection left in use by ``close()`` is closed
        here, by its own thread)."""
        leftover = None
        with self._cond:
            slot.busy -= 1
            if self._closed:
                if slot.busy == 0:
                    # close() stopped waiting for us: this thread closes its own connection
                    leftover, slot.conn = slot.conn, None
                self._cond.notify_all()
        _close_quietly(leftover)

    def busy_slots(self) -> list[Slot]:
        """The slots whose connection a thread is using now."""
        with self._cond:
            return [s for s in self._slots.values() if s.busy]

    def opened_at(self) -> float:
        """When the calling thread's connection was opened (``time.monotonic()``; 0 if none)."""
        with self._cond:
            slot = self._slots.get(threading.get_ident())
            return slot.opened_at if slot is not None and slot.conn is not None else 0.0

    def discard(self, conn: Any) -> None:
        """Drop the calling thread's connection ``conn`` (the server closed it, or it broke):
        close it quietly; the thread's next ``use()`` opens a new one. Only the thread using
        a connection discards it, so nobody else is inside it."""
        with self._cond:
            slot = self._slots.get(threading.get_ident())
            if slot is None or slot.conn is not conn:
                return
            slot.conn = None
        _close_quietly(conn)

    def close(self, wait: float = CLOSE_WAIT) -> None:
        me = threading.get_ident()
        with self._cond:
            self._closed = True
            self.closing.set()
            deadline = time.monotonic() + wait
            while any(s.busy for ident, s in self._slots.items() if ident != me):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning("Closing the library while a job store operation still runs; it closes its own connection when done")
                    break
                self._cond.wait(remaining)
            idle = []
            for slot in self._slots.values():
                if slot.busy == 0 and slot.conn is not None:
                    idle.append(slot.conn)
                    slot.conn = None
        for conn in idle:
            _close_quietly(conn)


def _close_quietly(conn: Any) -> None:
    if conn is None:
        return
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing is best effort
        log.debug("Closing a job store connection failed", exc_info=True)


# --- did a write land? -----------------------------------------------------------------------
# A write whose connection died may have committed (the server ran it and its answer was lost)
# or not. Running it again is harmless for a fenced UPDATE whose fence still holds after it, but
# not for an INSERT, nor for an UPDATE that changes its own fence (a claim, a finish). Every such
# write of the job store stamps ``updated_at = :now`` with the time of that attempt and returns
# the row, so "did it land?" is a read: the row carrying the values that attempt wrote.

_WRITE = re.compile(
    r"^\s*(?:INSERT\s+INTO\s+(?P<itable>\w+)\s*\((?P<cols>[^)]*)\)\s*VALUES\s*"
    r"|UPDATE\s+(?P<utable>\w+)\s+SET\s+)",
    re.IGNORECASE,
)
_PARAM = re.compile(r"^(?::([a-z_][a-z0-9_]*)|%\(([a-z_][a-z0-9_]*)\)s)$")  # :name or %(name)s
STAMP = ("updated_at", "now")  # the column and parameter that tell one attempt from another


def _split_top(text: str, stop: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """``text`` cut at its commas outside parentheses and quotes, up to the first of the words
    in ``stop`` found outside them; returns the pieces and the rest from that word on."""
    parts: list[str] = []
    depth, quoted, start, i = 0, False, 0, 0
    upper = text.upper()
    while i < len(text):
        ch = text[i]
        if quoted:
            quoted = ch != "'"
        elif ch == "'":
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:  # the end of a VALUES list
                parts.append(text[start:i])
                return parts, text[i:]
        elif depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
        elif depth == 0 and ch == " " and any(upper.startswith(f" {w} ", i) for w in stop):
            parts.append(text[start:i])
            return parts, text[i:]
        i += 1
    parts.append(text[start:])
    return parts, ""


@functools.lru_cache(maxsize=256)  # the statements are constants: parse each once
def landed_query(sql: str) -> str | None:
    """For a write (``INSERT ... VALUES`` or ``UPDATE ... SET``; ``:name`` or ``%(name)s``
    parameters) that
    stamps ``updated_at = :now`` and ends in ``RETURNING cols``: a SELECT of those columns
    finding the row exactly as that write left it (every column it set from a parameter has
    that parameter's value). None for any other statement: it cannot be told, and is run again.
    Uses ``IS NOT DISTINCT FROM`` (NULLs compare equal): meant for PostgreSQL, the only
    database whose connections get lost."""
    match = _WRITE.match(sql)
    head, _, returning = sql.rpartition(" RETURNING ")
    if match is None or not head or "(" in returning:
        return None
    rest = head[match.end():]
    if match.group("itable"):
        table = match.group("itable")
        columns = [c.strip() for c in match.group("cols").split(",")]
        if not rest.startswith("("):
            return None
        values, _ = _split_top(rest[1:])
        if len(values) != len(columns):
            return None
        pairs = list(zip(columns, (v.strip() for v in values), strict=True))
    else:
        table = match.group("utable")
        assignments, _ = _split_top(rest, ("WHERE", "FROM", "RETURNING"))
        pairs = []
        for assignment in assignments:
            column, eq, value = assignment.partition("=")
            if eq:
                pairs.append((column.strip(), value.strip()))
    wanted = [(col, m.group(1) or m.group(2)) for col, value in pairs if (m := _PARAM.match(value))]
    if STAMP not in wanted:
        return None
    where = " AND ".join(f"{col} IS NOT DISTINCT FROM :{param}" for col, param in wanted)
    if re.search(r"\bWHERE id = (?::id\b|%\(id\)s)", rest):  # one row, found by its key
        where = f"id = :id AND {where}"
    return f"SELECT {returning.strip()} FROM {table} WHERE {where}"
