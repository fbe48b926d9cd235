"""The items of a batch job (the photos of ``style.apply``), kept in ``job_items`` beside the
job's row: input, output, status (``pending``, ``done``, ``failed``), error, and which worker
holds the item now (``owner``, ``lease_until``).

A batch is enqueued *with* its items in one transaction (``JobEngine.enqueue_batch``): a worker never
sees the row without them, and a payload stays small however many photos there are (a job's
payload is capped at 64 KiB). An item is keyed by (job, position), so a run again after a
crash finds what the earlier run did: a ``done`` item is never redone.

**Item-level claiming.** The worker that claimed the job's row *leads* it: it runs the handler,
reports "37 of 120" (everyone's items) and finishes the row once no item is pending. Any other
work pool with a free slot and no queued job to take *assists* a running job whose type
registered an assist handler (``registry.register_assist``). Lead and assistants take items the
same way, one statement per item (``claim``: the first pending item nobody holds, or whose
holder's lease ran out; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) and
hold it under a lease the pool heartbeat renews (``renew``), so a killed worker costs only its
items' time: after the lease anyone takes them again (at once when the holder is a process of
this machine that is gone). A done item keeps its ``owner``: who did it.

Every write of an item is fenced: it changes nothing unless the item is still pending and
held by the writer, and the job is still running (for the lead: for this attempt and owner;
for an assistant: for anyone). A worker that lost an item or the job records nothing. Names of
outputs are reserved in the table before a file gets one (``reserve``), so two workers never
give two photos the same name. Plain DBAPI on a short-lived connection per call; writes wait
for a locked library and reconnect to a server that went away (``LOCK_WAIT``). Each thread
keeps one connection per library (``close_connections``).

Paths are stored losslessly whatever bytes a file name holds (``item_names``). ``Item`` and
``Fence`` live in ``item_model``, the loop that runs items (``ItemRun``, ``Assist``) in
``item_runs``; both are importable from here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from desktop.db.engine import BUSY_TIMEOUT_MS, Database
from desktop.errors import LeaseLost
from desktop.jobs.connections import ThreadConnections, is_disconnect
from desktop.jobs.item_model import DONE, FAILED, ITEM_STATUSES, PENDING, Fence, Item
from desktop.jobs.item_names import from_stored, storable, to_stored
from desktop.jobs.item_runs import (
    Assist,
    AssistNotYet,
    ItemClaims,
    ItemRun,
    ItemWork,
    assist_check,
    lease_of,
)
from desktop.jobs.model import JobRow
from desktop.jobs.owners import owner_is_dead
from desktop.jobs.sql import placeholders, retrying, sqlite_write
from desktop.jobs.store import SQL_INSERT

log = logging.getLogger(__name__)

LOCK_WAIT = 60.0  # seconds a write waits for a locked library or a server that went away
RENEW_BUSY_MS = 2000  # the heartbeat's renewal waits this long for the lock, then tries later
_PG_RESERVE_LOCK = 0x5354_0000_0000  # + job id: pg_advisory_xact_lock key of name reservations

_COLUMNS = "position, input, output, status, error"
SQL_ADD = (
    "INSERT INTO job_items (job_id, position, input, output, status, error, updated_at)"
    " VALUES (:job_id, :position, :input, NULL, 'pending', NULL, :now)"
)
SQL_ITEMS = f"SELECT {_COLUMNS} FROM job_items WHERE job_id = :job_id ORDER BY position"
SQL_COUNTS = "SELECT status, count(*) FROM job_items WHERE job_id = :job_id GROUP BY status"
SQL_OWNERS = (
    "SELECT owner, count(*) FROM job_items WHERE job_id = :job_id AND status = 'done' GROUP BY owner"
)
_FREE = "status = 'pending' AND (owner IS NULL OR lease_until IS NULL OR lease_until < :now)"
_HELD = "status = 'pending' AND owner IS NOT NULL AND lease_until >= :now"
SQL_HOLDERS = f"SELECT DISTINCT owner FROM job_items WHERE job_id = :job_id AND {_HELD}"
SQL_HELD_POSITIONS = f"SELECT position, owner FROM job_items WHERE job_id = :job_id AND {_HELD}"
SQL_RELEASE_OWNER = (
    "UPDATE job_items SET owner = NULL, lease_until = NULL, updated_at = :now"
    " WHERE job_id = :job_id AND owner = :holder AND status = 'pending'"
)
SQL_RELEASE = (
    "UPDATE job_items SET owner = NULL, lease_until = NULL, updated_at = :now"
    " WHERE job_id = :job_id AND position = :position AND owner = :owner AND status = 'pending'"
)
SQL_RENEW = (
    "UPDATE job_items SET lease_until = :lease"
    " WHERE job_id = :job_id AND position = :position AND owner = :owner AND status = 'pending'"
)
SQL_NAME_TAKEN = "SELECT 1 FROM job_items WHERE job_id = :job_id AND output = :output AND position <> :position"
SQL_JOB_STATE = "SELECT status, cancel_requested, attempts, owner FROM jobs WHERE id = :job_id"
SQL_BATCHES = "SELECT id, status, payload FROM jobs WHERE type = :type AND payload LIKE :marker ORDER BY id"
SQL_DONE_OF = "SELECT job_id, input, output FROM job_items WHERE job_id = :job_id AND status = 'done' ORDER BY position"
# a running job of a type with an assist handler, led by another pool, not being canceled, of a
# type that is not paused, with an item nobody holds; the highest priority, then the oldest
SQL_ASSISTABLE = (
    "SELECT {columns} FROM jobs WHERE status = 'running' AND cancel_requested = :false"
    " AND type IN ({types}) AND (owner IS NULL OR owner <> :me)"
    " AND NOT EXISTS (SELECT 1 FROM queue_pauses WHERE queue_pauses.job_type IN (jobs.type, '*'))"
    f" AND EXISTS (SELECT 1 FROM job_items WHERE job_items.job_id = jobs.id AND {_FREE})"
    " ORDER BY priority DESC, id LIMIT 20"
)


def _job_clause(*, lead: bool, open_only: bool, postgres: bool) -> str:
    """The job half of a fence. The lead's: the row is running for this attempt and owner;
    an assistant's: it is running. ``open_only``: and no cancel was asked for (new work only).
    PostgreSQL: the check locks the job's row until the write commits (FOR SHARE); without the
    lock it reads the row as it was when the statement began, so an item could be written after
    a recovery that ran meanwhile had taken the job (SQLite's write lock rules that out)."""
    cond = "id = :job_id AND status = 'running'"
    if lead:
        cond += " AND attempts = :attempt AND owner = :owner"
    if open_only:
        cond += " AND cancel_requested = :false"
    return f" AND EXISTS (SELECT 1 FROM jobs WHERE {cond}{' FOR SHARE' if postgres else ''})"


def _holder_clause(lead: bool) -> str:
    # an item nobody holds may be written by the lead (a test, or a claim released meanwhile:
    # the work is done, and a claim by another worker would have made it theirs)
    return " AND (owner IS NULL OR owner = :owner)" if lead else " AND owner = :owner"


def _sql_set(lead: bool, open_only: bool, postgres: bool) -> str:
    # a write made again after its answer was lost finds its own status: written already
    return (
        "UPDATE job_items SET status = :status, output = :output, error = :error, updated_at = :now,"
        " owner = :owner, lease_until = :lease"
        " WHERE job_id = :job_id AND position = :position AND status IN ('pending', :status)"
        + _holder_clause(lead)
        + _job_clause(lead=lead, open_only=open_only, postgres=postgres)
    )


def _sql_claim(lead: bool, postgres: bool) -> str:
    pick = f"SELECT id FROM job_items WHERE job_id = :job_id AND {_FREE} ORDER BY position LIMIT 1"
    if postgres:
        pick += " FOR UPDATE SKIP LOCKED"
    return (
        "UPDATE job_items SET owner = :owner, lease_until = :lease, updated_at = :now"
        f" WHERE id = ({pick}) AND {_FREE}"
        + _job_clause(lead=lead, open_only=True, postgres=postgres)
        + f" RETURNING {_COLUMNS}"
    )


def _sql_reset_failed(postgres: bool) -> str:
    return (
        "UPDATE job_items SET status = 'pending', error = NULL, output = NULL, owner = NULL,"
        " lease_until = NULL, updated_at = :now WHERE job_id = :job_id AND status = 'failed'"
        + _job_clause(lead=True, open_only=False, postgres=postgres)
    )

# --- connections: one per thread and library, kept (a new PostgreSQL connection per item write
# cost a server process each: on 2 cores that ate the CPU the photos needed) ---------------------
_conns_lock = threading.Lock()
_conns: weakref.WeakKeyDictionary[Database, ThreadConnections] = weakref.WeakKeyDictionary()


def _thread_connections(db: Database) -> ThreadConnections:
    with _conns_lock:
        conns = _conns.get(db)
        if conns is None or conns.closed:
            conns = ThreadConnections(db.raw_connect)
            _conns[db] = conns
            weakref.finalize(db, conns.close, 0.0)
        return conns


def close_connections(db: Database) -> None:
    """Close this process's item connections to ``db`` (they are also closed with it)."""
    with _conns_lock:
        conns = _conns.pop(db, None)
    if conns is not None:
        conns.close(0.0)


# --- the items this process holds, by owner (renewed by the owner's pool heartbeat) ------------
_held_lock = threading.Lock()
_held: dict[str, set[tuple[int, int]]] = {}


def _hold(owner: str, job_id: int, position: int) -> None:
    with _held_lock:
        _held.setdefault(owner, set()).add((job_id, position))


def _let_go(owner: str, job_id: int, position: int) -> None:
    with _held_lock:
        mine = _held.get(owner)
        if mine is not None:
            mine.discard((job_id, position))
            if not mine:
                del _held[owner]


def held_by(owner: str) -> set[tuple[int, int]]:
    """(job id, position) of the items ``owner`` (a work pool of this process) holds now."""
    with _held_lock:
        return set(_held.get(owner, ()))


class ItemStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite = db.is_sqlite
        self._q: Callable[[str], str] = placeholders(self._sqlite)
        self._false: Any = 0 if self._sqlite else False

    # --- connections and transactions -----------------------------------------------------------
    @contextmanager
    def _connection(self, busy_ms: int | None = None) -> Iterator[Any]:
        conns = _thread_connections(self.db)
        with conns.use() as conn:
            try:
                if self._sqlite:
                    conn.execute(f"PRAGMA busy_timeout={int(busy_ms or BUSY_TIMEOUT_MS)}")
                yield conn
            except Exception as exc:
                if is_disconnect(exc):
                    conns.discard(conn)  # the next call opens a new one
                raise

    def _cursor(self, conn: Any, sql: str, params: Any = None, *, many: bool = False) -> Any:
        text = self._q(sql)
        cur = conn.cursor()
        if many:
            cur.executemany(text, params)
        else:
            cur.execute(text, params or {})
        return cur

    def _write(self, work: Callable[[Any], Any], *, wait: float = LOCK_WAIT, busy_ms: int | None = None) -> Any:
        """``work(conn)`` in one write transaction (the write lock taken up front on SQLite)."""

        def attempt() -> Any:
            with self._connection(busy_ms) as conn:
                if self._sqlite:
                    return sqlite_write(conn, work)
                with conn.transaction():
                    return work(conn)

        return retrying(attempt, wait)

    def _read(self, sql: str, params: dict[str, Any], *, wait: float = LOCK_WAIT) -> list[tuple[Any, ...]]:
        def attempt() -> list[tuple[Any, ...]]:
            with self._connection(RENEW_BUSY_MS if wait == 0 else None) as conn:
                return self._cursor(conn, sql, params).fetchall()

        return retrying(attempt, wait)

    # --- enqueue (``JobEngine.enqueue_batch``) ---------------------------------------------------
    def insert_batch(self, job_type: str, payload_json: str, max_attempts: int, inputs: Sequence[str]) -> JobRow:
        """Insert a queued job of ``job_type`` with one pending item per input, in one
        transaction; returns its row. ``JobEngine.enqueue_batch`` checks and announces it."""
        now = time.time()
        job = {
            "type": job_type,
            "message": "Waiting to start",
            "payload": payload_json,
            "max_attempts": max_attempts,
            "false": self._false,
            "now": now,
        }

        def work(conn: Any) -> JobRow:
            row = JobRow.from_db(self._cursor(conn, SQL_INSERT, job).fetchone())
            rows = [{"job_id": row.id, "position": i, "input": to_stored(str(p)), "now": now} for i, p in enumerate(inputs)]
            self._cursor(conn, SQL_ADD, rows, many=True)
            return row

        return self._write(work)

    # --- reading --------------------------------------------------------------------------------
    def items(self, job_id: int) -> list[Item]:
        return [Item.from_row(r) for r in self._read(SQL_ITEMS, {"job_id": job_id})]

    def counts(self, job_id: int) -> dict[str, int]:
        found = {status: 0 for status in ITEM_STATUSES}
        for status, n in self._read(SQL_COUNTS, {"job_id": job_id}):
            found[status] = int(n)
        return found

    def done_by(self, job_id: int) -> dict[str | None, int]:
        """How many items each worker (its owner, ``host:pid:token``) did."""
        return {owner: int(n) for owner, n in self._read(SQL_OWNERS, {"job_id": job_id})}

    def held_positions(self, job_id: int) -> dict[int, str]:
        """The pending items some worker holds under a live lease: position -> owner."""
        return {int(p): o for p, o in self._read(SQL_HELD_POSITIONS, {"job_id": job_id, "now": time.time()})}

    def job_state(self, job_id: int) -> tuple[str, bool, int, str | None] | None:
        """(status, cancel requested, attempt, owner) of the job's row; None when it is gone."""
        rows = self._read(SQL_JOB_STATE, {"job_id": job_id})
        if not rows:
            return None
        status, cancel, attempt, owner = rows[0]
        return str(status), bool(cancel), int(attempt), owner

    def assistable(self, me: str, types: Sequence[str], *, wait: float = LOCK_WAIT) -> list[JobRow]:
        """Running jobs of ``types`` that another pool leads and that have items nobody holds
        (``wait``: how long to wait for a locked library or a server away; 0: one try)."""
        if not types:
            return []
        from desktop.jobs.model import COLUMN_LIST

        names = {f"t{i}": t for i, t in enumerate(types)}
        sql = SQL_ASSISTABLE.format(columns=COLUMN_LIST, types=", ".join(f":{k}" for k in names))
        rows = self._read(sql, {**names, "me": me, "false": self._false, "now": time.time()}, wait=wait)
        return [JobRow.from_db(r) for r in rows]

    # --- claiming (lead and assistants) ---------------------------------------------------------
    def claim(self, fence: Fence, lease_seconds: float) -> Item | None:
        """The first pending item nobody holds (or whose holder's lease ran out), now held by
        ``fence.owner`` until ``lease_seconds`` from now; None when there is none, or when the
        job is not running for this fence or is being canceled."""
        sql = _sql_claim(fence.lead, not self._sqlite)

        def work(conn: Any) -> Item | None:
            now = time.time()
            params = {**fence.params(), "now": now, "lease": now + lease_seconds, "false": self._false}
            row = self._cursor(conn, sql, params).fetchone()
            return Item.from_row(row) if row else None

        item = self._write(work)
        if item is not None and fence.owner:
            _hold(fence.owner, fence.job_id, item.position)
        return item

    def release(self, fence: Fence, positions: Iterable[int]) -> None:
        """Let go of items this run holds and will not finish (canceled, stopping), so anyone
        may take them at once. One try: if it fails their leases run out by themselves."""
        rows = [{"job_id": fence.job_id, "position": p, "owner": fence.owner, "now": time.time()} for p in positions]
        for row in rows:
            _let_go(str(fence.owner), fence.job_id, row["position"])
        if not rows:
            return
        try:
            self._write(lambda conn: self._cursor(conn, SQL_RELEASE, rows, many=True), wait=0.0, busy_ms=RENEW_BUSY_MS)
        except Exception:  # noqa: BLE001 - the leases run out instead
            log.info("[job %d] could not let go of %d item(s) at once; their leases run out instead", fence.job_id, len(rows))

    def release_holder(self, job_id: int, owner: str) -> int:
        """Let go of every pending item of ``job_id`` that ``owner`` holds (a closing window's
        pool handing its work back): they wait for any worker at once, photos in flight
        included (their late results are fenced out). Returns how many; one try, like
        ``release`` (on failure their leases run out instead)."""
        with _held_lock:
            mine = _held.get(owner, set())
            mine -= {(j, p) for j, p in mine if j == job_id}
            if not mine:
                _held.pop(owner, None)

        def work(conn: Any) -> int:
            cur = self._cursor(conn, SQL_RELEASE_OWNER, {"job_id": job_id, "holder": owner, "now": time.time()})
            return max(0, cur.rowcount)

        try:
            return int(self._write(work, wait=0.0, busy_ms=RENEW_BUSY_MS))
        except Exception:  # noqa: BLE001 - the leases run out instead
            log.info("[job %d] could not let go of its items at once; their leases run out instead", job_id)
            return 0

    def forget(self, fence: Fence, position: int) -> None:
        """This process no longer holds the item (finished, or taken by another worker)."""
        _let_go(str(fence.owner), fence.job_id, position)

    def renew(self, owner: str, lease_seconds: float) -> int:
        """Renew the leases of the items ``owner`` holds (the pool heartbeat calls this);
        returns how many were renewed. One try: a locked library raises ``LibraryBusy``."""
        held = held_by(owner)
        if not held:
            return 0
        lease = time.time() + lease_seconds
        rows = [{"job_id": j, "position": p, "owner": owner, "lease": lease} for j, p in sorted(held)]

        def work(conn: Any) -> int:
            cur = self._cursor(conn, SQL_RENEW, rows, many=True)
            return cur.rowcount if cur.rowcount >= 0 else len(rows)

        return self._write(work, wait=0.0, busy_ms=RENEW_BUSY_MS)

    def release_dead(self, job_id: int, is_dead: Callable[[str | None], bool] | None = None) -> int:
        """Free the items held by workers known to be gone (a process of this machine that is
        no longer there; ``is_dead``: ``owners.owner_is_dead`` by default); returns how many were freed."""
        if is_dead is None:
            is_dead = owner_is_dead
        holders = [r[0] for r in self._read(SQL_HOLDERS, {"job_id": job_id, "now": time.time()})]
        dead = [{"job_id": job_id, "holder": h, "now": time.time()} for h in holders if is_dead(h)]
        if not dead:
            return 0

        def work(conn: Any) -> int:
            cur = self._cursor(conn, SQL_RELEASE_OWNER, dead, many=True)
            return cur.rowcount if cur.rowcount >= 0 else len(dead)

        freed = self._write(work)
        if freed:
            log.info("[job %d] %d item(s) held by a process that is gone are free again", job_id, freed)
        return freed

    # --- writes of a running job (fenced) -------------------------------------------------------
    def _set_params(self, fence: Fence, position: int, status: str, output: str | None, error: str | None, lease_seconds: float) -> dict[str, Any]:
        now = time.time()
        return {
            **fence.params(),
            "position": position,
            "status": status,
            "output": to_stored(output),
            "error": None if error is None else storable(error),  # a sentence naming an odd file name
            "now": now,
            "lease": now + lease_seconds if status == PENDING else None,
            "false": self._false,
        }

    def set(self, fence: Fence, position: int, *, status: str, output: str | None = None,
            error: str | None = None, lease_seconds: float = 30.0) -> None:
        """Record one item's state (a pending one: its lease renewed, and only while no cancel
        was asked for); raises ``LeaseLost`` when the item or the job is no longer this run's."""
        assert status in ITEM_STATUSES
        sql = _sql_set(fence.lead, status == PENDING, not self._sqlite)
        params = self._set_params(fence, position, status, output, error, lease_seconds)
        changed = self._write(lambda conn: self._cursor(conn, sql, params).rowcount)
        if not changed:
            raise LeaseLost()
        if status != PENDING and fence.owner:
            _let_go(fence.owner, fence.job_id, position)

    def reserve(self, fence: Fence, position: int, output: str, lease_seconds: float = 30.0) -> bool:
        """Record ``output`` as the name this item's file is about to get, unless another item
        of the job has it (False); raises ``LeaseLost`` when the item or the job is no longer
        this run's. Two workers never reserve the same name (the write lock on SQLite, an
        advisory lock per job on PostgreSQL)."""
        sql = _sql_set(fence.lead, True, not self._sqlite)
        params = self._set_params(fence, position, PENDING, output, None, lease_seconds)

        def work(conn: Any) -> bool | None:
            if not self._sqlite:
                self._cursor(conn, "SELECT pg_advisory_xact_lock(:key)", {"key": _PG_RESERVE_LOCK + fence.job_id})
            if self._cursor(conn, SQL_NAME_TAKEN, params).fetchone() is not None:
                return False
            return True if self._cursor(conn, sql, params).rowcount else None

        result = self._write(work)
        if result is None:
            raise LeaseLost()
        return result

    def output_taken(self, job_id: int, position: int, output: str) -> bool:
        """Whether another item of the job has ``output`` as its name."""
        return bool(self._read(SQL_NAME_TAKEN, {"job_id": job_id, "position": position, "output": to_stored(output)}))

    def batches(self, job_type: str, marker: str) -> list[tuple[int, str, dict[str, Any]]]:
        """(id, status, payload) of the jobs of ``job_type`` whose payload text holds ``marker``
        (a cheap first sieve: the caller checks the payload itself), oldest first."""
        found = []
        for job_id, status, text in self._read(SQL_BATCHES, {"type": job_type, "marker": f"%{marker}%"}):
            try:
                payload = json.loads(text or "{}")
            except ValueError:
                continue
            if isinstance(payload, dict):
                found.append((int(job_id), str(status), payload))
        return found

    def done_outputs(self, job_id: int) -> list[tuple[str, str]]:
        """(input, output) of the job's done items."""
        rows = self._read(SQL_DONE_OF, {"job_id": job_id})
        return [(from_stored(i) or "", from_stored(o) or "") for _j, i, o in rows if o]

    def reset_failed(self, fence: Fence) -> int:
        """Failed items back to pending (a retry runs them again); returns how many."""
        sql = _sql_reset_failed(not self._sqlite)
        params = {**fence.params(), "now": time.time()}

        def work(conn: Any) -> int:
            return self._cursor(conn, sql, params).rowcount

        return self._write(work)


__all__ = [
    "DONE", "FAILED", "ITEM_STATUSES", "PENDING", "Assist", "AssistNotYet", "Fence", "Item", "ItemClaims", "ItemRun",
    "ItemStore", "ItemWork", "assist_check", "close_connections", "held_by", "lease_of",
]
