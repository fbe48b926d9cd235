"""Seeing what other processes committed, cheaply and without file watchers.

SQLite: one dedicated connection polls ``PRAGMA data_version``, which changes whenever another
connection commits (to any table).

PostgreSQL: one dedicated connection LISTENs on ``stylestudio_changes``, which triggers on the
library's tables notify when a transaction that wrote them commits (migration 0005), and sleeps
until a notification arrives or ``stop()`` wakes it. Whatever is waiting when it wakes is drained
and reported as one event, and events are at least ``min_gap`` apart (the trailing change is
always reported), so a busy batch elsewhere does not flood a window. A job row that became
queued notifies ``jobs.queued`` (migration 0008): that one is reported at once, whatever the
throttle of other changes says (it has its own, ``queued_gap``: 100 a second), so an idle work
pool starts a job another process queued as soon as the notification arrives, not after the
trailing event of its own commits. A slow safety probe (a small
aggregate over ``jobs`` and every table a front door asked to watch, ``watch_table``) catches
anything the triggers do not cover. A lost connection (the server restarted) is reopened with
backoff, and an event follows the reconnection: what happened meanwhile is unknown.

Either way a change is published to the hub as an ``external`` event ("read the rows again").

The watcher's connection belongs to its thread alone: only that thread opens, uses and closes
it, and it opens none once ``stop()`` was called (even when ``stop()`` gave up waiting).

This process's own commits are reported too: ``data_version`` counts commits of every other
connection, our store's included, and moves once per poll however many commits happened, so
"only ours" cannot be told from "ours and another's" in one poll (notifications carry a server
process id, but not which of our connections it was). The cost is one extra read of the rows;
filtering would risk missing another process's change."""

from __future__ import annotations

import logging
import re
import select
import socket
import threading
import time
from typing import Any

from desktop.db.engine import Database
from desktop.jobs.connections import is_disconnect
from desktop.jobs.events import ChangeHub, EventKind, JobEvent

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.1  # SQLite: seconds between two looks at data_version
CHANNEL = "stylestudio_changes"  # PostgreSQL: the channel migration 0005's triggers notify
QUEUED = "jobs.queued"  # PostgreSQL: the payload of a job row written queued (migration 0008)
SAFETY_PROBE_INTERVAL = 3.0  # PostgreSQL: seconds between two runs of the aggregate probe
MIN_EVENT_GAP = 0.05  # PostgreSQL: at most one event per this many seconds (20 a second)...
QUEUED_GAP = 0.01  # ...except a job queued: reported at once, at most 100 a second
RECONNECT_FIRST = 0.1  # PostgreSQL: the first wait before reconnecting, doubled each time...
RECONNECT_MAX = 2.0  # ...up to this
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def probe_sql(tables: dict[str, str]) -> str:
    """One row whose value changes when a watched table gets, loses or changes a row: per table
    its row count and the largest value of its watched column."""
    parts = [
        f"(SELECT count(*) FROM {table}), (SELECT coalesce(max({column}), 0) FROM {table})"
        for table, column in tables.items()
    ]
    return "SELECT " + ", ".join(parts)


def _lost_connection(exc: BaseException) -> bool:
    """``is_disconnect`` for the driver's error, also when SQLAlchemy wrapped it (opening a
    connection through the engine's pool while the server is down)."""
    return is_disconnect(getattr(exc, "orig", None) or exc)


def _close_quietly(conn: Any) -> None:
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            log.debug("Closing the watcher's connection failed", exc_info=True)


class _Stopped(Exception):
    """The watcher was stopped while it (re)connected."""


