"""Queue controls of a queue several machines share: pausing and resuming job types (or the
whole queue), moving a job to the front, and the live workers table. Both back ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from desktop.errors import UserError
from desktop.jobs import registry
from desktop.jobs.events import EXTERNAL
from desktop.jobs.pool_thread import PoolThread
from desktop.jobs.queue import ALL
from desktop.runtime import open_runtime
from tests.helpers import cli, run_pool, wait_until
from tests.pg import RawSQL

TYPE_A, TYPE_B = "test.queue.a", "test.queue.b"
RAN: list[tuple[str, int]] = []  # (type, n) in the order the handlers started
RELEASE: dict[int, threading.Event] = {}  # n -> the event a "hold" job waits for


async def _record(ctx, payload):
    RAN.append((ctx.row.type, payload.get("n", 0)))
    hold = RELEASE.get(payload.get("n", -1)) if payload.get("hold") else None
    if hold is not None:
        await ctx.run_in_thread(hold.wait, 60)
    return {"n": payload.get("n", 0)}


registry.register(TYPE_A, title="Queue test A", retry_safe=True)(_record)
registry.register(TYPE_B, title="Queue test B", retry_safe=True)(_record)


@pytest.fixture(autouse=True)
def records() -> Iterator[None]:
    """Each test starts with no record; held jobs are let go when it ends (after the library
    is closed)."""
    RAN.clear()
    yield
    for event in RELEASE.values():
        event.set()
    RELEASE.clear()


@pytest.fixture
def pool_thread(pool_thread):
    """The shared pool thread, with the held jobs let go before the pools are stopped."""
    yield pool_thread
    for event in RELEASE.values():
        event.set()


def status(rt, job_id: int) -> str:
    return rt.engine.get(job_id).status


def test_a_paused_type_waits_while_other_types_run_and_runs_once_resumed(rt):
    engine = rt.engine
    a1 = engine.enqueue(TYPE_A, {"n": 1})  # the oldest: it would go first
    b1 = engine.enqueue(TYPE_B, {"n": 2})
    assert engine.pause(TYPE_A) is True
    assert engine.pause(TYPE_A) is False  # already paused: nothing changes
    assert engine.get(a1).message == "Paused" and engine.get(b1).message == "Waiting to start"
    a2 = engine.enqueue(TYPE_A, {"n": 3})  # queued while paused: says so from the start
    assert engine.get(a2).message == "Paused"
    pause = engine.paused()[TYPE_A]
    assert "@" in pause.paused_by or pause.paused_by == socket.gethostname()

    run_pool(rt)  # (a worker run until idle ends: paused jobs are no work for it)
    assert RAN == [(TYPE_B, 2)]
    assert [status(rt, j) for j in (a1, a2, b1)] == ["queued", "queued", "succeeded"]
    state = engine.queue_state()
    assert state.is_paused(TYPE_A) and not state.is_paused(TYPE_B) and state.queued == {TYPE_A: 2}

    assert engine.resume(TYPE_A) == [TYPE_A]
    assert engine.get(a1).message == "Waiting to start"
    run_pool(rt)
    assert RAN == [(TYPE_B, 2), (TYPE_A, 1), (TYPE_A, 3)]
    assert engine.paused() == {}


def test_pausing_everything_holds_every_type_until_everything_is_resumed(rt):
    engine = rt.engine
    a = engine.enqueue(TYPE_A, {"n": 1})
    b = engine.enqueue(TYPE_B, {"n": 2})
    assert engine.pause() is True
    assert set(engine.paused()) == {ALL}
    run_pool(rt)
    assert RAN == [] and status(rt, a) == status(rt, b) == "queued"

    # a type resumed on its own stays paused while the whole queue is
    assert engine.pause(TYPE_B) is True
    assert engine.resume(TYPE_B) == [TYPE_B]
    run_pool(rt)
    assert RAN == [] and engine.get(b).message == "Paused"

    # a failed job retried while paused waits too
    engine.cancel(a)
    assert engine.retry(a).message == "Paused"

    assert engine.resume() == [ALL]
    run_pool(rt)
    assert sorted(RAN) == [(TYPE_A, 1), (TYPE_B, 2)]
    assert status(rt, a) == status(rt, b) == "succeeded"


def test_running_jobs_finish_and_a_running_pool_starts_what_is_resumed(rt, pool_thread):
    engine = rt.engine
    RELEASE[1] = threading.Event()
    running = engine.enqueue(TYPE_A, {"n": 1, "hold": True})
    pool_thread()
    wait_until(lambda: status(rt, running) == "running", timeout=30)

    engine.pause(TYPE_A)
    waiting = engine.enqueue(TYPE_A, {"n": 2})
    other = engine.enqueue(TYPE_B, {"n": 3})  # newer, of a type that is not paused
    wait_until(lambda: status(rt, other) == "succeeded", timeout=30)
    assert status(rt, waiting) == "queued"  # the pool looked, and passed it over

    RELEASE[1].set()  # the running job of the paused type finishes
    wait_until(lambda: status(rt, running) == "succeeded", timeout=30)
    last = engine.enqueue(TYPE_B, {"n": 4})  # proof that the pool has looked again since
    wait_until(lambda: status(rt, last) == "succeeded", timeout=30)
    assert status(rt, waiting) == "queued" and engine.get(waiting).message == "Paused"

    engine.resume(TYPE_A)
    wait_until(lambda: status(rt, waiting) == "succeeded", timeout=30)
    assert [n for _t, n in RAN] == [1, 3, 4, 2]


def test_a_resume_from_another_process_wakes_this_processs_pool(rt, pool_thread, home):
    engine = rt.engine
    engine.pause()
    job = engine.enqueue(TYPE_A, {"n": 1})
    seen_external = threading.Event()
    engine.watch(lambda e: seen_external.set() if e.kind == EXTERNAL else None)
    pool_thread()
    assert engine.watcher_ready(30)
    seen_external.clear()
    # the other process knows no test types: it resumes the whole queue
    result = cli("queue", "resume", home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The queue is running again."
    wait_until(lambda: status(rt, job) == "succeeded", timeout=30)
    wait_until(seen_external.is_set, timeout=30)  # the change watcher reported that commit


def test_move_to_front_runs_a_job_before_older_ones(rt):
    engine = rt.engine
    ids = [engine.enqueue(TYPE_A, {"n": n}) for n in range(4)]
    assert engine.queue_order() == ids
    engine.move_to_front(ids[3])
    engine.move_to_front(ids[2])
    assert engine.queue_order() == [ids[2], ids[3], ids[0], ids[1]]
    run_pool(rt, max_parallel=1)
    assert [n for _t, n in RAN] == [2, 3, 0, 1]

    with pytest.raises(UserError, match="There is no job 999"):
        engine.move_to_front(999)
    with pytest.raises(UserError, match=r"has already ended \(succeeded\); only a waiting job"):
        engine.move_to_front(ids[0])


def test_unknown_job_types_are_refused_and_change_nothing(rt):
    with pytest.raises(UserError, match="There is no job type 'nope'; the known types are: .*test.queue.a"):
        rt.engine.pause("nope")
    with pytest.raises(UserError, match="There is no job type 'nope'"):
        rt.engine.resume("nope")
    assert rt.engine.paused() == {}


def test_a_running_pool_is_a_live_worker_until_it_stops(rt):
    engine = rt.engine
    RELEASE[1] = threading.Event()
    thread = PoolThread(engine.pool(max_parallel=3), grace=1.0)  # the window's pool
    thread.start()
    try:
        wait_until(lambda: engine.workers(), timeout=30)
        (me,) = engine.workers()
        assert (me.owner, me.host, me.pid, me.kind, me.slots) == (engine.owner, socket.gethostname(), os.getpid(), "window", 3)
        assert me.live and me.running == 0
        job = engine.enqueue(TYPE_A, {"n": 1, "hold": True})
        wait_until(lambda: status(rt, job) == "running", timeout=30)
        assert engine.workers()[0].running == 1
    finally:
        RELEASE[1].set()
        stopped = thread.stop(20)
    assert stopped
    assert engine.workers(include_stale=True) == []  # a clean stop removes the row


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def test_a_worker_not_seen_for_three_leases_or_whose_process_is_gone_is_stale(rt):
    engine = rt.engine
    now = time.time()
    lease = engine.lease_seconds
    here = socket.gethostname()
    gone = _dead_pid()
    rows = [
        ("far:10:aa", "far", 10, now - lease),  # another machine, seen a lease ago: live
        ("far:11:bb", "far", 11, now - 4 * lease),  # not seen for 4 leases: stale
        (f"{here}:{gone}:cc", here, gone, now),  # this machine, its process is gone: stale
    ]
    sql = RawSQL(rt.db)
    try:
        for owner, host, pid, seen in rows:
            sql.execute(
                "INSERT INTO workers (owner, host, pid, kind, slots, running, started_at, seen_at)"
                " VALUES (?, ?, ?, 'worker', 2, 0, ?, ?)",
                (owner, host, pid, seen - 10, seen),
            )
        if rt.db.is_sqlite:
            sql.conn.commit()
    finally:
        sql.close()
    assert [w.owner for w in engine.workers()] == ["far:10:aa"]
    every = {w.owner: w.live for w in engine.workers(include_stale=True)}
    assert every == {"far:10:aa": True, "far:11:bb": False, f"{here}:{gone}:cc": False}


def test_a_pool_that_could_not_register_while_the_library_was_locked_registers_soon_after(home, monkeypatch, caplog):
    """Workers starting together on a busy SQLite library: one that finds it locked for longer
    than it waits at start is listed at its next heartbeat, not a whole lease later."""
    import logging
    import sqlite3

    monkeypatch.setattr("desktop.jobs.pool.REGISTER_WAIT", 0.2)
    rt = open_runtime(home)
    caplog.set_level(logging.DEBUG, logger="desktop.jobs.pool")
    locker = sqlite3.connect(rt.paths.db_file, timeout=0, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    thread = None
    try:
        engine = rt.engine
        thread = PoolThread(engine.pool(max_parallel=1), grace=0.5)
        thread.start()
        wait_until(lambda: "Could not register this work pool" in caplog.text, timeout=60)
        locker.execute("ROLLBACK")
        wait_until(lambda: engine.workers(), timeout=60)
    finally:
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()
        if thread is not None:
            thread.stop()
        rt.close()
