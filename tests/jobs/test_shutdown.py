"""Closing the library while other threads use it: never a crash, never a half-recorded row."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from desktop.errors import LibraryClosed
from desktop.runtime import open_runtime
from tests.helpers import REPO, wait_until


def _blocking_read(store, gate: threading.Event, inside: threading.Event, out: dict) -> None:
    """A read that stays inside its statement until ``gate`` is set."""
    with store.connections.use() as conn:
        conn.create_function("hold", 0, lambda: (inside.set(), gate.wait(60), 7)[2])
    try:
        out["value"] = store.read("SELECT hold()")[0][0]
    except BaseException as exc:  # noqa: BLE001 - the test looks at it
        out["error"] = exc


def test_close_waits_for_a_read_in_flight_and_refuses_new_calls(home):
    rt = open_runtime(home)
    gate, inside, out = threading.Event(), threading.Event(), {}
    reader = threading.Thread(target=_blocking_read, args=(rt.engine.store, gate, inside, out))
    reader.start()
    assert inside.wait(30)
    closer = threading.Thread(target=rt.close)
    closer.start()
    try:
        wait_until(lambda: rt.engine.store.closed)
        with pytest.raises(LibraryClosed, match="library was closed"):
            rt.engine.list()
        with pytest.raises(LibraryClosed):
            rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        assert closer.is_alive(), "close() returned while a read was still running"
    finally:
        gate.set()
        reader.join(30)
        closer.join(30)
    assert out == {"value": 7}
    assert not closer.is_alive()


def test_a_connection_still_in_use_when_close_stops_waiting_is_closed_by_its_own_thread(home):
    rt = open_runtime(home)
    store = rt.engine.store
    gate, inside, out = threading.Event(), threading.Event(), {}
    reader = threading.Thread(target=_blocking_read, args=(store, gate, inside, out))
    reader.start()
    assert inside.wait(30)
    try:
        store.connections.close(wait=0.05)  # gives up waiting: the reader keeps its connection
        slot = next(iter(store.connections.busy_slots()))
        conn = slot.conn
        assert conn is not None
    finally:
        gate.set()
        reader.join(30)
    assert out == {"value": 7}  # the read finished on an open connection
    assert slot.conn is None
    with pytest.raises(Exception, match="closed"):
        conn.execute("SELECT 1")
    rt.close()


def test_closing_while_threads_hammer_the_store_never_crashes(home):
    """The CI segmentation fault: close() closed a connection another thread was reading on.
    Many rounds in a fresh process; a crash shows as a negative exit code (-11)."""
    open_runtime(home).close()
    result = subprocess.run(
        [sys.executable, "-m", "tests.jobs.close_hammer", str(home), "30"],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.returncode, result.stdout[-2000:], result.stderr[-3000:])
    assert result.stdout.strip().splitlines()[-1] == "ok"
    rt = open_runtime(home)  # recovers what the closed rounds left running (refused finishes)
    try:
        assert rt.engine.count() > 0
        assert not [r for r in rt.engine.list(limit=100_000) if r.status == "running"]
    finally:
        rt.close()


def test_closing_the_library_under_a_running_pool_stops_the_pool_quietly(home):
    """Whatever order a front door shuts down in, the pool never crashes: it stops, and the
    row it could not finish is recovered by the next start."""
    from desktop.jobs.pool_thread import PoolThread

    rt = open_runtime(home)
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 30}, max_attempts=1)
    pool = PoolThread(rt.engine.pool(max_parallel=1), grace=0.5)
    pool.start()
    wait_until(lambda: rt.engine.get(job_id).status == "running", timeout=30)
    rt.close()  # before stopping the pool: the wrong order
    assert pool.stop(30)
    assert pool.error is None
    rt2 = open_runtime(home)
    try:
        row = rt2.engine.get(job_id)
        assert row.status == "failed" and row.error.startswith("Interrupted")
    finally:
        rt2.close()


def test_stopping_a_pool_thread_twice_is_harmless(tmp_path):
    """A window's close and a settings change may both stop the pool: the second stop is a no-op
    (it used to raise "Event loop is closed")."""
    from desktop.jobs.pool_thread import PoolThread
    from desktop.runtime import open_runtime

    rt = open_runtime(tmp_path / "home")
    try:
        thread = PoolThread(rt.engine.pool(max_parallel=1), grace=0.5)
        thread.start()
        assert thread.stop()
        assert thread.stop()
    finally:
        rt.close()
