"""The jobs table, written with plain DBAPI statements prepared once.

This is the engine's hot path (every enqueue, claim, progress write and finish), so it skips
the ORM and SQLAlchemy's statement compilation: the figures in the README show why. Every
write takes the write lock up front (``BEGIN IMMEDIATE`` on SQLite) so two processes never
dead-lock on a lock upgrade, and every write publishes the new row to the change hub once it
is committed. Each thread gets its own connection.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from desktop.db.engine import Database
from desktop.jobs import events
from desktop.jobs.events import ChangeHub, JobEvent
from desktop.jobs.model import (
    CANCELED,
    COLUMN_LIST,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    JobRow,
)

_RETURNING = f" RETURNING {COLUMN_LIST}"

SQL_INSERT = (
    "INSERT INTO jobs (type, status, message, progress, payload, attempts, max_attempts,"
    " cancel_requested, created_at, updated_at, run_after)"
    " VALUES (:type, 'queued', :message, NULL, :payload, 0, :max_attempts, :false, :now, :now, 0)"
    + _RETURNING
)
SQL_GET = f"SELECT {COLUMN_LIST} FROM jobs WHERE id = :id"
_CLAIM_SET = (
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, owner = :owner,"
    " lease_until = :lease, started_at = :now, updated_at = :now, message = :message,"
    " progress = NULL, error = NULL"
)
_CLAIM_PICK = "SELECT id FROM jobs WHERE status = 'queued' AND run_after <= :now ORDER BY id LIMIT 1"
SQL_CLAIM_SQLITE = f"{_CLAIM_SET} WHERE id = ({_CLAIM_PICK}) AND status = 'queued'" + _RETURNING
SQL_CLAIM_POSTGRES = (
    f"{_CLAIM_SET} WHERE id = ({_CLAIM_PICK} FOR UPDATE SKIP LOCKED) AND status = 'queued'"
    + _RETURNING
)
SQL_CLAIM_ONE = (
    f"{_CLAIM_SET} WHERE id = :id AND status = 'queued' AND run_after <= :now" + _RETURNING
)
_MINE = " WHERE id = :id AND attempts = :attempt AND owner = :owner AND status = 'running'"
SQL_PROGRESS = (
    "UPDATE jobs SET progress = :progress, message = :message, updated_at = :now" + _MINE + _RETURNING
)
SQL_FINISH = (
    "UPDATE jobs SET status = :status, progress = :progress, message = :message, result = :result,"
    " error = :error, updated_at = :now, finished_at = :now, owner = NULL, lease_until = NULL"
    + _MINE
    + _RETURNING
)
SQL_REQUEUE = (
    "UPDATE jobs SET status = 'queued', message = :message, error = :error, run_after = :run_after,"
    " updated_at = :now, owner = NULL, lease_until = NULL, progress = NULL"
    + _MINE
    + _RETURNING
)
SQL_CANCEL_QUEUED = (
    "UPDATE jobs SET status = 'canceled', message = 'Canceled', updated_at = :now,"
    " finished_at = :now, cancel_requested = :true WHERE id = :id AND status = 'queued'" + _RETURNING
)
SQL_CANCEL_RUNNING = (
    "UPDATE jobs SET cancel_requested = :true, message = 'Canceling...', updated_at = :now"
    " WHERE id = :id AND status = 'running'" + _RETURNING
)
SQL_RETRY = (
    "UPDATE jobs SET status = 'queued', message = 'Waiting to start', progress = NULL,"
    " result = NULL, error = NULL, attempts = 0, cancel_requested = :false, run_after = 0,"
    " started_at = NULL, finished_at = NULL, updated_at = :now, owner = NULL, lease_until = NULL"
    " WHERE id = :id AND status IN ('failed', 'canceled')" + _RETURNING
)
SQL_DISMISS = "DELETE FROM jobs WHERE id = :id AND status IN ('succeeded', 'failed', 'canceled')"
SQL_HEARTBEAT = "UPDATE jobs SET lease_until = :lease WHERE owner = :owner AND status = 'running'"
SQL_CANCEL_WANTED = (
    "SELECT id FROM jobs WHERE owner = :owner AND status = 'running' AND cancel_requested = :true"
)
SQL_RUNNING = f"SELECT {COLUMN_LIST} FROM jobs WHERE status = 'running'"
SQL_RECOVER_REQUEUE = (
    "UPDATE jobs SET status = 'queued', message = :message, owner = NULL, lease_until = NULL,"
    " progress = NULL, run_after = 0, updated_at = :now"
    " WHERE id = :id AND status = 'running' AND owner = :owner" + _RETURNING
)
SQL_RECOVER_FAIL = (
    "UPDATE jobs SET status = 'failed', message = 'Interrupted', error = :error, owner = NULL,"
    " lease_until = NULL, updated_at = :now, finished_at = :now"
    " WHERE id = :id AND status = 'running' AND owner = :owner" + _RETURNING
)
SQL_PURGE = (
    "DELETE FROM jobs WHERE status IN ('succeeded', 'canceled') AND finished_at < :before"
)
SQL_NEXT_DUE = "SELECT min(run_after) FROM jobs WHERE status = 'queued'"


def _to_pyformat(sql: str) -> str:
    return re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql)


class JobStore:
    def __init__(self, db: Database, hub: ChangeHub) -> None:
        self.db = db
        self.hub = hub
        self._local = threading.local()
        self._all_conns: list[Any] = []
        self._lock = threading.Lock()
        self._sqlite = db.is_sqlite
        claim = SQL_CLAIM_SQLITE if self._sqlite else SQL_CLAIM_POSTGRES
        self._claim_sql = claim if self._sqlite else _to_pyformat(claim)
        self._q = (lambda s: s) if self._sqlite else _to_pyformat
        self._true: Any = 1 if self._sqlite else True
        self._false: Any = 0 if self._sqlite else False

    # --- connections ------------------------------------------------------------------------
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.db.raw_connect()
            self._local.conn = conn
            with self._lock:
                self._all_conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._all_conns = self._all_conns, []
        for conn in conns:
            try:
                conn.close()
            except Exception:
                pass
        self._local = threading.local()

    def _execute(self, sql: str, params: dict[str, Any]) -> tuple[list[tuple[Any, ...]], int]:
        """One write transaction: the rows it returned and how many rows it changed."""
        conn = self._conn()
        if not self._sqlite:
            cur = conn.cursor()
            cur.execute(self._q(sql), params)
            return (cur.fetchall() if cur.description else []), cur.rowcount
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(sql, params)
            rows = cur.fetchall()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return rows, cur.rowcount

    def _write(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._execute(sql, params)[0]

    def _read(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        conn = self._conn()
        if self._sqlite:
            return conn.execute(sql, params or {}).fetchall()
        cur = conn.cursor()
        cur.execute(self._q(sql), params or {})
        return cur.fetchall()

    def _write_row(self, sql: str, params: dict[str, Any], kind: str) -> JobRow | None:
        rows = self._write(sql, params)
        if not rows:
            return None
        row = JobRow.from_db(rows[0])
        self.hub.publish(JobEvent(kind, row.id, row))
        return row

    # --- API ----------------------------------------------------------------------------------
    def enqueue(self, job_type: str, payload_json: str, max_attempts: int) -> JobRow:
        row = self._write_row(
            SQL_INSERT,
            {
                "type": job_type,
                "message": "Waiting to start",
                "payload": payload_json,
                "max_attempts": max_attempts,
                "false": self._false,
                "now": time.time(),
            },
            events.ENQUEUED,
        )
        assert row is not None
        return row

    def get(self, job_id: int) -> JobRow | None:
        rows = self._read(SQL_GET, {"id": job_id})
        return JobRow.from_db(rows[0]) if rows else None

    def list(
        self,
        *,
        statuses: Iterable[str] | None = None,
        limit: int = 200,
        types: Iterable[str] | None = None,
    ) -> list[JobRow]:
        clauses, params = [], {}
        if statuses is not None:
            names = [s for s in statuses]
            clauses.append("status IN (" + ", ".join(f":s{i}" for i in range(len(names))) + ")")
            params.update({f"s{i}": s for i, s in enumerate(names)})
        if types is not None:
            names = list(types)
            clauses.append("type IN (" + ", ".join(f":t{i}" for i in range(len(names))) + ")")
            params.update({f"t{i}": t for i, t in enumerate(names)})
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT {COLUMN_LIST} FROM jobs{where} ORDER BY id DESC LIMIT {int(limit)}"
        return [JobRow.from_db(r) for r in self._read(sql, params)]

    def claim(
        self, owner: str, lease_seconds: float, job_id: int | None = None
    ) -> JobRow | None:
        now = time.time()
        params = {"owner": owner, "lease": now + lease_seconds, "now": now, "message": "Starting"}
        if job_id is None:
            return self._write_row(self._claim_sql, params, events.STATUS)
        params["id"] = job_id
        return self._write_row(SQL_CLAIM_ONE, params, events.STATUS)

    def write_progress(
        self, row: JobRow, progress: float | None, message: str
    ) -> JobRow | None:
        """Returns the new row (its ``cancel_requested`` tells the handler to stop), or None
        when the row is no longer this attempt's (canceled elsewhere, recovered, dismissed)."""
        return self._write_row(
            SQL_PROGRESS,
            {
                "progress": progress,
                "message": message,
                "now": time.time(),
                "id": row.id,
                "attempt": row.attempts,
                "owner": row.owner,
            },
            events.UPDATED,
        )

    @staticmethod
    def _finish_params(
        row: JobRow, status: str, message: str, progress: float | None, result_json: str | None, error: str | None
    ) -> dict[str, Any]:
        assert status in FINISHED
        return {
            "status": status,
            "progress": progress,
            "message": message,
            "result": result_json,
            "error": error,
            "now": time.time(),
            "id": row.id,
            "attempt": row.attempts,
            "owner": row.owner,
        }

    def finish(
        self,
        row: JobRow,
        status: str,
        *,
        message: str,
        progress: float | None = None,
        result_json: str | None = None,
        error: str | None = None,
    ) -> JobRow | None:
        params = self._finish_params(row, status, message, progress, result_json, error)
        return self._write_row(SQL_FINISH, params, events.STATUS)

    def finish_and_claim(
        self,
        row: JobRow,
        status: str,
        *,
        message: str,
        progress: float | None = None,
        result_json: str | None = None,
        error: str | None = None,
        lease_seconds: float,
    ) -> tuple[JobRow | None, JobRow | None]:
        """End this job and claim the oldest ready one in the same transaction: a busy pool
        pays one write transaction per job hand-over instead of two."""
        if not self._sqlite:
            finished = self.finish(row, status, message=message, progress=progress, result_json=result_json, error=error)
            return finished, self.claim(row.owner or "", lease_seconds)
        params = self._finish_params(row, status, message, progress, result_json, error)
        claim = {"owner": row.owner, "lease": params["now"] + lease_seconds, "now": params["now"], "message": "Starting"}
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute(SQL_FINISH, params).fetchall()
            nxt = conn.execute(self._claim_sql, claim).fetchall()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        finished = JobRow.from_db(done[0]) if done else None
        claimed = JobRow.from_db(nxt[0]) if nxt else None
        if finished is not None:
            self.hub.publish(JobEvent(events.STATUS, finished.id, finished))
        if claimed is not None:
            self.hub.publish(JobEvent(events.STATUS, claimed.id, claimed))
        return finished, claimed

    def requeue(self, row: JobRow, *, run_after: float, message: str, error: str) -> JobRow | None:
        return self._write_row(
            SQL_REQUEUE,
            {
                "message": message,
                "error": error,
                "run_after": run_after,
                "now": time.time(),
                "id": row.id,
                "attempt": row.attempts,
                "owner": row.owner,
            },
            events.STATUS,
        )

    def request_cancel(self, job_id: int) -> JobRow | None:
        """Queued: canceled at once. Running: flagged; the handler stops at its next check."""
        now = time.time()
        row = self._write_row(
            SQL_CANCEL_QUEUED, {"now": now, "id": job_id, "true": self._true}, events.STATUS
        )
        if row is not None:
            return row
        return self._write_row(
            SQL_CANCEL_RUNNING,
            {"now": now, "id": job_id, "true": self._true},
            events.CANCEL_REQUESTED,
        )

    def retry(self, job_id: int) -> JobRow | None:
        return self._write_row(
            SQL_RETRY, {"now": time.time(), "id": job_id, "false": self._false}, events.ENQUEUED
        )

    def dismiss(self, job_id: int) -> bool:
        count = self._execute(SQL_DISMISS, {"id": job_id})[1]
        if count:
            self.hub.publish(JobEvent(events.REMOVED, job_id, None))
        return bool(count)

    def heartbeat(self, owner: str, lease_seconds: float) -> None:
        self._write(SQL_HEARTBEAT, {"owner": owner, "lease": time.time() + lease_seconds})

    def cancel_wanted(self, owner: str) -> list[int]:
        return [r[0] for r in self._read(SQL_CANCEL_WANTED, {"owner": owner, "true": self._true})]

    def running(self) -> list[JobRow]:
        return [JobRow.from_db(r) for r in self._read(SQL_RUNNING)]

    def recover_requeue(self, row: JobRow, message: str) -> JobRow | None:
        return self._write_row(
            SQL_RECOVER_REQUEUE,
            {"message": message, "now": time.time(), "id": row.id, "owner": row.owner},
            events.STATUS,
        )

    def recover_fail(self, row: JobRow, error: str) -> JobRow | None:
        return self._write_row(
            SQL_RECOVER_FAIL,
            {"error": error, "now": time.time(), "id": row.id, "owner": row.owner},
            events.STATUS,
        )

    def purge_finished(self, before: float) -> int:
        count = self._execute(SQL_PURGE, {"before": before})[1]
        if count:
            self.hub.publish(JobEvent(events.REMOVED, None, None))
        return count

    def next_due(self) -> float | None:
        rows = self._read(SQL_NEXT_DUE)
        return rows[0][0] if rows and rows[0][0] is not None else None


__all__ = ["JobStore", "QUEUED", "RUNNING", "FAILED", "CANCELED"]
