"""A worker that lost its lease (stopped with SIGSTOP or Ctrl+Z while its job was recovered
and run elsewhere) neither finishes the row nor commits the job's effects when it wakes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from desktop.runtime import open_runtime
from tests.helpers import REPO, wait_until
from tests.jobs.effect_worker import JOB_TYPE

LEASE_SECONDS = "2"


def _worker(home) -> subprocess.Popen[str]:
    env = dict(os.environ, STYLESTUDIO_HOME=str(home), STYLESTUDIO_LEASE_SECONDS=LEASE_SECONDS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.effect_worker", str(home)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    assert "Worker running" in proc.stderr.readline()
    return proc


def test_a_worker_woken_after_losing_its_lease_leaves_the_row_and_the_effects_alone(home, tmp_path, database_url, log_text):
    effects = tmp_path / "effects.txt"
    rt = open_runtime(home, watch_external=False)
    try:
        # attempt 1 stays at step 2 (until it loses its lease): it is stopped there, not
        # wherever a loaded machine's timing would have it
        job_id = rt.engine.enqueue(JOB_TYPE, {"seconds": 3, "steps": 6, "effects": str(effects), "hold_first_at": 2})
    finally:
        rt.close()
    # the observer only reads: it must not recover anything itself
    rt = open_runtime(home, watch_external=False, read_only=True)
    first = _worker(home)
    second = None
    try:
        wait_until(lambda: rt.engine.get(job_id).message.startswith("Step 2"), timeout=60)
        first.send_signal(signal.SIGSTOP)  # alive, but silent: its lease runs out
        try:
            assert f":{first.pid}:" in rt.engine.get(job_id).owner
            second = _worker(home)
            wait_until(lambda: rt.engine.get(job_id).status == "succeeded", timeout=90, interval=0.1)
            final = rt.engine.get(job_id)
        finally:
            first.send_signal(signal.SIGCONT)
        assert final.attempts == 2 and final.result_dict() == {"pid": second.pid}
        # the first worker wakes, finds its lease gone, and stops its run without a trace
        wait_until(lambda: f"[job {job_id}] lost its lease (attempt 1" in log_text(), timeout=60, interval=0.2)
        after = rt.engine.get(job_id)
    finally:
        rt.close()
        for proc in (first, second):
            if proc is not None:
                proc.send_signal(signal.SIGINT)
        outputs = [(p, p.communicate(timeout=60)) for p in (first, second) if p is not None]
    for proc, (_out, err) in outputs:
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    assert after == final  # status, result, message, finished_at, updated_at: all untouched
    runs = effects.read_text().splitlines()
    assert runs == [f"{job_id} {second.pid} 2"], runs  # the effect was committed once, by attempt 2
