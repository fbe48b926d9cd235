"""The engine across real processes: atomic claims, crash recovery, Ctrl+C, change watching."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

from desktop.jobs.model import INTERRUPTED_ERROR
from desktop.runtime import open_runtime
from tests.helpers import cli, spawn_cli, wait_until
from tests.pg import RawSQL


def test_two_worker_processes_never_run_the_same_job(home, tmp_path, database_url):
    record = home / "diagnostics" / "runs.txt"  # the job is given a name; the file is kept there
    open_runtime(home).close()
    workers = [spawn_cli("worker", "--max-parallel", "3", home=home) for _ in range(2)]
    try:
        for w in workers:  # both are polling the queue before the first job arrives
            assert "Worker running" in w.stderr.readline()
        rt = open_runtime(home)
        try:
            ids = [rt.engine.enqueue("diagnostics.sleep", {"seconds": 0.05, "record": record.name}) for _ in range(60)]
            wait_until(lambda: all(rt.engine.get(i).status == "succeeded" for i in ids), timeout=60, interval=0.1)
        finally:
            rt.close()
    finally:
        for w in workers:
            w.send_signal(signal.SIGINT)
        for w in workers:
            _out, err = w.communicate(timeout=30)
            assert w.returncode == 0, err
    runs = [line.split() for line in record.read_text().splitlines()]
    per_job = Counter(int(job) for job, _pid, _attempt in runs)
    assert sorted(per_job) == sorted(ids)
    assert set(per_job.values()) == {1}, "a job ran twice"
    assert len({pid for _job, pid, _a in runs}) == 2, "both workers should have taken jobs"


def _start_worker_with_running_job(home, payload, max_attempts=3):
    rt = open_runtime(home)
    job_id = rt.engine.enqueue("diagnostics.sleep", payload, max_attempts=max_attempts)
    worker = spawn_cli("worker", home=home)
    wait_until(lambda: rt.engine.get(job_id).status == "running", timeout=20)
    return rt, job_id, worker


def test_a_job_whose_worker_was_killed_fails_as_interrupted_when_no_attempt_remains(home, database_url):
    rt, job_id, worker = _start_worker_with_running_job(home, {"seconds": 30, "steps": 30}, max_attempts=1)
    try:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert rt.engine.get(job_id).status == "running"  # nobody has noticed yet
    finally:
        rt.close()
    rt2 = open_runtime(home)  # the next engine to start recovers it
    try:
        row = rt2.engine.get(job_id)
        assert row.status == "failed"
        assert row.error == INTERRUPTED_ERROR
    finally:
        rt2.close()


def test_a_retry_safe_job_whose_worker_was_killed_is_requeued_and_finishes(home, database_url):
    # the first attempt is far longer than the time between seeing it run and killing its
    # worker (a short one could end first on a loaded machine: then no attempt 2)
    rt, job_id, worker = _start_worker_with_running_job(home, {"seconds": 600, "steps": 600})
    try:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        # a quick second attempt: the row's payload is shortened (the test's stand-in for a long
        # job that a new worker finishes)
        conn = RawSQL(rt.db)
        conn.execute("UPDATE jobs SET payload = ? WHERE id = ?", ('{"seconds": 0.6, "steps": 6}', job_id))
        conn.close()
    finally:
        rt.close()
    result = cli("worker", "--exit-when-idle", home=home)
    assert result.returncode == 0, result.stderr
    rt2 = open_runtime(home)
    try:
        row = rt2.engine.get(job_id)
        assert row.status == "succeeded" and row.attempts == 2
    finally:
        rt2.close()


def test_a_running_worker_recovers_a_dead_peers_job_when_its_lease_runs_out(home, database_url):
    """No restart needed: the live worker's heartbeat notices the expired lease."""
    rt, job_id, dead = _start_worker_with_running_job(home, {"seconds": 30, "steps": 30}, max_attempts=1)
    try:
        # Pretend the dead worker was on another machine: only its lease can tell.
        dead.send_signal(signal.SIGKILL)
        dead.wait(10)
        conn = RawSQL(rt.db)
        conn.execute("UPDATE jobs SET owner = 'other-host:1:x', lease_until = ? WHERE id = ?", (time.time() + 0.5, job_id))
        conn.close()
        live = spawn_cli("worker", home=home, env={"STYLESTUDIO_LEASE_SECONDS": "0.6"})
        try:
            wait_until(lambda: rt.engine.get(job_id).status == "failed", timeout=15)
            assert rt.engine.get(job_id).error == INTERRUPTED_ERROR
        finally:
            live.send_signal(signal.SIGINT)
            live.communicate(timeout=20)
    finally:
        rt.close()


