"""The jobs table, written with plain DBAPI statements prepared once.

This is the engine's hot path (every enqueue, claim, progress write and finish), so it skips
the ORM and SQLAlchemy's statement compilation: the figures in docs/development.md show why. Every
write takes the write lock up front (``BEGIN IMMEDIATE`` on SQLite) so two processes never
dead-lock on a lock upgrade, and every write publishes the new row to the change hub once it
is committed. Each thread gets its own connection (see ``desktop.jobs.connections``: closing
the store never closes a connection another thread is using).

When another program holds the write lock (a long transaction, a backup tool), writes wait
and try again with backoff instead of failing: the end of a job waits as long as the store is
open (nothing is left running or half-recorded), user requests about a minute, and
housekeeping (claims, progress, recovery, purging) gives up at once and tries again later.
While a job's write waits, watchers in this process get the row with the message
"Waiting for the library…" (the row itself cannot be written), and the log gets one warning
per locked period.

When the database server goes away (PostgreSQL restarted, the network dropped), the thread's
connection is dropped and the statement is tried again on a new one: at once, then with backoff
(0.1 s doubling to 2 s), waiting as long as for a lock (above). The hub gets one
``LIBRARY_STATE`` event "Reconnecting to the library…" per outage and "Connected to the library
again" when a statement goes through; the log one warning and one info line. A write whose
connection died may have committed (its answer lost): before running it again the store reads
whether it landed (``connections.landed_query``: the row with the very values that attempt
wrote, ``updated_at`` included) and then returns that row, so a claim, a finish or an enqueue
is never made twice; such a write waits for the answer at least ``USER_WAIT``, even a
housekeeping one.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from desktop.db.engine import Database, mask_url
from desktop.errors import LibraryBusy, LibraryClosed
from desktop.jobs import events
from desktop.jobs.connections import (
    LibraryUnreachable,
    ThreadConnections,
    is_disconnect,
    is_lock_error,
    landed_query,
)
from desktop.jobs.events import ChangeHub, EventKind, JobEvent
from desktop.jobs.model import COLUMN_LIST, FINISHED, Ending, JobRow, JobStatus
from desktop.jobs.sql import Params, Statement, Work, placeholders, sqlite_write, to_pyformat

log = logging.getLogger(__name__)
T = TypeVar("T")

WAITING_MESSAGE = "Waiting for the library\u2026"
# How long one attempt waits inside SQLite for the write lock; the retry loop does the rest,
# so a closing store is noticed within about this time.
STORE_BUSY_TIMEOUT_MS = 2000
PG_LOCK_TIMEOUT = "2s"
USER_WAIT = 60.0  # enqueue, cancel, retry, dismiss, reads
FOREVER: float | None = None  # the end of a job: as long as the store is open
AT_ONCE = 0.0  # housekeeping: one attempt, then try again at its next turn
MAX_RETRY_DELAY = 1.0
SLOW_BEGIN = 1.0  # a write that waited this long for the lock saw the library locked
RECONNECT_DELAY = 0.1  # the first wait before reconnecting to a server that went away
MAX_RECONNECT_DELAY = 2.0

_RETURNING = f" RETURNING {COLUMN_LIST}"

PAUSED_MESSAGE = "Paused"  # the message of a queued job whose type is paused (see desktop.jobs.queue)
# a job of this row's type may start: neither its type nor the whole queue ('*') is paused
# (a correlated look-up by the primary key of the small queue_pauses table)
# written as two uncorrelated sub-queries, each run once per statement (not once per row), so
# the claim still walks ix_jobs_claim (status, priority, id) in order and stops at the first row
_NOT_PAUSED = (
    "NOT EXISTS (SELECT 1 FROM queue_pauses WHERE job_type = '*')"
    " AND type NOT IN (SELECT job_type FROM queue_pauses)"
)
SQL_INSERT = (
    "INSERT INTO jobs (type, status, message, progress, payload, attempts, max_attempts,"
    " cancel_requested, created_at, updated_at, run_after)"
    " VALUES (:type, 'queued',"
    f" CASE WHEN EXISTS (SELECT 1 FROM queue_pauses WHERE job_type IN (:type, '*')) THEN '{PAUSED_MESSAGE}' ELSE :message END,"
    " NULL, :payload, 0, :max_attempts, :false, :now, :now, 0)"
    + _RETURNING
)
# enqueue's: the rest of the new row is what it wrote (returning 19 columns cost a third more)
SQL_INSERT_NEW = SQL_INSERT.replace(_RETURNING, " RETURNING id, message")
SQL_GET = f"SELECT {COLUMN_LIST} FROM jobs WHERE id = :id"
_CLAIM_SET = (
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, owner = :owner,"
    " lease_until = :lease, started_at = :now, updated_at = :now, message = :message,"
    " progress = NULL, error = NULL"
)
# the first ready job of a type that is not paused: the lowest priority number, then the oldest
_CLAIM_PICK = (
    f"SELECT id FROM jobs WHERE status = 'queued' AND run_after <= :now AND {_NOT_PAUSED}"
    " ORDER BY priority, id LIMIT 1"
)
SQL_CLAIM_SQLITE = f"{_CLAIM_SET} WHERE id = ({_CLAIM_PICK}) AND status = 'queued'" + _RETURNING
SQL_CLAIM_POSTGRES = (
    f"{_CLAIM_SET} WHERE id = ({_CLAIM_PICK} FOR UPDATE SKIP LOCKED) AND status = 'queued'"
    + _RETURNING
)
SQL_CLAIM_ONE = (
    f"{_CLAIM_SET} WHERE id = :id AND status = 'queued' AND run_after <= :now AND {_NOT_PAUSED}"
    + _RETURNING
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
# a window closing gives a job it runs back to the queue: the attempt is not spent, what the
# job's items did stays done, and any worker may take it (a job being canceled is left to end)
SQL_HAND_BACK = (
    "UPDATE jobs SET status = 'queued', message = :message, owner = NULL, lease_until = NULL,"
    " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = 0, updated_at = :now"
    + _MINE + " AND cancel_requested = :false" + _RETURNING
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
    "UPDATE jobs SET status = 'queued',"
    f" message = CASE WHEN {_NOT_PAUSED} THEN 'Waiting to start' ELSE '{PAUSED_MESSAGE}' END, progress = NULL,"
    " result = NULL, error = NULL, attempts = 0, cancel_requested = :false, run_after = 0,"
    " started_at = NULL, finished_at = NULL, updated_at = :now, owner = NULL, lease_until = NULL"
    " WHERE id = :id AND (status IN ('failed', 'canceled') OR (status = 'succeeded' AND EXISTS"
    " (SELECT 1 FROM job_items WHERE job_items.job_id = jobs.id AND job_items.status = 'failed')))" + _RETURNING
)
SQL_DISMISS = "DELETE FROM jobs WHERE id = :id AND status IN ('succeeded', 'failed', 'canceled')"
SQL_HEARTBEAT = (
    "UPDATE jobs SET lease_until = :lease WHERE owner = :owner AND status = 'running'"
    " RETURNING id, attempts"
)
SQL_CANCEL_WANTED = (
    "SELECT id FROM jobs WHERE owner = :owner AND status = 'running' AND cancel_requested = :true"
)
# a row is taken from its owner when the owner is known dead, or when its lease has run out
# at the moment of this write (not when it was read: the owner may have renewed since)
_RECOVERABLE = " AND (:dead OR lease_until < :now)"
SQL_RUNNING = f"SELECT {COLUMN_LIST} FROM jobs WHERE status = 'running'"
SQL_RECOVER_REQUEUE = (
    "UPDATE jobs SET status = 'queued', message = :message, owner = NULL, lease_until = NULL,"
    " progress = NULL, run_after = 0, updated_at = :now"
    " WHERE id = :id AND status = 'running' AND owner = :owner" + _RECOVERABLE + _RETURNING
)
SQL_RECOVER_FAIL = (
    "UPDATE jobs SET status = 'failed', message = 'Interrupted', error = :error, owner = NULL,"
    " lease_until = NULL, updated_at = :now, finished_at = :now"
    " WHERE id = :id AND status = 'running' AND owner = :owner" + _RECOVERABLE + _RETURNING
)
SQL_PURGE = (
    "DELETE FROM jobs WHERE status IN ('succeeded', 'canceled') AND finished_at < :before"
)
# (paused jobs are not due: the pool neither waits for them nor counts them as work left)
SQL_NEXT_DUE = f"SELECT min(run_after) FROM jobs WHERE status = 'queued' AND {_NOT_PAUSED}"


Waiting = Sequence[JobRow] | Callable[[], Sequence[JobRow]]  # rows shown while a write waits


class JobStore:
    def __init__(self, db: Database, hub: ChangeHub) -> None:
        self.db = db
        self.hub = hub
        self._sqlite = db.is_sqlite
        self.connections = ThreadConnections(self._connect)
        claim = SQL_CLAIM_SQLITE if self._sqlite else SQL_CLAIM_POSTGRES
        self._claim_sql = claim if self._sqlite else to_pyformat(claim)
        self._q = placeholders(self._sqlite)
        self._true: Any = 1 if self._sqlite else True
        self._false: Any = 0 if self._sqlite else False
        # the latest time (time.time()) a write of this process found the library locked by
        # another program; recovery does not trust leases that ran out meanwhile
        self.lock_seen_at = 0.0
        self._lock_state = threading.Lock()
        self._locked_since: float | None = None  # monotonic start of the locked period warned about
        self._gone_since: float | None = None  # monotonic start of the outage announced
        # monotonic start of the last outage: a connection opened before it that fails once the
        # outage is over is a leftover of it, not a new outage
        self._outage_began = 0.0

    # --- connections ------------------------------------------------------------------------
    def _connect(self) -> Any:
        conn = self.db.raw_connect()
        if self._sqlite:
            conn.execute(f"PRAGMA busy_timeout={STORE_BUSY_TIMEOUT_MS}")
        else:
            conn.cursor().execute(f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'")
        return conn

    @property
    def closed(self) -> bool:
        return self.connections.closed

    def close(self) -> None:
        """Refuse new operations (``LibraryClosed``), let the ones in flight end (bounded),
        then close the connections. Safe to call from any thread, any number of times."""
        self.connections.close()

    # --- running statements -----------------------------------------------------------------
    def _statement(self, sql: str, params: Params | Callable[[], Params]) -> Statement:
        """One statement as a unit of work: the rows it returned and how many rows it changed.
        ``params`` may be a function, called at each attempt (for fresh time stamps)."""
        landed = None if self._sqlite else landed_query(sql)
        return Statement(self._q(sql), params, self._sqlite, landed and self._q(landed))

    def _transaction(self, conn: Any, work: Work[T]) -> T:
        """One write transaction holding the write lock from its start (SQLite); PostgreSQL
        connections are in autocommit mode and each statement is its own transaction."""
        if not self._sqlite:
            return work(conn)
        return sqlite_write(conn, work, slow_begin=self._slow_begin)

    def _slow_begin(self, seconds: float) -> None:
        if seconds > SLOW_BEGIN:
            self.lock_seen_at = time.time()

    def run(self, work: Work[T], *, write: bool, wait: float | None, waiting: Waiting = ()) -> T:
        """Run ``work`` on this thread's connection; while the library is locked by another
        program, or its server cannot be reached, try again with backoff for up to ``wait``
        seconds (None: while the store is open), then raise ``LibraryBusy`` (its subclass
        ``LibraryUnreachable`` for a server away). Raises ``LibraryClosed`` once the store is
        closed. A lost connection is replaced at once before any waiting."""
        first_wait: float | None = None
        delay = 0.05
        unsure = False  # a write was sent on a connection that died: it may have committed
        reconnected = False  # a fresh connection was tried at once after a lost one
        while True:
            opened = 0.0
            sent = [False]
            try:
                slot = self.connections.enter()
                try:
                    conn = slot.conn
                    opened = slot.opened_at
                    result = self._attempt(conn, work, write, unsure, sent)
                except Exception as exc:
                    if is_disconnect(exc):
                        self.connections.discard(conn)
                        unsure = unsure or (write and sent[0])
                    raise
                finally:
                    self.connections.leave(slot)
            except Exception as exc:  # noqa: BLE001 - sorted just below
                if not (is_lock_error(exc) or is_disconnect(exc)):
                    raise
                error = exc
            else:
                if write and self._locked_since is not None:
                    self._lock_ended()
                if self._gone_since is not None:
                    self._gone_ended()
                return result
            gone = is_disconnect(error)
            if gone:
                if 0.0 < opened < self._outage_began and self._gone_since is None:
                    continue  # a connection left over from an outage already over: a new one
                self._gone_seen(error)
                if not reconnected:
                    reconnected = True
                    continue  # the server may be back already: a new connection, at once
                if unsure and wait is not None:
                    wait = max(wait, USER_WAIT)  # learn whether it landed before answering
            else:
                self._lock_seen()
            now = time.monotonic()
            if first_wait is None:
                first_wait = now
                message = events.RECONNECTING_MESSAGE if gone else WAITING_MESSAGE
                for row in waiting() if callable(waiting) else waiting:
                    self.hub.publish(JobEvent(events.UPDATED, row.id, dataclasses.replace(row, message=message)))
            if wait is not None and now - first_wait >= wait:
                raise (LibraryUnreachable() if gone else LibraryBusy()) from error
            if gone:
                delay = max(delay, RECONNECT_DELAY)
            if self.connections.closing.wait(delay):
                raise LibraryClosed() from error
            delay = min(delay * 2, MAX_RECONNECT_DELAY if gone else MAX_RETRY_DELAY)

    def _attempt(self, conn: Any, work: Work[T], write: bool, unsure: bool, sent: list[bool]) -> T:
        """One try of ``work``. After a try whose connection died (``unsure``), first look
        whether it landed: then its row is the answer and the write is not made again.
        ``sent[0]`` becomes True when the write itself is sent."""
        if unsure and isinstance(work, Statement):
            found = work.landed(conn)
            if found is not None:
                log.info("A job change whose answer was lost with its connection had been made; not making it again")
                return found  # type: ignore[return-value]
        sent[0] = True
        return self._transaction(conn, work) if write else work(conn)

    def _gone_seen(self, error: BaseException) -> None:
        """The server went away: warn once per outage and tell the front doors."""
        self.lock_seen_at = time.time()  # nobody renews a lease meanwhile (see engine.recover)
        with self._lock_state:
            if self._gone_since is not None:
                return
            self._gone_since = self._outage_began = time.monotonic()
        text = str(error).strip()
        reason = mask_url(text.splitlines()[0]) if text else type(error).__name__
        log.warning("Lost the connection to the library's database server (%s); reconnecting", reason)
        self.hub.publish(events.library_state(False))

    def _gone_ended(self) -> None:
        with self._lock_state:
            since, self._gone_since = self._gone_since, None
            if since is None:
                return
        self.lock_seen_at = time.time()
        log.info("Connected to the library again after %.0f s; job changes go on", time.monotonic() - since)
        self.hub.publish(events.library_state(True))

    def _lock_seen(self) -> None:
        self.lock_seen_at = time.time()
        with self._lock_state:
            if self._locked_since is not None:
                return
            self._locked_since = time.monotonic()
        log.warning(
            "The library is locked by another program (a long transaction or a backup tool);"
            " job changes wait for it"
        )

    def _lock_ended(self) -> None:
        with self._lock_state:
            since, self._locked_since = self._locked_since, None
        if since is not None:
            log.info("The library is free again after %.0f s; job changes go on", time.monotonic() - since)

    def _write(self, sql: str, params: Params | Callable[[], Params], *, wait: float | None, waiting: Waiting = ()) -> tuple[list[tuple[Any, ...]], int]:
        return self.run(self._statement(sql, params), write=True, wait=wait, waiting=waiting)

    def read(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        return self.run(self._statement(sql, params or {}), write=False, wait=USER_WAIT)[0]

    def _write_row(
        self,
        sql: str,
        params: Params | Callable[[], Params],
        kind: EventKind,
        *,
        wait: float | None,
        waiting: Waiting = (),
    ) -> JobRow | None:
        rows = self._write(sql, params, wait=wait, waiting=waiting)[0]
        if not rows:
            return None
        row = JobRow.from_db(rows[0])
        self.hub.publish(JobEvent(kind, row.id, row))
        return row

    @staticmethod
    def _stamped(params: Params) -> Callable[[], Params]:
        """``params`` with ``now`` set at each attempt (a write that waited for the lock
        records when it happened, not when it was asked for)."""
        return lambda: {**params, "now": time.time()}

    # --- API ----------------------------------------------------------------------------------
    def enqueue(self, job_type: str, payload_json: str, max_attempts: int) -> JobRow:
        values = {"type": job_type, "message": "Waiting to start", "payload": payload_json, "max_attempts": max_attempts}
        statement = self._statement(SQL_INSERT_NEW, self._stamped({**values, "false": self._false}))
        job_id, message = self.run(statement, write=True, wait=USER_WAIT)[0][0]
        now = statement.last["now"] if statement.last else time.time()  # the attempt that landed
        row = JobRow(job_id, job_type, JobStatus.QUEUED, message, None, payload_json, None, None, 0, max_attempts,
                     False, now, None, now, None, 0.0, None, None)  # fmt: skip
        self.hub.publish(JobEvent(events.ENQUEUED, row.id, row))
        return row

    def get(self, job_id: int) -> JobRow | None:
        rows = self.read(SQL_GET, {"id": job_id})
        return JobRow.from_db(rows[0]) if rows else None

    @staticmethod
    def _where(statuses: Iterable[JobStatus] | None) -> tuple[str, Params]:
        if statuses is None:
            return "", {}
        names = [str(s) for s in statuses]
        where = " WHERE status IN (" + ", ".join(f":s{i}" for i in range(len(names))) + ")"
        return where, {f"s{i}": s for i, s in enumerate(names)}

    def list(self, *, statuses: Iterable[JobStatus] | None = None, limit: int = 200) -> list[JobRow]:
        where, params = self._where(statuses)
        sql = f"SELECT {COLUMN_LIST} FROM jobs{where} ORDER BY id DESC LIMIT {int(limit)}"
        return [JobRow.from_db(r) for r in self.read(sql, params)]

    def count(self, *, statuses: Iterable[JobStatus] | None = None) -> int:
        where, params = self._where(statuses)
        return int(self.read(f"SELECT count(*) FROM jobs{where}", params)[0][0])

    def claim(
        self, owner: str, lease_seconds: float, job_id: int | None = None
    ) -> JobRow | None:
        """The first ready job (or ``job_id``), now running for ``owner``: the highest priority,
        then the oldest, of a type that is not paused (``desktop.jobs.queue``). None when there
        is none, or when the library is locked (the pool asks again at its next turn)."""

        def params() -> Params:
            now = time.time()
            values = {"owner": owner, "lease": now + lease_seconds, "now": now, "message": "Starting"}
            if job_id is not None:
                values["id"] = job_id
            return values

        sql = self._claim_sql if job_id is None else SQL_CLAIM_ONE
        try:
            return self._write_row(sql, params, events.STATUS, wait=AT_ONCE)
        except LibraryBusy:
            return None

    def write_progress(
        self, row: JobRow, progress: float | None, message: str
    ) -> JobRow | None:
        """Returns the new row (its ``cancel_requested`` tells the handler to stop), or None
        when the row is no longer this attempt's (canceled elsewhere, recovered, dismissed).
        Raises ``LibraryBusy`` when the library is locked (the next write tries again)."""
        return self._write_row(
            SQL_PROGRESS,
            self._stamped(
                {
                    "progress": progress,
                    "message": message,
                    "id": row.id,
                    "attempt": row.attempts,
                    "owner": row.owner,
                }
            ),
            events.UPDATED,
            wait=AT_ONCE,
            waiting=lambda: [dataclasses.replace(row, progress=progress)],
        )

    @staticmethod
    def _finish_params(row: JobRow, ending: Ending) -> Params:
        assert ending.status in FINISHED
        return {
            "status": str(ending.status),
            "progress": ending.progress,
            "message": ending.message,
            "result": ending.result_json,
            "error": ending.error,
            "id": row.id,
            "attempt": row.attempts,
            "owner": row.owner,
        }

    @staticmethod
    def _waiting(row: JobRow, progress: float | None) -> Callable[[], list[JobRow]]:
        """The rows watchers see while a write waits for the lock (made only if it waits)."""
        return lambda: [dataclasses.replace(row, progress=progress if progress is not None else row.progress)]

    def finish(self, row: JobRow, ending: Ending) -> JobRow | None:
        """End this attempt (fenced on attempt and owner: None when it is no longer ours).
        Waits for a locked library as long as the store is open."""
        return self._write_row(
            SQL_FINISH,
            self._stamped(self._finish_params(row, ending)),
            events.STATUS,
            wait=FOREVER,
            waiting=self._waiting(row, ending.progress),
        )

    def finish_and_claim(
        self, row: JobRow, ending: Ending, *, lease_seconds: float
    ) -> tuple[JobRow | None, JobRow | None]:
        """End this job and claim the oldest ready one in the same transaction: a busy pool
        pays one write transaction per job hand-over instead of two."""
        if not self._sqlite:
            return self.finish(row, ending), self.claim(row.owner or "", lease_seconds)
        base = self._finish_params(row, ending)

        def work(conn: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
            now = time.time()
            claim = {"owner": row.owner, "lease": now + lease_seconds, "now": now, "message": "Starting"}
            done = conn.execute(SQL_FINISH, {**base, "now": now}).fetchall()
            nxt = conn.execute(self._claim_sql, claim).fetchall()
            return done, nxt

        done, nxt = self.run(work, write=True, wait=FOREVER, waiting=self._waiting(row, ending.progress))
        finished = JobRow.from_db(done[0]) if done else None
        claimed = JobRow.from_db(nxt[0]) if nxt else None
        if finished is not None:
            self.hub.publish(JobEvent(events.STATUS, finished.id, finished))
        if claimed is not None:
            self.hub.publish(JobEvent(events.STATUS, claimed.id, claimed))
        return finished, claimed

    def requeue(self, row: JobRow, *, run_after: float, message: str, error: str) -> JobRow | None:
        """End this attempt with a later one queued (fenced like ``finish``; waits like it)."""
        return self._write_row(
            SQL_REQUEUE,
            self._stamped(
                {
                    "message": message,
                    "error": error,
                    "run_after": run_after,
                    "id": row.id,
                    "attempt": row.attempts,
                    "owner": row.owner,
                }
            ),
            events.STATUS,
            wait=FOREVER,
            waiting=self._waiting(row, None),
        )

    def hand_back(self, row: JobRow, message: str, *, wait: float = 5.0) -> JobRow | None:
        """This attempt's job queued again without spending it (fenced like ``finish``); None
        when the row is no longer this attempt's or a cancel was asked for. A closing window
        waits ``wait`` s for a locked library (then the next start recovers the row)."""
        params = {"message": message, "id": row.id, "attempt": row.attempts, "owner": row.owner, "false": self._false}
        return self._write_row(SQL_HAND_BACK, self._stamped(params), events.ENQUEUED, wait=wait)

    def request_cancel(self, job_id: int) -> JobRow | None:
        """Queued: canceled at once. Running: flagged; the handler stops at its next check."""
        params = self._stamped({"id": job_id, "true": self._true})
        row = self._write_row(SQL_CANCEL_QUEUED, params, events.STATUS, wait=USER_WAIT)
        if row is not None:
            return row
        return self._write_row(SQL_CANCEL_RUNNING, params, events.CANCEL_REQUESTED, wait=USER_WAIT)

    def retry(self, job_id: int) -> JobRow | None:
        return self._write_row(
            SQL_RETRY, self._stamped({"id": job_id, "false": self._false}), events.ENQUEUED, wait=USER_WAIT
        )

    def dismiss(self, job_id: int) -> bool:
        count = self._write(SQL_DISMISS, {"id": job_id}, wait=USER_WAIT)[1]
        if count:
            self.hub.publish(JobEvent(events.REMOVED, job_id, None))
        return bool(count)

    def heartbeat(self, owner: str, lease_seconds: float, *, wait: float = AT_ONCE) -> set[tuple[int, int]]:
        """Renew the lease of ``owner``'s running rows; returns the (id, attempt) pairs renewed,
        so the pool can tell which of its jobs are no longer its own. Raises ``LibraryBusy``
        when the library stayed locked for ``wait`` seconds."""
        rows = self._write(
            SQL_HEARTBEAT, lambda: {"owner": owner, "lease": time.time() + lease_seconds}, wait=wait
        )[0]
        return {(int(r[0]), int(r[1])) for r in rows}

    def cancel_wanted(self, owner: str) -> list[int]:
        return [r[0] for r in self.read(SQL_CANCEL_WANTED, {"owner": owner, "true": self._true})]

    def running(self) -> list[JobRow]:
        return [JobRow.from_db(r) for r in self.read(SQL_RUNNING)]

    def recover_requeue(self, row: JobRow, message: str, *, dead: bool = True, wait: float = AT_ONCE) -> JobRow | None:
        """Queue again a row left running by ``row.owner``: always when ``dead`` (its process is
        gone), else only if its lease has run out by now. Raises ``LibraryBusy`` when locked."""
        params = {"message": message, "id": row.id, "owner": row.owner, "dead": self._true if dead else self._false}
        return self._write_row(SQL_RECOVER_REQUEUE, self._stamped(params), events.STATUS, wait=wait)

    def recover_fail(self, row: JobRow, error: str, *, dead: bool = True, wait: float = AT_ONCE) -> JobRow | None:
        """Like ``recover_requeue``, but the row ends failed with ``error``."""
        params = {"error": error, "id": row.id, "owner": row.owner, "dead": self._true if dead else self._false}
        return self._write_row(SQL_RECOVER_FAIL, self._stamped(params), events.STATUS, wait=wait)

    def purge_finished(self, before: float) -> int:
        """Delete old finished rows; 0 when the library is locked (it is tried again later)."""
        try:
            count = self._write(SQL_PURGE, {"before": before}, wait=AT_ONCE)[1]
        except LibraryBusy:
            return 0
        if count:
            self.hub.publish(JobEvent(events.REMOVED, None, None))
        return count

    def next_due(self) -> float | None:
        rows = self.read(SQL_NEXT_DUE)
        return rows[0][0] if rows and rows[0][0] is not None else None


__all__ = ["JobStore", "WAITING_MESSAGE"]
