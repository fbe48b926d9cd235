"""What the command line prints, and what happens when nobody reads it: a reader that went
away ends a command quietly; a worker whose output is never read keeps running its jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from desktop.runtime import open_runtime
from tests.helpers import REPO, cli, wait_until

EXIT_BROKEN_PIPE = 141


def _env(home, **extra):
    return dict(os.environ, STYLESTUDIO_HOME=str(home), **extra)


def _with_closed_stdout(*args, home):
    """Run the command with a stdout pipe whose only reader has already gone (`| head -0`)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_env(home), cwd=REPO,
    )
    proc.stdout.close()
    _out, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize(
    "args",
    [
        ("styles", "list"),
        ("styles", "list", "--json"),
        ("jobs", "list", "--all"),
        ("jobs", "list", "--json"),
        ("jobs", "show", "1"),
        ("jobs", "watch"),
        ("jobs", "enqueue", "diagnostics.sleep"),
    ],
)
def test_a_reader_that_went_away_ends_the_command_quietly(home, args):
    assert cli("jobs", "enqueue", "diagnostics.sleep", home=home).returncode == 0
    code, err = _with_closed_stdout(*args, home=home)
    assert (code, err) == (EXIT_BROKEN_PIPE, "")


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_to_a_reader_that_went_away_is_quiet(home, option):
    code, err = _with_closed_stdout(option, home=home)  # argparse may swallow the error itself
    assert code in (0, EXIT_BROKEN_PIPE) and err == ""


def test_head_on_a_long_job_list(home):
    rt = open_runtime(home)
    try:
        for _ in range(300):
            rt.engine.enqueue("diagnostics.sleep", {})
    finally:
        rt.close()
    result = subprocess.run(
        f'"{sys.executable}" -m desktop.cli jobs list --limit 300 | head -1', shell=True,
        capture_output=True, text=True, env=_env(home), cwd=REPO, timeout=60,
    )
    assert result.stdout.split() == ["ID", "TYPE", "STATUS", "PROGRESS", "AGE", "MESSAGE"]
    assert result.stderr == ""


def _full_pipe() -> tuple[int, int]:
    """A pipe already full to the brim; its reader never reads."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    chunk = b"x" * 65536
    try:
        while True:
            os.write(w, chunk)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)  # the worker's writes would block, as on a stalled terminal
    return r, w


def test_a_worker_whose_stdout_is_never_read_keeps_its_leases(home):
    """Its job-ended lines cannot be written; the jobs must still run once each, none taken
    for dead by another process (this test's engine recovers expired leases as it polls)."""
    record = home / "diagnostics" / "runs.txt"  # the job is given the name; the file is kept there
    rt = open_runtime(home)
    try:
        ids = [
            rt.engine.enqueue("diagnostics.sleep", {"seconds": 3, "steps": 6, "record": record.name})
            for _ in range(4)
        ]
        r, w = _full_pipe()
        try:
            worker = subprocess.Popen(
                [sys.executable, "-m", "desktop.cli", "worker", "--exit-when-idle", "--max-parallel", "2"],
                stdout=w, stderr=subprocess.PIPE, text=True, cwd=REPO,
                env=_env(home, STYLESTUDIO_LEASE_SECONDS="2"),
            )
            os.close(w)
            w = -1

            def worker_done():
                rt.engine.recover()  # another process taking jobs whose lease ran out
                return worker.poll() is not None

            try:
                wait_until(worker_done, timeout=90, interval=0.2)
            finally:
                if worker.poll() is None:
                    worker.kill()
                err = worker.stderr.read()
                worker.wait(10)
        finally:
            os.close(r)
            if w != -1:
                os.close(w)
        assert worker.returncode == 0, err
        rows = [rt.engine.get(i) for i in ids]
    finally:
        rt.close()
    assert [row.status for row in rows] == ["succeeded"] * 4, rows
    assert [row.attempts for row in rows] == [1] * 4, "a job was taken for dead and run again"
    runs = Counter(line.split()[0] for line in record.read_text().splitlines())
    assert runs == Counter({str(i): 1 for i in ids})
    assert "Ran 4 jobs: 4 succeeded." in err
    assert "4 line(s) of output were dropped because nothing was reading them." in err
    assert "Traceback" not in err


def test_the_worker_says_how_many_jobs_it_ran(home):
    for payload in ('{"seconds": 0}', '{"seconds": 0}', '{"seconds": 0, "fail_at_step": 1}'):
        assert cli("jobs", "enqueue", "diagnostics.sleep", "--payload", payload, home=home).returncode == 0
    result = cli("worker", "--exit-when-idle", home=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Ran 3 jobs: 2 succeeded, 1 failed."
    assert result.stdout.count("diagnostics.sleep succeeded") == 2
    again = cli("worker", "--exit-when-idle", home=home)
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip().splitlines()[-1] == "Ran no job: the queue was empty or another process took them."


def test_jobs_list_says_when_it_shows_only_the_newest(home):
    rt = open_runtime(home)
    try:
        ids = [rt.engine.enqueue("diagnostics.sleep", {}) for _ in range(203)]
    finally:
        rt.close()
    default = cli("jobs", "list", home=home)
    assert default.returncode == 0
    assert len(default.stdout.strip().splitlines()) == 1 + 200
    assert default.stderr.strip() == "Showing the newest 200 of 203 active jobs; use --limit to see more."
    limited = cli("jobs", "list", "--json", "--limit", "5", home=home)
    assert [d["id"] for d in json.loads(limited.stdout)] == ids[::-1][:5]  # stdout stays JSON
    assert limited.stderr.strip() == "Showing the newest 5 of 203 active jobs; use --limit to see more."
    everything = cli("jobs", "list", "--all", "--limit", "203", home=home)
    assert len(everything.stdout.strip().splitlines()) == 1 + 203 and everything.stderr == ""
