"""Seeing what other processes committed, cheaply and without file watchers.

SQLite: one dedicated connection polls ``PRAGMA data_version``, which changes whenever another
connection commits (to any table). PostgreSQL: a small aggregate over the ``jobs`` table, and
over any other table a front door asked to watch (``watch_table``: the engine knows nothing of
styles, the window watches them). Either way a change is published to the hub as an
``external`` event ("read the rows again").

The watcher's connection belongs to its thread alone: only that thread opens, uses and closes
it, and it opens none once ``stop()`` was called (even when ``stop()`` gave up waiting).

This process's own commits are reported too: ``data_version`` counts commits of every other
connection, our store's included, and moves once per poll however many commits happened, so
"only ours" cannot be told from "ours and another's" in one poll. The cost is one extra read
of the rows; filtering would risk missing another process's change."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from desktop.db.engine import Database
from desktop.jobs.events import ChangeHub, EventKind, JobEvent

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.1
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _probe_sql(tables: dict[str, str]) -> str:
    """One row whose value changes when a watched table gets, loses or changes a row: per table
    its row count and the largest value of its watched column."""
    parts = [
        f"(SELECT count(*) FROM {table}), (SELECT coalesce(max({column}), 0) FROM {table})"
        for table, column in tables.items()
    ]
    return "SELECT " + ", ".join(parts)


class ChangeWatcher:
    def __init__(self, db: Database, hub: ChangeHub, interval: float = POLL_INTERVAL) -> None:
        self._db = db
        self._hub = hub
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn_lock = threading.Lock()
        self.ready = threading.Event()  # set once the first probe gave the starting point
        # PostgreSQL: table -> the column whose max() moves with every change of interest
        self._tables: dict[str, str] = {"jobs": "updated_at"}
        self._pg_probe = _probe_sql(self._tables)

    def watch_table(self, table: str, column: str) -> None:
        """Report changes to ``table`` too: a row added or deleted, or a larger ``column``
        (``updated_at``, or ``id`` for rows that are only added and deleted). Only PostgreSQL
        needs it (SQLite's probe sees every commit); may be called at any time."""
        if not (_NAME.fullmatch(table) and _NAME.fullmatch(column)):
            raise ValueError(f"not a plain table and column name: {table}.{column}")
        with self._conn_lock:
            self._tables = {**self._tables, table: column}
            self._pg_probe = _probe_sql(self._tables)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stylestudio-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._conn_lock:  # no connection is opened after this
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

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
        conn = None
        last: Any = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = self._connect()
                    if conn is None:
                        break
                    last = self._probe(conn)
                    if self.ready.is_set():  # reconnected: what happened meanwhile is unknown
                        self._hub.publish(JobEvent(EventKind.EXTERNAL, None, None))
                    self.ready.set()
                value = self._probe(conn)
                if value != last:
                    last = value
                    self._hub.publish(JobEvent(EventKind.EXTERNAL, None, None))
            except Exception:
                log.warning("Watching the library for changes failed; retrying", exc_info=True)
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        pass
                conn = None
                self._stop.wait(1.0)
            self._stop.wait(self._interval)
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
