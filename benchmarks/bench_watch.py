"""Change watching across processes (not part of the test suite): SQLite's polling against
PostgreSQL's LISTEN/NOTIFY, measured in the same run.

    python benchmarks/bench_watch.py [--changes 200] [--pickups 100]

1. Change latency: process A (a child) commits a change to a job row; this process (B, an open
   library with the engine's watcher) gets an ``external`` event. From just before A's commit
   statement to the event: p50 / p95 / max over ``--changes`` changes, spaced 60-160 ms apart
   (independent changes, as a user or another machine makes them: a change within
   ``MIN_EVENT_GAP`` of the previous event waits for that gap, by design).
2. Pick-up latency: a ``stylestudio worker`` idle in process B, a job enqueued in process A
   (this one): from just before the enqueue to the job's ``started_at`` (written by the claim).

PostgreSQL: the server named by STYLESTUDIO_TEST_POSTGRES_URL, or else a throw-away one that
``.ci/postgres start`` makes (and stops at the end); either way a fresh database of its own,
dropped at the end. Times come from the system clock shared by both processes (Linux).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from desktop.runtime import open_runtime  # noqa: E402

# Process A: on each line "ID" from stdin, commits one change to job ID and prints the time
# taken just before the statement (autocommit: the statement is the commit).
COMMITTER = """
import sys, time
from desktop.db.engine import Database
db = Database(sys.argv[1])
conn = db.raw_connect()
sql = "UPDATE jobs SET message = {p}, updated_at = {p} WHERE id = {p}".format(p="?" if db.is_sqlite else "%s")
print("ready", flush=True)
for n, line in enumerate(sys.stdin):
    t0 = time.time()
    conn.cursor().execute(sql, (f"change {n}", t0, int(line)))
    print(t0, flush=True)
conn.close()
"""
WARMUP = 5


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


# --- PostgreSQL ------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the test server (or a throw-away server), dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = os.environ.get("STYLESTUDIO_TEST_POSTGRES_URL")
    folder = None
    if not server:
        started = subprocess.run([str(REPO / ".ci" / "postgres"), "start"], capture_output=True, text=True, check=True)
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export ")
        )
        server, folder = exports["STYLESTUDIO_TEST_POSTGRES_URL"], exports["STYLESTUDIO_TEST_POSTGRES_DIR"]
    admin_url = make_url(server)
    name = f"stylestudio_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    libpq = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with psycopg.connect(libpq, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if folder:
            subprocess.run([str(REPO / ".ci" / "postgres"), "stop", folder], capture_output=True)


# --- 1. change latency -------------------------------------------------------------------------


def change_latency(home: Path, changes: int) -> list[float]:
    rt = open_runtime(home)
    child = None
    try:
        arrived = threading.Event()
        stamps: list[float] = []

        def on_event(event) -> None:
            if event.external:
                stamps.append(time.time())
                arrived.set()

        rt.engine.watch(on_event)
        job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        assert rt.engine.watcher_ready(60)
        child = subprocess.Popen(
            [sys.executable, "-c", COMMITTER, rt.db.url.render_as_string(hide_password=False)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # our own enqueue's event is behind us
        latencies: list[float] = []
        for n in range(changes + WARMUP):
            arrived.clear()
            stamps.clear()
            child.stdin.write(f"{job_id}\n")
            child.stdin.flush()
            t0 = float(child.stdout.readline())
            if not arrived.wait(30):
                raise SystemExit("no event within 30 s of a commit")
            if n >= WARMUP:
                latencies.append((stamps[0] - t0) * 1000)
            time.sleep(random.uniform(0.06, 0.16))
        return latencies
    finally:
        if child is not None:
            child.stdin.close()  # type: ignore[union-attr]
            child.wait(30)
        rt.close()


# --- 2. pick-up latency ------------------------------------------------------------------------


def pickup_latency(home: Path, pickups: int) -> list[float]:
    env = dict(os.environ, STYLESTUDIO_HOME=str(home))
    worker = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "worker", "--max-parallel", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    rt = open_runtime(home)  # its watcher only makes wait_for_job return sooner
    try:
        assert worker.stderr is not None
        line = worker.stderr.readline()
        if "Worker running" not in line:
            raise SystemExit(f"the worker did not start: {line}{worker.stderr.read()}")
        latencies: list[float] = []
        for n in range(pickups + WARMUP):
            time.sleep(random.uniform(0.1, 0.3))  # the worker is idle again
            t0 = time.time()
            job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
            row = rt.engine.wait_for_job(job_id, timeout=60)
            if row.status != "succeeded" or row.started_at is None:
                raise SystemExit(f"job {job_id} ended {row.status}: {row.error}")
            if n >= WARMUP:
                latencies.append((row.started_at - t0) * 1000)
        return latencies
    finally:
        rt.close()
        worker.send_signal(signal.SIGINT)
        try:
            worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


# --- the run -----------------------------------------------------------------------------------


def measure(backend: str, changes: int, pickups: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix=f"bench-watch-{backend}-") as folder:
        home = Path(folder)
        print(f"{backend}: {changes} changes...", file=sys.stderr, flush=True)
        result = {"change": change_latency(home, changes)}
        print(f"{backend}: {pickups} pick-ups...", file=sys.stderr, flush=True)
        result["pickup"] = pickup_latency(home, pickups)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--pickups", type=int, default=100)
    args = parser.parse_args()
    os.environ.pop("STYLESTUDIO_DATABASE_URL", None)
    results = {"SQLite (PRAGMA data_version poll)": measure("sqlite", args.changes, args.pickups)}
    with postgres_database() as url:
        os.environ["STYLESTUDIO_DATABASE_URL"] = url
        try:
            results["PostgreSQL (LISTEN/NOTIFY)"] = measure("postgres", args.changes, args.pickups)
        finally:
            os.environ.pop("STYLESTUDIO_DATABASE_URL", None)

    baseline = {kind: percentiles(values) for kind, values in next(iter(results.values())).items()}
    titles = {
        "change": "commit in process A → external event in process B",
        "pickup": "job enqueued in process A → running in an idle worker (process B)",
    }
    for kind, title in titles.items():
        print(f"\n{title}\n")
        print("| database | n | p50 ms | p95 ms | max ms | p95 vs SQLite |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, measured in results.items():
            p50, p95, worst = percentiles(measured[kind])
            ratio = p95 / baseline[kind][1] if baseline[kind][1] else float("nan")
            print(f"| {name} | {len(measured[kind])} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
