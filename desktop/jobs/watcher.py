"""Seeing what other processes committed, cheaply and without file watchers.

SQLite: one dedicated connection polls ``PRAGMA data_version``, which changes whenever another
connection commits. PostgreSQL: a small aggregate over the jobs and styles tables. Either way
a change is published to the hub as an ``external`` event ("read the rows again")."""

from __future__ import annotations

import logging
import threading
from typing import Any

from desktop.db.engine import Database
from desktop.jobs import events
from desktop.jobs.events import ChangeHub, JobEvent

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.1
_PG_PROBE = (
    "SELECT (SELECT count(*) FROM jobs), (SELECT coalesce(max(updated_at), 0) FROM jobs),"
    " (SELECT count(*) FROM styles), (SELECT coalesce(max(id), 0) FROM styles)"
)


class ChangeWatcher:
    def __init__(self, db: Database, hub: ChangeHub, interval: float = POLL_INTERVAL) -> None:
        self._db = db
        self._hub = hub
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stylestudio-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _probe(self, conn: Any) -> Any:
        if self._db.is_sqlite:
            return conn.execute("PRAGMA data_version").fetchone()[0]
        cur = conn.cursor()
        cur.execute(_PG_PROBE)
        return cur.fetchone()

    def _run(self) -> None:
        conn = None
        last: Any = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = self._db.raw_connect()
                    last = self._probe(conn)
                value = self._probe(conn)
                if value != last:
                    last = value
                    self._hub.publish(JobEvent(events.EXTERNAL, None, None))
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
            conn.close()
