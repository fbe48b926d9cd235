"""The job store's database connections: one per thread, never closed under a thread using it.

``use()`` marks an operation in flight on the calling thread's connection; ``close()`` refuses
new operations (``LibraryClosed``), waits a bounded time for the ones in flight, then closes
every idle connection. A connection still in use when that wait runs out is closed by its own
thread as its operation ends, so no connection is ever closed while another thread is inside
it (closing a sqlite3 connection under a running statement frees memory that statement still
uses: that was a segmentation fault), and none is created after ``close()``.

Also here: telling a lock or serialization failure (worth waiting for) from any other error.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from desktop.errors import LibraryClosed

log = logging.getLogger(__name__)

CLOSE_WAIT = 5.0  # seconds close() waits for operations in flight
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available
_PG_LOCK_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def is_lock_error(exc: BaseException) -> bool:
    """True for "the database is locked / busy" (SQLite) and lock or serialization failures
    (PostgreSQL): the statement did nothing and may simply be run again later."""
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
    SQLite files never disconnect."""
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
class _Slot:
    conn: Any = None
    busy: int = 0


class ThreadConnections:
    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._cond = threading.Condition()
        self._slots: dict[int, _Slot] = {}
        self._closed = False
        self.closing = threading.Event()  # set by close(): waits for the lock end at once

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The calling thread's connection, marked in use until the block ends."""
        ident = threading.get_ident()
        with self._cond:
            if self._closed:
                raise LibraryClosed()
            slot = self._slots.setdefault(ident, _Slot())
            slot.busy += 1
        leftover = None
        try:
            if slot.conn is None:
                slot.conn = self._connect()
            yield slot.conn
        finally:
            with self._cond:
                slot.busy -= 1
                if self._closed and slot.busy == 0:
                    # close() stopped waiting for us: this thread closes its own connection
                    leftover, slot.conn = slot.conn, None
                self._cond.notify_all()
            _close_quietly(leftover)

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
