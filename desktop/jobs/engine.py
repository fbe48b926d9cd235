"""The job engine: one API for the window, the command line and the headless worker.

``enqueue`` / ``get`` / ``list`` / ``cancel`` / ``retry`` / ``dismiss`` / ``watch`` work from
any thread and any process; ``pool()`` makes a work pool that runs the queued jobs. Opening an
engine recovers jobs whose process died and deletes finished rows past the retention period
(unless it is opened read-only). After ``close()`` every call raises ``LibraryClosed``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from desktop.config import DEFAULT_MAX_ATTEMPTS
from desktop.db.engine import Database
from desktop.errors import LibraryBusy, UserError
from desktop.jobs import registry
from desktop.jobs.bulk import insert_many
from desktop.jobs.events import ChangeHub, EventKind, JobEvent
from desktop.jobs.items import ItemStore
from desktop.jobs.model import ACTIVE, FINISHED, INTERRUPTED_ERROR, JobRow
from desktop.jobs.owners import new_owner, owner_closed, owner_is_dead
from desktop.jobs.pool import WorkPool
from desktop.jobs.queue import ALL, Pause, QueueControls, QueueState, WorkerInfo, who
from desktop.jobs.store import JobStore
from desktop.jobs.watcher import ChangeWatcher

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 30.0
class JobEngine:
    def __init__(
        self,
        db: Database,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retention_days: float = 7.0,
        lease_seconds: float | None = None,
        watch_external: bool = True,
    ) -> None:
        self.db = db
        self.hub = ChangeHub()
        self.store = JobStore(db, self.hub)
        self.max_attempts = max_attempts
        self.retention_days = retention_days
        self.lease_seconds = lease_seconds or float(
            os.environ.get("STYLESTUDIO_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        )
        self.owner = new_owner()
        self._watcher = ChangeWatcher(db, self.hub) if watch_external else None
        self._closed = False
        # rows seen with a run-out lease: id -> (owner, lease_until, monotonic time first seen)
        self._expired_seen: dict[int, tuple[str | None, float | None, float]] = {}
        # What handlers may need from the front door that opened the engine (the library's
        # paths, database, settings); the engine itself never looks inside.
        self.services: dict[str, Any] = {}

    def open(self, *, read_only: bool = False) -> JobEngine:
        """Recover jobs left by dead processes, purge old rows, start watching other processes.
        ``read_only`` (commands that only look) skips the first two: they write."""
        if not read_only:
            self.recover()
            self.purge()
        if self._watcher is not None:
            self._watcher.start()
        return self

    def close(self) -> None:
        """Stop watching and close the store: calls still running end first (bounded), later
        ones raise ``LibraryClosed``. Safe from any thread, whatever else is going on."""
        if self._closed:
            return
        self._closed = True
        if self._watcher is not None:
            self._watcher.stop()
        self.store.close()
        owner_closed(self.owner)

    def watch_table(self, table: str, column: str) -> None:
        """Report other processes' changes to ``table`` too (as ``external`` events), not only
        the jobs': for a front door that shows more than jobs (the window shows styles). See
        ``ChangeWatcher.watch_table``; nothing happens when this engine does not watch."""
        if self._watcher is not None:
            self._watcher.watch_table(table, column)

    def configure(self, *, max_attempts: int | None = None, retention_days: float | None = None) -> None:
        """Change the settings the engine reads: how many attempts a new job gets, and how long
        finished jobs are kept. Safe from any thread (each is one value read when used)."""
        if max_attempts is not None:
            if max_attempts < 1:
                raise UserError("A job needs at least 1 attempt.")
            self.max_attempts = int(max_attempts)
        if retention_days is not None:
            if retention_days < 0:
                raise UserError("Finished jobs cannot be kept for less than 0 days.")
            self.retention_days = float(retention_days)

    def watcher_ready(self, timeout: float | None = None) -> bool:
        """True once changes from other processes are being watched (from then on, every
        commit of another process is reported)."""
        return self._watcher is not None and self._watcher.ready.wait(timeout)

    def __enter__(self) -> JobEngine:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests --------------------------------------------------------------------------
    def enqueue(self, job_type: str, payload: dict[str, Any] | None = None, *, max_attempts: int | None = None) -> int:
        payload = self._checked(job_type, payload)
        row = self.store.enqueue(job_type, json.dumps(payload), max_attempts or self.max_attempts)
        log.info("[job %d] %s queued", row.id, job_type)
        return row.id

    def enqueue_many(
        self, job_type: str, payloads: Sequence[dict[str, Any] | None], *, max_attempts: int | None = None
    ) -> list[int]:
        """Queue one job of ``job_type`` per payload in one statement (one round trip, all or
        none: every payload is checked before anything is written); returns their ids in
        order. For many jobs at once (imports, scripts): 5,000 cost about what a handful of
        ``enqueue`` calls do."""
        texts = [json.dumps(self._checked(job_type, p)) for p in payloads]
        ids = insert_many(self.store, job_type, texts, max_attempts or self.max_attempts)
        for job_id in ids:  # each job's history in the log starts here, as with enqueue
            log.info("[job %d] %s queued", job_id, job_type)
        return ids

    def enqueue_batch(
        self, job_type: str, payload: dict[str, Any], inputs: Sequence[str], *, max_attempts: int | None = None
    ) -> int:
        """Queue a job of ``job_type`` with one pending item per input (``desktop.jobs.items``),
        in one transaction: a worker never sees the row without them. Returns the job's id."""
        payload = self._checked(job_type, payload)
        if not inputs:
            raise UserError("A batch needs at least one item.")
        row = ItemStore(self.db).insert_batch(job_type, json.dumps(payload), max_attempts or self.max_attempts, inputs)
        self.hub.publish(JobEvent(EventKind.ENQUEUED, row.id, row))
        return row.id

    @staticmethod
    def _checked(job_type: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        """``payload`` (``{}`` for none) once the type is known and its checks pass."""
        jt = registry.get(job_type)
        if jt is None:
            known = ", ".join(registry.names())
            raise UserError(f"There is no job type '{job_type}'; the known types are: {known}.")
        payload = payload or {}
        if not isinstance(payload, dict):
            raise UserError("The payload must be a JSON object, like {\"seconds\": 2}.")
        if jt.validate is not None:
            jt.validate(payload)
        return payload

    def get(self, job_id: int) -> JobRow | None:
        return self.store.get(job_id)

    def require(self, job_id: int) -> JobRow:
        row = self.store.get(job_id)
        if row is None:
            raise UserError(f"There is no job {job_id}; 'stylestudio jobs list --all' shows the jobs there are.")
        return row

    def list(self, *, include_finished: bool = True, limit: int = 200) -> list[JobRow]:
        statuses = None if include_finished else ACTIVE
        return self.store.list(statuses=statuses, limit=limit)

    def count(self, *, include_finished: bool = True) -> int:
        return self.store.count(statuses=None if include_finished else ACTIVE)

    def cancel(self, job_id: int) -> JobRow:
        row = self.store.request_cancel(job_id)
        if row is not None:
            log.info("[job %d] cancel requested (%s)", job_id, row.status)
            return row
        row = self.require(job_id)
        if row.status in FINISHED:
            raise UserError(f"Job {job_id} has already ended ({row.status}), so there is nothing to cancel.")
        return row

    def retry(self, job_id: int) -> JobRow:
        row = self.store.retry(job_id)
        if row is not None:
            log.info("[job %d] queued again by retry", job_id)
            return row
        row = self.require(job_id)
        raise UserError(f"Job {job_id} is {row.status}; only failed or canceled jobs, and batches with photos that failed, can be retried.")

    def dismiss(self, job_id: int) -> None:
        if self.store.dismiss(job_id):
            log.info("[job %d] dismissed", job_id)
            return
        row = self.require(job_id)
        raise UserError(f"Job {job_id} is still {row.status}; cancel it first, then dismiss it.")

    def watch(self, callback: Callable[[JobEvent], None]) -> Callable[[], None]:
        """Call ``callback`` for every change: at once for this process's changes, within about
        0.1 s (as an ``external`` event) for another process's. Returns the unsubscribe function."""
        return self.hub.subscribe(callback)

    def wait_for_job(self, job_id: int, timeout: float | None = None) -> JobRow:
        """Block until the job has ended (or ``timeout`` seconds passed); returns the latest row,
        so ``row.is_finished`` tells which. Wakes on this process's changes at once and on other
        processes' as the watcher sees them (and looks at least every 0.5 s regardless).
        Raises UserError when there is no such job. The window awaits it on a thread
        (``run_blocking``); async callers use ``asyncio.to_thread``."""
        changed = threading.Event()
        unsubscribe = self.watch(lambda e: changed.set() if e.job_id in (job_id, None) else None)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                row = self.require(job_id)
                if row.status in FINISHED:
                    return row
                remaining = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
                if remaining <= 0:
                    return row
                changed.wait(remaining)
                changed.clear()
        finally:
            unsubscribe()

    # --- the shared queue: pauses, priority, live workers (desktop.jobs.queue) ------------
    def _queue_type(self, job_type: str | None, *, also: set[str] | frozenset[str] = frozenset()) -> str | None:
        """``job_type`` checked (None for every type); ``also``: names accepted besides the
        registered ones (a pause left by a newer version's type)."""
        if job_type is None or job_type == ALL:
            return None
        if registry.get(job_type) is None and job_type not in also:
            known = ", ".join(registry.names())
            raise UserError(f"There is no job type '{job_type}'; the known types are: {known}.")
        return job_type

    def pause(self, job_type: str | None = None) -> bool:
        """Start no new job of ``job_type`` (None: of any type), on every machine sharing this
        library, until ``resume``; running jobs finish. Queued jobs of it say "Paused". Returns
        False when it was paused already. Raises UserError for an unknown type."""
        name = self._queue_type(job_type)
        added = QueueControls(self.store).pause(name, who())
        if added:
            log.info("Queue paused for %s", name or "every job type")
        return added

    def resume(self, job_type: str | None = None) -> list[str]:
        """Remove the pause of ``job_type`` (None: every pause, the whole queue's included);
        returns the pauses removed ('*' for the whole queue's). The work pools of every machine
        wake and start what may start now."""
        name = self._queue_type(job_type, also=set(self.paused()) if job_type else frozenset())
        removed = QueueControls(self.store).resume(name)
        if removed:
            log.info("Queue resumed for %s", ", ".join(removed))
        return removed

    def paused(self) -> dict[str, Pause]:
        """The pauses in force: job type ('*' for the whole queue) -> who paused it and when."""
        return QueueControls(self.store).pauses()

    def queue_state(self) -> QueueState:
        """The pauses, and the queued and running jobs per type."""
        return QueueControls(self.store).state()

    def queue_order(self, limit: int = 1000) -> list[int]:
        """The ids of the queued jobs that may start (not paused), in the order they start."""
        return QueueControls(self.store).order(limit)

    def move_to_front(self, job_id: int) -> JobRow:
        """Let the queued job ``job_id`` start before every other queued job (a priority number
        below theirs). Raises UserError when there is no such job or it is not queued."""
        row = QueueControls(self.store).move_to_front(job_id)
        if row is not None:
            log.info("[job %d] moved to the front of the queue", job_id)
            return row
        row = self.require(job_id)
        state = "is already running" if row.status == "running" else f"has already ended ({row.status})"
        raise UserError(f"Job {job_id} {state}; only a waiting job can be moved to the front of the queue.")

    def workers(self, *, include_stale: bool = False) -> list[WorkerInfo]:
        """The live work pools of every machine (a window's, ``stylestudio worker``'s, a
        command's), from the rows their heartbeats renew; one not seen for 3 lease periods, or
        whose process on this machine is gone, is stale (left out unless ``include_stale``)."""
        return QueueControls(self.store).workers(
            lease_seconds=self.lease_seconds, is_dead=owner_is_dead, include_stale=include_stale
        )

    # --- the pool --------------------------------------------------------------------------
    def pool(
        self,
        *,
        max_parallel: int = 2,
        only_job: int | None = None,
        stop_message: str | None = None,
        cpu_threads: int | None = None,
    ) -> WorkPool:
        kwargs = {"stop_message": stop_message} if stop_message else {}
        return WorkPool(self, max_parallel=max_parallel, only_job=only_job, cpu_threads=cpu_threads, **kwargs)

    # --- housekeeping ----------------------------------------------------------------------
    def recover(self) -> int:
        """Requeue or fail 'running' rows whose process died or whose lease ran out.

        A row whose process is known dead (this machine, no such process) is recovered at
        once. A run-out lease alone is trusted only when it stays unrenewed for half a lease
        after this engine first saw it run out: while another program holds the library's
        write lock nobody can renew a lease, and when the lock ends the owners need a moment
        to renew theirs. For the same reason nothing is recovered on its lease alone for one
        lease period after this process last saw the library locked. A locked library ends
        this round early (the heartbeat tries again)."""
        now = time.time()
        trust_leases = now - self.store.lock_seen_at > self.lease_seconds
        running = self.store.running()
        seen = self._expired_seen
        for job_id in set(seen) - {r.id for r in running}:
            del seen[job_id]
        count = 0
        for row in running:
            if row.owner == self.owner:
                continue
            dead = owner_is_dead(row.owner)
            expired = row.lease_until is not None and row.lease_until < now
            if not dead and not (expired and trust_leases and self._still_expired(row)):
                continue
            jt = registry.get(row.type)
            why = "died" if dead else "stopped renewing its lease"
            try:
                if jt is not None and jt.retry_safe and row.attempts < row.max_attempts:
                    new = self.store.recover_requeue(row, "Restarting: Style Studio closed while this job was running", dead=dead)
                    if new is not None:
                        log.warning("[job %d] requeued: its process (%s) %s", row.id, row.owner, why)
                else:
                    new = self.store.recover_fail(row, INTERRUPTED_ERROR, dead=dead)
                    if new is not None:
                        log.warning("[job %d] failed: its process (%s) %s while running it", row.id, row.owner, why)
            except LibraryBusy:
                break
            count += new is not None
        return count

    def _still_expired(self, row: JobRow) -> bool:
        """True when this engine saw the same run-out lease at least half a lease ago."""
        first = self._expired_seen.get(row.id)
        now = time.monotonic()
        if first is None or first[:2] != (row.owner, row.lease_until):
            self._expired_seen[row.id] = (row.owner, row.lease_until, now)
            return False
        return now - first[2] >= self.lease_seconds / 2

    def purge(self) -> int:
        """Delete succeeded and canceled rows older than the retention period (failed ones stay
        until dismissed)."""
        before = time.time() - self.retention_days * 86400
        count = self.store.purge_finished(before)
        if count:
            log.info("Deleted %d finished job(s) older than %.0f day(s)", count, self.retention_days)
        return count


__all__ = ["JobEngine", "JobRow"]
