"""Another program holding the library's write lock (a long transaction, a backup tool) for
longer than SQLite's busy timeout: jobs wait for it and say so, and none is lost or run twice."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading

import pytest

from desktop.jobs.pool_thread import PoolThread
from desktop.jobs.store import WAITING_MESSAGE
from desktop.runtime import open_runtime
from tests.helpers import REPO, cli, hold_the_end, spawn_cli, wait_until

LOCK_WARNING = "locked by another program"

# Holds an exclusive transaction on the library for argv[2] seconds, like a backup tool.
LOCKER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE jobs SET message = message WHERE 0")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("released", flush=True)
"""


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def test_a_job_waits_for_a_locked_library_says_so_and_then_finishes(rt, home, monkeypatch, log_text):
    waiting = threading.Event()
    rt.engine.watch(lambda e: waiting.set() if e.row is not None and e.row.message == WAITING_MESSAGE else None)
    # the job stays running until the library is locked (a 0.4 s job could end first)
    release = hold_the_end(monkeypatch, "diagnostics.sleep")
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0.4, "steps": 4})
    pool = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    locker = sqlite3.connect(rt.paths.db_file, isolation_level=None)
    pool.start()
    try:
        wait_until(lambda: rt.engine.get(job_id).status == "running", timeout=30)
        locker.execute("BEGIN EXCLUSIVE")
        release.set()  # it ends now, while the library is locked
        try:
            # watchers in this process hear about the wait (the row cannot be written)
            assert waiting.wait(60), "nobody was told that the job waits for the library"
            assert rt.engine.get(job_id).status == "running"  # reads still work
        finally:
            locker.execute("COMMIT")
        wait_until(lambda: rt.engine.get(job_id).status == "succeeded", timeout=60)
    finally:
        release.set()
        locker.close()
        assert pool.stop(30)
    row = rt.engine.get(job_id)
    assert row.attempts == 1 and row.result_dict() == {"steps": 4, "seconds": 0.4}
    text = log_text()
    assert text.count(LOCK_WARNING) == 1, "one warning per locked period, not one per retry"
    assert "free again" in text


def test_a_read_only_open_writes_nothing_and_works_while_the_library_is_locked(home):
    rt = open_runtime(home)
    try:
        job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 1})
        conn = sqlite3.connect(rt.paths.db_file, isolation_level=None)
        dead_owner = f"{socket.gethostname()}:999999999:gone"  # this machine, no such process
        conn.execute("UPDATE jobs SET status = 'running', attempts = 1, owner = ?, lease_until = 0 WHERE id = ?", (dead_owner, job_id))
    finally:
        rt.close()
    conn.execute("BEGIN EXCLUSIVE")
    try:
        ro = open_runtime(home, read_only=True)
        try:
            row = ro.engine.get(job_id)
            assert row.status == "running" and row.owner == dead_owner  # looked at, not recovered
            assert [r.id for r in ro.engine.list()] == [job_id]
        finally:
            ro.close()
    finally:
        conn.execute("COMMIT")
        conn.close()
    rw = open_runtime(home)  # an ordinary open recovers it
    try:
        assert rw.engine.get(job_id).status == "queued"
    finally:
        rw.close()


def test_workers_ride_out_a_35_second_write_lock_without_losing_or_repeating_a_job(home, log_text):
    """Longer than SQLite's busy timeout (10 s) and than the workers' lease (6 s here)."""
    rt = open_runtime(home, watch_external=False)
    env = {"STYLESTUDIO_LEASE_SECONDS": "6"}
    try:
        ids = [rt.engine.enqueue("diagnostics.sleep", {"seconds": 3, "steps": 3}) for _ in range(8)]
    finally:
        rt.close()
    workers = [spawn_cli("worker", "--max-parallel", "2", home=home, env=env) for _ in range(2)]
    locker = None
    try:
        for w in workers:
            assert "Worker running" in w.stderr.readline()
        rt = open_runtime(home, watch_external=False, read_only=True)  # looks, never recovers
        try:
            wait_until(lambda: sum(r.status == "running" for r in rt.engine.list()) >= 3, timeout=60)
        finally:
            rt.close()
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(home / "library.sqlite3"), "35"],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )
        assert locker.stdout.readline().strip() == "locked"
        listed = cli("jobs", "list", "--all", home=home, timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert str(ids[0]) in listed.stdout
        assert locker.poll() is None, "'jobs list' waited for the lock instead of just reading"
        assert locker.stdout.readline().strip() == "released"
        assert locker.wait(30) == 0
        rt = open_runtime(home, watch_external=False, read_only=True)
        try:
            wait_until(lambda: all(rt.engine.get(i).status == "succeeded" for i in ids), timeout=120, interval=0.2)
            rows = [rt.engine.get(i) for i in ids]
        finally:
            rt.close()
    finally:
        if locker is not None and locker.poll() is None:
            locker.kill()
        for w in workers:
            w.send_signal(signal.SIGINT)
        outputs = [w.communicate(timeout=60) for w in workers]
    for w, (_out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
        assert "Traceback" not in err
    assert all(r.attempts == 1 for r in rows), [(r.id, r.attempts) for r in rows]  # none ran twice
    assert not any(r.status == "running" for r in rows)
    text = log_text()
    for job_id in ids:
        assert text.count(f"[job {job_id}] diagnostics.sleep started") == 1, job_id
    assert "Traceback" not in text
    assert 1 <= text.count(LOCK_WARNING) <= 2, "one warning per worker, not one per retry"
