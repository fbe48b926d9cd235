"""Queue controls for a queue that several machines share: pauses, priority, live workers.

**Pauses** are rows of ``queue_pauses`` (one per paused job type, ``'*'`` for every type), so a
pause holds for every machine and across restarts. The claim skips paused types
(``desktop.jobs.store``); running jobs finish. Pausing marks the queued jobs of the type
"Paused" (their message), and resuming marks them "Waiting to start" again and touches them:
that committed change reaches every process's change watcher, so their work pools wake at once.

**Priority**: a smaller number runs first (0 for every new job); ``move_to_front`` gives a
queued job a number below every other queued job's (the claim takes the smallest first, then
the oldest, walking the index ``ix_jobs_claim (status, priority, id)``).

**Workers**: every work pool upserts its row of ``workers`` at start and at each heartbeat, and
deletes it when it stops cleanly. A row not renewed for ``STALE_LEASES`` lease periods (or whose
process on this machine is gone) belongs to a worker that is not live any more.

Plain DBAPI statements through the job store's connections, like ``desktop.jobs.store``.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.jobs import events
from desktop.jobs.events import JobEvent
from desktop.jobs.model import COLUMN_LIST, JobRow
from desktop.jobs.sql import execute, placeholders
from desktop.jobs.store import AT_ONCE, PAUSED_MESSAGE, USER_WAIT

if TYPE_CHECKING:
    from desktop.jobs.store import JobStore

ALL = "*"  # the job_type of a pause of the whole queue
WAITING_MESSAGE = "Waiting to start"
STALE_LEASES = 3  # a worker not seen for this many lease periods is not live
FORGET_AFTER = 86400.0  # rows of workers not seen for a day are deleted (a crash leaves one)
KINDS = ("window", "worker", "command")
POOL_THREAD_NAME = "stylestudio-pool"  # desktop.jobs.pool_thread.PoolThread: the window's pool

_RETURNING = f" RETURNING {COLUMN_LIST}"
_COVERS = "(:all_types OR type = :type)"  # a queued row of the type(s) named
_STILL_PAUSED = "EXISTS (SELECT 1 FROM queue_pauses WHERE queue_pauses.job_type IN (jobs.type, '*'))"

SQL_PAUSE = (
    "INSERT INTO queue_pauses (job_type, paused_at, paused_by) VALUES (:type, :now, :by)"
    " ON CONFLICT (job_type) DO NOTHING RETURNING job_type"
)
SQL_MARK_PAUSED = (
    f"UPDATE jobs SET message = '{PAUSED_MESSAGE}', updated_at = :now"
    f" WHERE status = 'queued' AND {_COVERS} AND message <> '{PAUSED_MESSAGE}'" + _RETURNING
)
SQL_RESUME = f"DELETE FROM queue_pauses WHERE {_COVERS.replace('type =', 'job_type =')} RETURNING job_type"
# every queued row that may start now is touched (a committed change every watcher sees)
SQL_MARK_RESUMED = (
    f"UPDATE jobs SET message = CASE WHEN message = '{PAUSED_MESSAGE}' THEN '{WAITING_MESSAGE}'"
    " ELSE message END, updated_at = :now"
    f" WHERE status = 'queued' AND {_COVERS} AND NOT {_STILL_PAUSED}" + _RETURNING
)
SQL_PAUSES = "SELECT job_type, paused_at, paused_by FROM queue_pauses ORDER BY job_type"
SQL_ACTIVE_BY_TYPE = (
    "SELECT type, status, count(*) FROM jobs WHERE status IN ('queued', 'running') GROUP BY type, status"
)
SQL_QUEUE_ORDER = (
    f"SELECT id FROM jobs WHERE status = 'queued' AND NOT {_STILL_PAUSED}"
    " ORDER BY priority, id LIMIT :limit"
)
SQL_FRONT = (
    "UPDATE jobs SET updated_at = :now, priority = (SELECT coalesce(min(q.priority), 0) - 1"
    " FROM jobs AS q WHERE q.status = 'queued' AND q.id <> :id)"
    " WHERE id = :id AND status = 'queued'" + _RETURNING
)
SQL_WORKER_UPSERT = (
    "INSERT INTO workers (owner, host, pid, kind, slots, running, started_at, seen_at)"
    " VALUES (:owner, :host, :pid, :kind, :slots, :running, :now, :now)"
    " ON CONFLICT (owner) DO UPDATE SET kind = excluded.kind, slots = excluded.slots,"
    " running = excluded.running, seen_at = excluded.seen_at"
)
SQL_WORKER_DELETE = "DELETE FROM workers WHERE owner = :owner"
SQL_WORKERS_FORGET = "DELETE FROM workers WHERE seen_at < :before"
SQL_WORKERS = "SELECT owner, host, pid, kind, slots, running, started_at, seen_at FROM workers ORDER BY host, pid, owner"
SQL_RUNNING_BY_OWNER = "SELECT owner, count(*) FROM jobs WHERE status = 'running' GROUP BY owner"


@dataclass(frozen=True, slots=True)
class Pause:
    job_type: str  # '*': the whole queue
    paused_at: float
    paused_by: str

    @property
    def everything(self) -> bool:
        return self.job_type == ALL


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    owner: str
    host: str
    pid: int
    kind: str
    slots: int
    running: int  # jobs running now (from the jobs rows; the row's own count lags a heartbeat)
    started_at: float
    seen_at: float
    live: bool


@dataclass(frozen=True, slots=True)
class QueueState:
    pauses: dict[str, Pause]  # job type ('*' for all) -> its pause
    queued: dict[str, int]  # job type -> queued jobs
    running: dict[str, int]  # job type -> running jobs

    @property
    def all_paused(self) -> bool:
        return ALL in self.pauses

    def is_paused(self, job_type: str) -> bool:
        return self.all_paused or job_type in self.pauses

    def types(self) -> list[str]:
        """Every type with a queued or running job or a pause of its own, sorted."""
        return sorted((set(self.queued) | set(self.running) | set(self.pauses)) - {ALL})


def who() -> str:
    """``user@host``: who paused (shown by ``stylestudio queue``)."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name (a container): the host alone
        return socket.gethostname()
    return f"{user}@{socket.gethostname()}"


