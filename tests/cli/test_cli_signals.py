"""SIGTERM (kill, a service manager) and SIGHUP (the terminal closed) act like Ctrl+C:
the job is canceled properly, never left running."""

from __future__ import annotations

import json
import signal

import pytest

from desktop.runtime import open_runtime
from tests.helpers import cli, spawn_cli, wait_until

STOP_SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


def _status(home, job_id):
    result = cli("jobs", "show", str(job_id), "--json", home=home)
    return json.loads(result.stdout)["status"] if result.returncode == 0 else None


def _running_ids(rt):
    return [r.id for r in rt.engine.list() if r.status == "running"]


@pytest.mark.parametrize("sig", STOP_SIGNALS, ids=lambda s: s.name)
def test_a_stop_signal_cancels_an_inline_generate(home, sig):
    # 5 large previews: far longer than it takes to notice the job running and signal it
    proc = spawn_cli("generate", "grain halftone", "--previews", "5", "--size", "4096", home=home)
    try:
        rt = None
        wait_until(lambda: (home / "library.sqlite3").exists(), timeout=60)
        rt = open_runtime(home, watch_external=False)
        wait_until(lambda: _running_ids(rt), timeout=60, interval=0.05)
        job_id = _running_ids(rt)[0]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, (out, err)
        assert err.strip().splitlines()[-1] == "Canceled."
        assert "Traceback" not in err and out == ""
        row = rt.engine.get(job_id)
        assert row.status == "canceled", row
        assert _running_ids(rt) == []
        assert not any((home / "styles").iterdir()), "a canceled style left files"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if rt is not None:
            rt.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_stops_the_worker_gracefully(home, sig):
    job_id = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 60, "steps": 600}', home=home).stdout.strip()
    worker = spawn_cli("worker", "--grace", "0.5", home=home)
    try:
        wait_until(lambda: _status(home, job_id) == "running", timeout=60, interval=0.1)
        worker.send_signal(sig)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "Traceback" not in err
    assert f"job {job_id} diagnostics.sleep canceled" in out
    lines = err.strip().splitlines()
    assert lines[-2:] == ["Worker stopped.", "Ran 1 job: 1 canceled."], err
    shown = json.loads(cli("jobs", "show", job_id, "--json", home=home).stdout)
    assert shown["status"] == "canceled" and "worker stopped" in shown["message"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_ends_jobs_watch_like_ctrl_c(home, sig):
    assert cli("jobs", "enqueue", "diagnostics.sleep", home=home).returncode == 0
    watch = spawn_cli("jobs", "watch", home=home)
    try:
        assert "diagnostics.sleep" in watch.stdout.readline()  # it is watching
        watch.send_signal(sig)
        _out, err = watch.communicate(timeout=30)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    assert watch.returncode == 0, err
    assert err == ""
