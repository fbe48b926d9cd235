"""The items of a batch job (the photos of ``style.apply``), kept in ``job_items`` beside the
job's row: input, output, status (``pending``, ``done``, ``failed``) and error.

A batch is enqueued *with* its items in one transaction (``enqueue_batch``): a worker never
sees the row without them, and a payload stays small however many photos there are (a job's
payload is capped at 64 KiB). An item is keyed by (job, position), so a run again after a
crash finds what the earlier run did: a ``done`` item is never redone.

Every write made while a job runs is fenced like the job's own row writes: it changes
nothing unless the job is still running for this attempt and owner (``Fence``), so a worker
that lost its lease records nothing. Plain DBAPI on a short-lived connection per call: items
change a few times a second at most, and this keeps the module free of thread bookkeeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from desktop.db.engine import Database
from desktop.errors import LeaseLost, LibraryBusy, UserError
from desktop.jobs import events, registry
from desktop.jobs.connections import is_lock_error
from desktop.jobs.events import JobEvent
from desktop.jobs.model import JobRow
from desktop.jobs.store import SQL_INSERT, _to_pyformat

PENDING, DONE, FAILED = "pending", "done", "failed"
ITEM_STATUSES = (PENDING, DONE, FAILED)
LOCK_WAIT = 60.0  # seconds a write waits for a library locked by another program

_COLUMNS = "position, input, output, status, error"
SQL_ADD = (
    "INSERT INTO job_items (job_id, position, input, output, status, error, updated_at)"
    " VALUES (:job_id, :position, :input, NULL, 'pending', NULL, :now)"
)
SQL_ITEMS = f"SELECT {_COLUMNS} FROM job_items WHERE job_id = :job_id ORDER BY position"
SQL_COUNTS = "SELECT status, count(*) FROM job_items WHERE job_id = :job_id GROUP BY status"
_STILL_MINE = (
    " AND EXISTS (SELECT 1 FROM jobs WHERE id = :job_id AND attempts = :attempt AND owner = :owner"
    " AND status = 'running')"
)
SQL_SET = (
    "UPDATE job_items SET status = :status, output = :output, error = :error, updated_at = :now"
    " WHERE job_id = :job_id AND position = :position" + _STILL_MINE
)
SQL_RESET_FAILED = (
    "UPDATE job_items SET status = 'pending', error = NULL, output = NULL, updated_at = :now"
    " WHERE job_id = :job_id AND status = 'failed'" + _STILL_MINE
)
# PostgreSQL: the fence also locks the job's row until the write commits. Without the lock the
# check reads the row as it was when the statement began, so an item could be written after a
# recovery that ran meanwhile had taken the job (SQLite's write lock rules that out by itself).
_STILL_MINE_POSTGRES = _STILL_MINE[:-1] + " FOR SHARE)"


def _postgres_fence(sql: str) -> str:
    return _to_pyformat(sql.replace(_STILL_MINE, _STILL_MINE_POSTGRES))


@dataclass(frozen=True, slots=True)
class Item:
    position: int
    input: str
    output: str | None
    status: str
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "input": self.input, "output": self.output, "status": self.status, "error": self.error}


@dataclass(frozen=True, slots=True)
class Fence:
    """Which run of a job may write its items: the row's id, attempt and owner."""

    job_id: int
    attempt: int
    owner: str | None

    @classmethod
    def of(cls, row: JobRow) -> Fence:
        return cls(row.id, row.attempts, row.owner)

    def params(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "attempt": self.attempt, "owner": self.owner}


class ItemStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite = db.is_sqlite
        self._q: Callable[[str], str] = (lambda s: s) if self._sqlite else _to_pyformat
        self._fence_q: Callable[[str], str] = (lambda s: s) if self._sqlite else _postgres_fence

    # --- connections and transactions -----------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[Any]:
        conn = self.db.raw_connect()
        try:
            yield conn
        finally:
            conn.close()

    def _cursor(self, conn: Any, sql: str, params: Any = None, *, many: bool = False, fenced: bool = False) -> Any:
        text = self._fence_q(sql) if fenced else self._q(sql)
        cur = conn.cursor()
        if many:
            cur.executemany(text, params)
        else:
            cur.execute(text, params or {})
        return cur

    def _write(self, work: Callable[[Any], Any]) -> Any:
        """``work(conn)`` in one write transaction (the write lock taken up front on SQLite);
        waits for a library locked by another program, then raises ``LibraryBusy``."""
        deadline = time.monotonic() + LOCK_WAIT
        delay = 0.05
        while True:
            try:
                with self._connection() as conn:
                    if self._sqlite:
                        conn.execute("BEGIN IMMEDIATE")
                        try:
                            result = work(conn)
                            conn.execute("COMMIT")
                        except BaseException:
                            if conn.in_transaction:
                                conn.execute("ROLLBACK")
                            raise
                        return result
                    with conn.transaction():
                        return work(conn)
            except Exception as exc:  # noqa: BLE001 - sorted just below
                if not is_lock_error(exc) or time.monotonic() > deadline:
                    if is_lock_error(exc):
                        raise LibraryBusy() from exc
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _read(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return self._cursor(conn, sql, params).fetchall()

    # --- enqueue (front doors) ------------------------------------------------------------------
    def enqueue_batch(self, engine: Any, job_type: str, payload: dict[str, Any], inputs: Sequence[str]) -> int:
        """Queue a job of ``job_type`` with one pending item per input, in one transaction;
        returns the job's id. The payload is validated like ``engine.enqueue`` does."""
        jt = registry.get(job_type)
        if jt is None:
            raise UserError(f"There is no job type '{job_type}'; the known types are: {', '.join(registry.names())}.")
        if jt.validate is not None:
            jt.validate(payload)
        if not inputs:
            raise UserError("A batch needs at least one item.")
        now = time.time()
        job = {
            "type": job_type,
            "message": "Waiting to start",
            "payload": json.dumps(payload),
            "max_attempts": engine.max_attempts,
            "false": 0 if self._sqlite else False,
            "now": now,
        }

        def work(conn: Any) -> JobRow:
            row = JobRow.from_db(self._cursor(conn, SQL_INSERT, job).fetchone())
            rows = [{"job_id": row.id, "position": i, "input": str(p), "now": now} for i, p in enumerate(inputs)]
            self._cursor(conn, SQL_ADD, rows, many=True)
            return row

        row = self._write(work)
        engine.hub.publish(JobEvent(events.ENQUEUED, row.id, row))
        return row.id

    # --- reading --------------------------------------------------------------------------------
    def items(self, job_id: int) -> list[Item]:
        return [Item(*r) for r in self._read(SQL_ITEMS, {"job_id": job_id})]

    def counts(self, job_id: int) -> dict[str, int]:
        found = {status: 0 for status in ITEM_STATUSES}
        for status, n in self._read(SQL_COUNTS, {"job_id": job_id}):
            found[status] = int(n)
        return found

    # --- writes of a running job (fenced) -------------------------------------------------------
    def _fenced(self, sql: str, params: Iterable[dict[str, Any]] | dict[str, Any], fence: Fence) -> int:
        many = not isinstance(params, dict)

        def work(conn: Any) -> int:
            if many:
                rows = [{**p, **fence.params(), "now": time.time()} for p in params]  # type: ignore[union-attr]
                cur = self._cursor(conn, sql, rows, many=True, fenced=True)
                return cur.rowcount if cur.rowcount >= 0 else len(rows)
            return self._cursor(conn, sql, {**params, **fence.params(), "now": time.time()}, fenced=True).rowcount  # type: ignore[dict-item]

        return self._write(work)

    def set(self, fence: Fence, position: int, *, status: str, output: str | None = None, error: str | None = None) -> None:
        """Record one item's state; raises ``LeaseLost`` when the job is no longer this run's."""
        assert status in ITEM_STATUSES
        changed = self._fenced(SQL_SET, {"position": position, "status": status, "output": output, "error": error}, fence)
        if not changed:
            raise LeaseLost()

    def reset_failed(self, fence: Fence) -> int:
        """Failed items back to pending (a retry runs them again); returns how many."""
        return self._fenced(SQL_RESET_FAILED, {}, fence)