def test_ctrl_c_gives_running_jobs_a_grace_period_then_cancels_them(home, database_url):
    rt = open_runtime(home)
    try:
        short = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0.8, "steps": 4})
        long = rt.engine.enqueue("diagnostics.sleep", {"seconds": 60, "steps": 60})
        worker = spawn_cli("worker", "--grace", "2", home=home)
        # both started (the short one may already have ended: a poll can miss its 0.8 s; then
        # the grace is not needed for it, and the outcome below is the same)
        wait_until(lambda: rt.engine.get(long).status == "running" and rt.engine.get(short).status in ("running", "succeeded"), timeout=20)
        worker.send_signal(signal.SIGINT)
        out, err = worker.communicate(timeout=40)  # well before the long job's 60 s
        assert worker.returncode == 0, err
        assert "Traceback" not in err
        assert rt.engine.get(short).status == "succeeded"  # finished within the grace period
        row = rt.engine.get(long)
        assert row.status == "canceled" and "worker stopped" in row.message
        assert not [r for r in rt.engine.list() if r.status == "running"]
    finally:
        rt.close()


def test_changes_from_another_process_are_seen_without_asking(home, database_url):
    """(How quickly is measured in benchmarks/bench_engine.py: cross-process latency.)"""
    rt = open_runtime(home)
    seen = threading.Event()
    rt.engine.watch(lambda e: seen.set() if e.external else None)
    try:
        assert rt.engine.watcher_ready(30)  # from here on every other process's commit is seen
        seen.clear()
        result = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 0}', home=home)
        assert result.returncode == 0, result.stderr
        assert seen.wait(30)
        job_id = int(result.stdout)
        assert rt.engine.get(job_id).status == "queued"
    finally:
        rt.close()


def test_a_cancel_from_another_process_stops_a_running_job(home, database_url):
    rt, job_id, worker = _start_worker_with_running_job(home, {"seconds": 60, "steps": 60})
    try:
        result = cli("jobs", "cancel", str(job_id), home=home)
        assert result.returncode == 0, result.stderr
        # well before the job's 60 s (how quickly: benchmarks/bench_engine.py)
        wait_until(lambda: rt.engine.get(job_id).status == "canceled", timeout=40)
    finally:
        worker.send_signal(signal.SIGINT)
        worker.communicate(timeout=20)
        rt.close()



# --- the process pool for CPU work (desktop/jobs/processes.py) -------------------------------


def _sleep_then_pid(seconds: float) -> int:
    import os

    time.sleep(seconds)
    return os.getpid()


def test_warm_starts_every_worker_and_work_runs_in_them_not_here():
    import asyncio
    import os

    from desktop.jobs import processes

    pids = {f.result(timeout=60) for f in processes.warm(("desktop.imaging.grade",))}
    assert os.getpid() not in pids
    assert len(processes.worker_pids()) == processes.worker_count()  # every worker started
    assert pids <= set(processes.worker_pids())
    ran_in = asyncio.run(processes.run(_sleep_then_pid, 0))
    assert ran_in != os.getpid() and ran_in in processes.worker_pids()


def test_a_worker_killed_during_a_task_raises_worker_died_and_the_next_task_runs():
    import asyncio
    import os

    import pytest

    from desktop.jobs import processes

    async def kill_during_task() -> None:
        task = asyncio.ensure_future(processes.run(_sleep_then_pid, 30))
        while not processes.worker_pids():
            await asyncio.sleep(0.05)
        for pid in processes.worker_pids():
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(processes.WorkerDied):
            await asyncio.wait_for(task, 60)

    asyncio.run(kill_during_task())
    assert asyncio.run(processes.run(_sleep_then_pid, 0)) != os.getpid()


def test_next_to_a_window_the_workers_yield_the_cpu_and_headless_they_do_not():
    import os

    import pytest

    from desktop.jobs import processes

    if not hasattr(os, "setpriority"):
        pytest.skip("process priorities (nice) are POSIX")
    processes.set_background(False)  # headless, whatever a window test before this one left
    processes.shutdown()
    try:
        before = [f.result(timeout=60) for f in processes.warm()]
        assert before and not any(processes.is_background(pid) for pid in processes.worker_pids())
        # (a worker may still be starting: its own start-up lowers its priority)
        wait_until(lambda: all(os.getpriority(os.PRIO_PROCESS, pid) >= processes.WORKER_NICENESS for pid in processes.worker_pids()), timeout=60)
        processes.set_background(True)  # a window opened: running workers change at once
        assert all(processes.is_background(pid) for pid in processes.worker_pids())
        processes.shutdown()
        [f.result(timeout=60) for f in processes.warm()]  # and new ones start that way
        assert processes.worker_pids() and all(processes.is_background(pid) for pid in processes.worker_pids())
    finally:
        processes.set_background(False)
        processes.shutdown()


def test_a_worker_whose_parent_died_while_it_was_starting_ends_at_once():
    """The parent's pid is handed to the worker: read in the worker, it would already be init's
    when the parent died during the worker's start-up, and the orphan would live on."""
    import subprocess
    import sys

    code = "from desktop.jobs import processes; processes.init_worker(False, parent=2**22 + 7); print('still here')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "still here" not in done.stdout, done.stdout + done.stderr
