"""`stylestudio queue` (state, pause, resume, front) and `stylestudio workers`, in real
processes, on both back ends."""

from __future__ import annotations

import json
import signal
import socket

from tests.helpers import cli, spawn_cli, wait_until

SLEEP = "diagnostics.sleep"


def ok(*args: str, home) -> str:
    result = cli(*args, home=home)
    assert result.returncode == 0, result.stderr
    return result.stdout


def enqueue(home, n: int = 0) -> int:
    return int(ok("jobs", "enqueue", SLEEP, "--payload", json.dumps({"seconds": 0, "steps": n + 1}), home=home))


def test_a_paused_type_waits_for_workers_until_resumed(home, database_url):
    assert "nothing is paused" in ok("queue", home=home)
    said = ok("queue", "pause", SLEEP, home=home)
    assert said.strip() == (
        f"The queue of {SLEEP} jobs is paused: running jobs finish, waiting ones start after"
        f" 'stylestudio queue resume {SLEEP}'."
    )
    job = enqueue(home)
    shown = ok("queue", home=home)
    assert f"Paused: {SLEEP} (by " in shown and "s ago)" in shown
    assert [line.split() for line in shown.splitlines() if line.startswith(SLEEP)] == [[SLEEP, "1", "0", "paused"]]
    state = json.loads(ok("queue", "--json", home=home))
    assert state["types"] == {SLEEP: {"queued": 1, "running": 0, "paused": True}}
    assert [p["job_type"] for p in state["pauses"]] == [SLEEP]

    worker = cli("worker", "--exit-when-idle", home=home)
    assert worker.returncode == 0 and "Ran no job" in worker.stderr
    row = json.loads(ok("jobs", "show", str(job), "--json", home=home))
    assert (row["status"], row["message"]) == ("queued", "Paused")

    assert ok("queue", "resume", SLEEP, home=home).strip() == f"The queue of {SLEEP} jobs is running again."
    assert ok("queue", "resume", SLEEP, home=home).strip() == f"The queue of {SLEEP} jobs was not paused."
    worker = cli("worker", "--exit-when-idle", home=home)
    assert f"job {job} {SLEEP} succeeded" in worker.stdout, worker.stderr


def test_front_moves_a_job_ahead_of_older_ones(home, database_url):
    ok("queue", "pause", home=home)
    ids = [enqueue(home, n) for n in range(3)]
    assert "every job type" not in ok("queue", home=home)  # (the text names the whole queue)
    said = ok("queue", "front", str(ids[2]), home=home)
    assert said.strip() == f"Job {ids[2]} is now ahead of every other waiting job; it starts once its type is resumed."
    assert ok("queue", "resume", home=home).strip() == "The queue is running again."
    worker = cli("worker", "--max-parallel", "1", "--exit-when-idle", home=home)
    ran = [int(line.split()[1]) for line in worker.stdout.splitlines() if line.startswith("job ")]
    assert ran == [ids[2], ids[0], ids[1]], worker.stdout


def test_bad_input_is_one_sentence_exit_2_and_changes_nothing(home, database_url):
    job = enqueue(home)
    for args, words in (
        (("queue", "pause", "nope"), "There is no job type 'nope'; the known types are: "),
        (("queue", "resume", "nope"), "There is no job type 'nope'"),
        (("queue", "front", "999"), "There is no job 999; 'stylestudio jobs list --all' shows the jobs there are."),
        (("queue", "front", "0"), "There is no job 0"),
        (("queue", "front", "soon"), "JOB_ID: 'soon' is not a whole number"),
        (("queue", "later"), "'later' is not an action of 'stylestudio queue'"),
    ):
        result = cli(*args, home=home)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.startswith(words) and result.stderr.count("\n") == 1, result.stderr
        assert result.stdout == ""
    ok("jobs", "cancel", str(job), home=home)
    result = cli("queue", "front", str(job), home=home)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Job {job} has already ended (canceled); only a waiting job can be moved to the front of the queue."
    assert json.loads(ok("queue", "--json", home=home))["pauses"] == []


def test_workers_lists_two_real_worker_processes_with_host_and_pid(home, database_url):
    # the library first (two processes making a new PostgreSQL library at once collide)
    assert "No live worker" in ok("workers", home=home)
    procs = [spawn_cli("worker", "--max-parallel", str(n), home=home) for n in (1, 2)]
    try:
        def listed() -> list[dict]:
            rows = json.loads(ok("workers", "--json", home=home))
            return rows if {r["pid"] for r in rows} == {p.pid for p in procs} else []

        rows = wait_until(listed, timeout=60, interval=0.2)
        assert {(r["host"], r["pid"], r["kind"], r["slots"], r["running"], r["live"]) for r in rows} == {
            (socket.gethostname(), procs[0].pid, "worker", 1, 0, True),
            (socket.gethostname(), procs[1].pid, "worker", 2, 0, True),
        }
        table = ok("workers", home=home).splitlines()
        assert table[0].split() == ["HOST", "PID", "KIND", "JOBS", "LAST", "HEARTBEAT"]
        for p, slots in zip(procs, (1, 2), strict=True):
            (line,) = [t for t in table if f" {p.pid} " in t]
            assert line.split()[:4] == [socket.gethostname(), str(p.pid), "worker", f"0/{slots}"] and line.endswith(" ago")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)  # a clean stop: each removes its row
        for p in procs:
            p.communicate(timeout=60)
    assert all(p.returncode == 0 for p in procs)
    assert json.loads(ok("workers", "--all", "--json", home=home)) == []
    assert ok("workers", home=home).strip() == "No live worker: start one with 'stylestudio worker' (or open the window)."


def test_generate_in_the_foreground_says_its_type_is_paused_and_runs_once_resumed(home, database_url):
    """`generate` runs its own job here, but a paused type waits like everywhere else: the
    progress line says "Paused" (not nothing) until the type is resumed from another process."""
    import threading

    ok("queue", "pause", "style.generate", home=home)
    proc = spawn_cli("generate", "warm golden light", "--previews", "1", "--size", "64", home=home)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        wait_until(lambda: any("Paused" in line for line in lines), timeout=60)
        assert proc.poll() is None
        ok("queue", "resume", "style.generate", home=home)
        proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    out = proc.stdout.read()  # type: ignore[union-attr]
    assert proc.returncode == 0, "".join(lines)
    assert out.strip().isdigit()  # the new style's id