class ChangeWatcher:
    def __init__(
        self,
        db: Database,
        hub: ChangeHub,
        interval: float = POLL_INTERVAL,
        *,
        probe_interval: float = SAFETY_PROBE_INTERVAL,
        min_gap: float = MIN_EVENT_GAP,
        queued_gap: float = QUEUED_GAP,
    ) -> None:
        self._db = db
        self._hub = hub
        self._interval = interval
        self._probe_interval = probe_interval
        self._min_gap = min_gap
        self._queued_gap = queued_gap
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn_lock = threading.Lock()
        # PostgreSQL: stop() writes a byte here to end the thread's wait at once
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self.ready = threading.Event()  # set once the first probe gave the starting point
        # PostgreSQL: table -> the column whose max() moves with every change of interest
        self._tables: dict[str, str] = {"jobs": "updated_at"}
        self._pg_probe = probe_sql(self._tables)

    def watch_table(self, table: str, column: str) -> None:
        """Report changes to ``table`` too: a row added or deleted, or a larger ``column``
        (``updated_at``, or ``id`` for rows that are only added and deleted). Only PostgreSQL
        needs it, for its safety probe (SQLite's probe sees every commit, and the tables the
        front doors watch notify on their own); may be called at any time."""
        if not (_NAME.fullmatch(table) and _NAME.fullmatch(column)):
            raise ValueError(f"not a plain table and column name: {table}.{column}")
        with self._conn_lock:
            self._tables = {**self._tables, table: column}
            self._pg_probe = probe_sql(self._tables)

    def start(self) -> None:
        if self._thread is None:
            with self._conn_lock:
                if self._stop.is_set():
                    return
                if not self._db.is_sqlite and self._wake is None:
                    self._wake = socket.socketpair()
                    for sock in self._wake:
                        sock.setblocking(False)
            self._thread = threading.Thread(target=self._run, name="stylestudio-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._conn_lock:  # no connection is opened after this
            self._stop.set()
            if self._wake is not None:
                try:
                    self._wake[1].send(b"x")
                except OSError:  # full (already woken) or closed: either way it ends
                    pass
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _publish(self) -> None:
        self._hub.publish(JobEvent(EventKind.EXTERNAL, None, None))

    def _probe(self, conn: Any) -> Any:
        if self._db.is_sqlite:
            return conn.execute("PRAGMA data_version").fetchone()[0]
        sql = self._pg_probe
        cur = conn.cursor()
        cur.execute(sql)
        return sql, cur.fetchone()

    def _connect(self) -> Any:
        with self._conn_lock:
            return None if self._stop.is_set() else self._db.raw_connect()

    def _run(self) -> None:
        try:
            if self._db.is_sqlite:
                self._run_polling()
            else:
                self._run_listening()
        finally:
            with self._conn_lock:
                wake, self._wake = self._wake, None
            for sock in wake or ():
                sock.close()

    # --- SQLite: polling ------------------------------------------------------------------
    def _run_polling(self) -> None:
        conn = None
        last: Any = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn, last = self._open(listen=False)
                    if self._connected():
                        self._publish()
                value = self._probe(conn)
                if value != last:
                    last = value
                    self._publish()
            except _Stopped:
                break
            except Exception:
                log.warning("Watching the library for changes failed; retrying", exc_info=True)
                _close_quietly(conn)
                conn = None
                self._stop.wait(1.0)
            self._stop.wait(self._interval)
        _close_quietly(conn)

    # --- PostgreSQL: LISTEN/NOTIFY ----------------------------------------------------------
    def _open(self, *, listen: bool) -> tuple[Any, Any]:
        """A new connection (listening, on PostgreSQL) and the probe's starting value; raises
        ``_Stopped`` once the watcher is stopped."""
        conn = self._connect()
        if conn is None:
            raise _Stopped
        try:
            if listen:
                conn.execute(f"LISTEN {CHANNEL}")  # autocommit: listening from here on
            return conn, self._probe(conn)
        except BaseException:
            _close_quietly(conn)
            raise

    def _connected(self) -> bool:
        """Mark the watcher ready; True when it was before (a reconnect: what happened
        meanwhile is unknown, so watchers should read again)."""
        again = self.ready.is_set()
        self.ready.set()
        return again

    @staticmethod
    def _drain(conn: Any) -> tuple[bool, bool]:
        """Take every notification waiting (received or readable now) without waiting: whether
        there was any, and whether one said a job was queued."""
        seen = queued = False
        for note in conn.notifies(timeout=0):
            seen = True
            queued = queued or note.payload == QUEUED
        return seen, queued

    def _run_listening(self) -> None:
        assert self._wake is not None
        wake = self._wake[0]
        conn: Any = None
        last: Any = None
        backoff = RECONNECT_FIRST
        reconnecting = False
        pending = False  # a change seen and not yet published
        queued = False  # ...and among them a job queued (published at once, see the docstring)
        last_event = last_queued = float("-inf")
        next_probe = 0.0
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn, last = self._open(listen=True)
                    next_probe = time.monotonic() + self._probe_interval
                    backoff = RECONNECT_FIRST
                    if reconnecting:
                        reconnecting = False
                        log.info("Reconnected to the library; watching it for changes again")
                    pending = self._connected() or pending
                seen, new_job = self._drain(conn)
                pending, queued = pending or seen, queued or new_job
                now = time.monotonic()
                if now >= next_probe:
                    value = self._probe(conn)
                    next_probe = now + self._probe_interval
                    if value != last:
                        last = value
                        pending = True
                    seen, new_job = self._drain(conn)  # arrived while the probe ran: the socket is read
                    pending, queued = pending or seen, queued or new_job
                if pending and (now >= last_event + self._min_gap or (queued and now >= last_queued + self._queued_gap)):
                    if queued:
                        last_queued = now
                    pending = queued = False
                    last_event = now
                    self._publish()
                until = next_probe
                if pending:
                    until = min(until, last_event + self._min_gap)
                    if queued:
                        until = min(until, last_queued + self._queued_gap)
                timeout = max(0.0, until - time.monotonic())
                readable, _, _ = select.select([conn.fileno(), wake], [], [], timeout)
                if wake in readable:
                    break
            except _Stopped:
                break
            except Exception as exc:
                _close_quietly(conn)
                conn = None
                if _lost_connection(exc):
                    if not reconnecting:
                        reconnecting = True
                        log.warning("Reconnecting to the library…")
                    log.debug("The watcher's connection to the library was lost", exc_info=True)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, RECONNECT_MAX)
                else:
                    log.warning("Watching the library for changes failed; retrying", exc_info=True)
                    self._stop.wait(1.0)
        _close_quietly(conn)