def host_of(owner: str | None) -> str | None:
    """The machine part of a jobs/workers owner (``host:pid:token``)."""
    if not owner:
        return None
    host = owner.split(":", 1)[0]
    return host or None


def pool_kind(pool: Any) -> str:
    """What a work pool belongs to: the window (its pool runs on ``PoolThread``), a command that
    runs its one job in the foreground (``only_job``), or ``stylestudio worker``."""
    kind = getattr(pool, "kind", None)
    if isinstance(kind, str) and kind:
        return kind[:20]
    if getattr(pool, "only_job", None) is not None:
        return "command"
    return "window" if threading.current_thread().name == POOL_THREAD_NAME else "worker"


class QueueControls:
    """Pauses, priority and the workers table, over ``store``'s connections."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.hub = store.hub
        self._sqlite = store.db.is_sqlite
        self._q = placeholders(self._sqlite)
        self._true: Any = 1 if self._sqlite else True
        self._false: Any = 0 if self._sqlite else False

    # --- running statements ---------------------------------------------------------------
    def _exec(self, conn: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return execute(conn, self._sqlite, self._q(sql), params)[0]

    def _write(self, work: Callable[[Any], Any], *, wait: float | None = USER_WAIT) -> Any:
        """``work(conn)`` as one transaction: the store's write lock on SQLite (BEGIN
        IMMEDIATE), an explicit transaction on PostgreSQL (its connections autocommit)."""

        def transaction(conn: Any) -> Any:
            if self._sqlite:
                return work(conn)  # the store wraps it in BEGIN IMMEDIATE ... COMMIT
            with conn.transaction():
                return work(conn)

        return self.store.run(transaction, write=True, wait=wait)

    def _read(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.store.run(lambda conn: self._exec(conn, sql, params or {}), write=False, wait=USER_WAIT)

    def _covers(self, job_type: str | None) -> dict[str, Any]:
        everything = job_type is None or job_type == ALL
        return {"all_types": self._true if everything else self._false, "type": job_type or ALL}

    def _publish_rows(self, rows: list[tuple[Any, ...]], kind: events.EventKind) -> None:
        for r in rows:
            row = JobRow.from_db(r)
            self.hub.publish(JobEvent(kind, row.id, row))
        # "read again": views re-read the pauses, the work pool looks for jobs it may start now
        self.hub.publish(JobEvent(events.EXTERNAL, None, None))

    # --- pauses ---------------------------------------------------------------------------
    def pause(self, job_type: str | None, by: str) -> bool:
        """Pause ``job_type`` (None or '*': every type). False when it was paused already."""
        name = job_type or ALL
        covers = self._covers(job_type)

        def work(conn: Any) -> tuple[bool, list[tuple[Any, ...]]]:
            now = time.time()
            added = self._exec(conn, SQL_PAUSE, {"type": name, "now": now, "by": by[:200]})
            rows = self._exec(conn, SQL_MARK_PAUSED, {**covers, "now": now})
            return bool(added), rows

        added, rows = self._write(work)
        self._publish_rows(rows, events.UPDATED)
        return added

    def resume(self, job_type: str | None) -> list[str]:
        """Remove the pause of ``job_type`` (None: every pause, the whole queue's included);
        returns the pauses removed. Queued jobs that may start now are touched, so every work
        pool, here and on other machines, wakes."""
        covers = self._covers(job_type)

        def work(conn: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
            now = time.time()
            removed = [r[0] for r in self._exec(conn, SQL_RESUME, covers)]
            rows = self._exec(conn, SQL_MARK_RESUMED, {**covers, "now": now})
            return removed, rows

        removed, rows = self._write(work)
        self._publish_rows(rows, events.ENQUEUED)  # ENQUEUED: "may start now" wakes the pool
        return sorted(removed)

    def pauses(self) -> dict[str, Pause]:
        return {r[0]: Pause(r[0], float(r[1]), r[2]) for r in self._read(SQL_PAUSES)}

    def state(self) -> QueueState:
        queued: dict[str, int] = {}
        running: dict[str, int] = {}
        for job_type, status, count in self._read(SQL_ACTIVE_BY_TYPE):
            (queued if status == "queued" else running)[job_type] = int(count)
        return QueueState(self.pauses(), queued, running)

    def order(self, limit: int = 1000) -> list[int]:
        """The ids of the queued jobs that may start, in the order they will be claimed."""
        return [int(r[0]) for r in self._read(SQL_QUEUE_ORDER, {"limit": int(limit)})]

    # --- priority -------------------------------------------------------------------------
    def move_to_front(self, job_id: int) -> JobRow | None:
        """The queued job ``job_id`` with a priority number below every other queued job's; None when
        there is no such queued job."""
        rows = self._write(lambda conn: self._exec(conn, SQL_FRONT, {"id": job_id, "now": time.time()}))
        if not rows:
            return None
        row = JobRow.from_db(rows[0])
        self.hub.publish(JobEvent(events.UPDATED, row.id, row))
        self.hub.publish(JobEvent(events.EXTERNAL, None, None))  # views re-read the order
        return row

    # --- workers --------------------------------------------------------------------------
    def beat(self, owner: str, *, kind: str, slots: int, running: int, wait: float | None = AT_ONCE) -> None:
        """Register or renew ``owner``'s worker row. Raises ``LibraryBusy`` when locked."""
        host, _, rest = owner.partition(":")
        pid_text = rest.partition(":")[0]
        params = {
            "owner": owner,
            "host": host,
            "pid": int(pid_text) if pid_text.isdigit() else os.getpid(),
            "kind": kind[:20],
            "slots": int(slots),
            "running": int(running),
        }
        self._write(lambda conn: self._exec(conn, SQL_WORKER_UPSERT, {**params, "now": time.time()}), wait=wait)

    def forget(self, owner: str, *, wait: float | None = AT_ONCE) -> None:
        """Delete ``owner``'s worker row (a clean stop)."""
        self._write(lambda conn: self._exec(conn, SQL_WORKER_DELETE, {"owner": owner}), wait=wait)

    def forget_old(self, *, older_than: float = FORGET_AFTER) -> None:
        """Delete the rows of workers not seen for ``older_than`` seconds (crashed ones)."""
        before = time.time() - older_than
        self._write(lambda conn: self._exec(conn, SQL_WORKERS_FORGET, {"before": before}), wait=AT_ONCE)

    def workers(self, *, lease_seconds: float, is_dead: Callable[[str], bool], include_stale: bool = False) -> list[WorkerInfo]:
        """The workers seen within ``STALE_LEASES`` lease periods whose process is not known
        dead (``include_stale``: all rows, with ``live`` telling which)."""
        now = time.time()
        running = {r[0]: int(r[1]) for r in self._read(SQL_RUNNING_BY_OWNER)}
        out = []
        for owner, host, pid, kind, slots, _running, started_at, seen_at in self._read(SQL_WORKERS):
            live = now - float(seen_at) <= STALE_LEASES * lease_seconds and not is_dead(owner)
            if live or include_stale:
                out.append(
                    WorkerInfo(owner, host, int(pid), kind, int(slots), running.get(owner, 0), float(started_at), float(seen_at), live)
                )
        return out


def ago(ts: float, now: float | None = None) -> str:
    """"3 s ago", "2 min ago", "5 h ago", "3 days ago"."""
    seconds = max(0, int((now if now is not None else time.time()) - ts))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


__all__ = ["ALL", "Pause", "QueueControls", "QueueState", "WorkerInfo", "ago", "host_of", "pool_kind", "who"]
