"""Job engine benchmarks (not part of the test suite). Ratios against baselines from this run.

    python benchmarks/bench_engine.py [--jobs 1000]

1. Engine overhead: N diagnostics.sleep jobs of 0 s enqueued and run to completion by the
   pool on SQLite, against (a) the floor: the bare sqlite3 statements of the same life cycle
   (insert, claim, finish) in one process, and (b) the peer: huey's SqliteHuey running N no-op
   tasks with its consumer (needs the `bench` extra: pip install -e ".[bench]"). Floor and
   engine alternate (``--rounds``), so a busy moment of the machine hits both; each round's
   ratio is printed (goal: <= 3x in every round), then the best of each.
   Then what each part costs per job (``safety_parts``): the engine's own statements on its
   own schema run with bare sqlite3 (the SQL floor), and, timed alone on the real objects, the
   safety layer: payload checks, calls-in-flight counting, the retry loop, row decoding and
   change events, and the log lines every job writes.
2. Progress: one job calling ctx.progress 100,000 times: rows written and cost per call.
3. Cross-process latency: a change committed in a child process, seen by this process's
   watcher: p50 and p95.
4. Cancel latency: from ``engine.cancel()`` of a running job (sleeping towards a step 10 s
   away) to its row reading ``canceled``, with the pool on its own thread as in the window.
   Target: well under 1 s (the tests only check that the cancel wins against the 10 s step).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.jobs import registry  # noqa: E402
from desktop.runtime import open_runtime  # noqa: E402


def floor_sqlite(n: int, folder: Path) -> float:
    conn = sqlite3.connect(folder / "floor.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY, type TEXT, status TEXT, payload TEXT,"
        " result TEXT, attempts INT, owner TEXT, created_at REAL, updated_at REAL)"
    )
    conn.execute("CREATE INDEX ix ON jobs(status, id)")
    t0 = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO jobs (type, status, payload, attempts, created_at, updated_at)"
            " VALUES ('x', 'queued', '{}', 0, ?, ?)",
            (time.time(), time.time()),
        )
        conn.execute("COMMIT")
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "UPDATE jobs SET status='running', attempts=attempts+1, owner='me', updated_at=?"
            " WHERE id = (SELECT id FROM jobs WHERE status='queued' ORDER BY id LIMIT 1) RETURNING id",
            (time.time(),),
        ).fetchone()
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE jobs SET status='succeeded', result='{}', updated_at=? WHERE id=? AND owner='me'",
            (time.time(), row[0]),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def engine_run(n: int, folder: Path) -> float:
    rt = open_runtime(folder / "engine-home", watch_external=False)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        asyncio.run(rt.engine.pool(max_parallel=2).run(exit_when_idle=True))
        elapsed = time.perf_counter() - t0
        done = sum(1 for r in rt.engine.list(limit=n + 10) if r.status == "succeeded")
        assert done == n, f"only {done} of {n} jobs succeeded"
        return elapsed
    finally:
        rt.close()


def engine_sql_floor(n: int, folder: Path) -> float:
    """The engine's own statements (its insert, claim and finish, the finish and the next claim
    in one transaction as the pool does) on its own schema, run with bare sqlite3."""
    from desktop.jobs import store

    rt = open_runtime(folder / "sql-home", watch_external=False)
    path = rt.db.sqlite_path
    rt.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    new = {"type": "diagnostics.sleep", "message": "Waiting to start", "payload": '{"seconds": 0}', "max_attempts": 3, "false": 0}
    t0 = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(store.SQL_INSERT_NEW, {**new, "now": time.time()}).fetchall()
        conn.execute("COMMIT")
    claim = {"owner": "me", "message": "Starting"}
    conn.execute("BEGIN IMMEDIATE")
    now = time.time()
    rows = conn.execute(store.SQL_CLAIM_SQLITE, {**claim, "lease": now + 30, "now": now}).fetchall()
    conn.execute("COMMIT")
    while rows:
        job_id, attempt = rows[0][0], rows[0][8]
        conn.execute("BEGIN IMMEDIATE")
        now = time.time()
        done = {"status": "succeeded", "progress": 1.0, "message": "Done", "result": None, "error": None}
        conn.execute(store.SQL_FINISH, {**done, "id": job_id, "attempt": attempt, "owner": "me", "now": now}).fetchall()
        rows = conn.execute(store.SQL_CLAIM_SQLITE, {**claim, "lease": now + 30, "now": now}).fetchall()
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def safety_parts(folder: Path) -> list[tuple[str, float, int]]:
    """(part, microseconds per call, calls per job) of the engine's layer above its SQL, each
    timed alone on the real objects of an open library."""
    import logging
    import timeit

    from desktop.jobs.engine import JobEngine
    from desktop.jobs.events import ENQUEUED, JobEvent
    from desktop.jobs.model import COLUMN_LIST, JobRow

    rt = open_runtime(folder / "parts-home", watch_external=False)
    try:
        store = rt.engine.store
        job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        raw = store.read(f"SELECT {COLUMN_LIST} FROM jobs WHERE id = :id", {"id": job_id})[0]
        row = JobRow.from_db(raw)
        log = logging.getLogger("desktop.jobs.bench")

        def in_flight() -> None:
            store.connections.leave(store.connections.enter())

        def decoded() -> None:
            rt.engine.hub.publish(JobEvent(ENQUEUED, row.id, JobRow.from_db(raw)))

        parts = [
            ("payload checks at enqueue (generic + typed)", lambda: JobEngine._checked("diagnostics.sleep", {"seconds": 0}), 1),
            ("calls-in-flight counting (enter + leave)", in_flight, 2),
            ("retry loop around a statement (store.run)", lambda: store.run(lambda conn: None, write=False, wait=60), 2),
            ("row decoding + change event", decoded, 3),
            ("log line (queued, started, ended)", lambda: log.info("[job %d] %s queued", 1, "bench"), 3),
        ]
        out = []
        for label, call, per_job in parts:
            best = min(timeit.repeat(call, number=2000, repeat=5)) / 2000
            out.append((label, best * 1e6, per_job))
        return out
    finally:
        rt.close()


def huey_run(n: int, folder: Path) -> float | None:
    try:
        from huey import SqliteHuey
    except ImportError:
        return None
    import logging

    logging.getLogger("huey").setLevel(logging.ERROR)
    huey = SqliteHuey("bench", filename=str(folder / "huey.sqlite3"))

    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    @huey.task()
    def noop():
        with lock:  # counted where it runs, so result polling is not part of the time
            count[0] += 1
            if count[0] == n:
                done.set()
        return 1

    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False, initial_delay=0.001, backoff=1.0, max_delay=0.001)
    consumer._set_signal_handlers = lambda: None  # it runs on a thread here, not the main one
    thread = threading.Thread(target=consumer.run, daemon=True)
    t0 = time.perf_counter()
    for _ in range(n):
        noop()
    thread.start()
    if not done.wait(120):
        raise RuntimeError("huey did not run every task")
    elapsed = time.perf_counter() - t0
    consumer.stop(graceful=False)
    return elapsed


def progress_bench(folder: Path, calls: int = 100_000) -> dict[str, float]:
    stats: dict[str, float] = {}

    @registry.register("bench.progress", title="Progress benchmark")
    async def chatty(ctx, payload):
        n = calls
        t0 = time.perf_counter()
        for i in range(n):
            ctx.progress(i / n, "Working")
        stats["per_call_us"] = (time.perf_counter() - t0) / n * 1e6
        stats["calls"] = n
        # then the same number of calls spread over 2 s, to count row writes per second
        t1 = time.monotonic()
        i = 0
        while time.monotonic() - t1 < 2.0:
            for _ in range(500):
                i += 1
                ctx.progress(min(1.0, i / n), "Working")
            await asyncio.sleep(0.001)
        stats["spread_seconds"] = time.monotonic() - t1
        stats["rows_written"] = ctx.row_writes
        return None

    rt = open_runtime(folder / "progress-home", watch_external=False)
    try:
        rt.engine.enqueue("bench.progress", {})
        asyncio.run(rt.engine.pool(max_parallel=1).run(exit_when_idle=True))
    finally:
        rt.close()
    stats["writes_per_second"] = stats["rows_written"] / stats["spread_seconds"]
    return stats


CHILD = r"""
import sys, time, json
from desktop.runtime import open_runtime
rt = open_runtime(sys.argv[1], watch_external=False)
for i in range(int(sys.argv[2])):
    time.sleep(0.05 + (i % 5) * 0.013)
    rt.engine.enqueue("diagnostics.sleep", {"seconds": 0, "sent": time.time()})
rt.close()
"""


def latency_bench(folder: Path, changes: int = 60) -> dict[str, float]:
    home = folder / "latency-home"
    rt = open_runtime(home)
    latencies: list[float] = []

    def on_event(e):
        if e.external:
            now = time.time()
            for row in rt.engine.list(include_finished=False, limit=5):
                sent = row.payload_dict().get("sent")
                if sent and row.id not in seen:
                    seen.add(row.id)
                    latencies.append(now - sent)

    seen: set[int] = set()
    rt.engine.watch(on_event)
    try:
        subprocess.run([sys.executable, "-c", CHILD, str(home), str(changes)], check=True, env=dict(os.environ))
        time.sleep(0.5)
    finally:
        rt.close()
    latencies.sort()
    return {
        "count": len(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def cancel_bench(folder: Path, rounds: int = 15) -> dict[str, float]:
    from desktop.jobs.pool_thread import PoolThread

    rt = open_runtime(folder / "cancel-home", watch_external=False)
    pool = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    pool.start()
    latencies: list[float] = []
    try:
        for _ in range(rounds):
            job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 3})
            ended = threading.Event()
            running = threading.Event()

            def on_event(e, job_id=job_id, ended=ended, running=running):
                if e.job_id == job_id and e.row is not None:
                    if e.row.status == "running":
                        running.set()
                    elif e.row.status == "canceled":
                        ended.set()

            unsubscribe = rt.engine.watch(on_event)
            try:
                if not running.wait(30):
                    raise RuntimeError("the job did not start")
                t0 = time.perf_counter()
                rt.engine.cancel(job_id)
                if not ended.wait(30):
                    raise RuntimeError("the cancel did not end the job")
                latencies.append(time.perf_counter() - t0)
            finally:
                unsubscribe()
    finally:
        pool.stop(10)
        rt.close()
    latencies.sort()
    return {"p50_ms": statistics.median(latencies) * 1000, "max_ms": latencies[-1] * 1000, "count": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="floor/engine rounds, alternating (default 3)")
    args = parser.parse_args()
    n = args.jobs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floors, engines, sql_floors = [], [], []
        for i in range(args.rounds):  # alternating, so a busy moment of the machine hits both
            (folder / f"f{i}").mkdir()
            floors.append(floor_sqlite(n, folder / f"f{i}"))
            engines.append(engine_run(n, folder / f"e{i}"))
            sql_floors.append(engine_sql_floor(n, folder / f"s{i}"))
        floor, engine, sql_floor = min(floors), min(engines), min(sql_floors)
        rounds = ", ".join(f"{e / f:.2f}x" for f, e in zip(floors, engines, strict=True))
        worst = max(e / f for f, e in zip(floors, engines, strict=True))
        peer = huey_run(n, folder)
        print(f"Engine overhead, {n} jobs of 0 s (best of {args.rounds}), SQLite")
        print(f"  floor: bare sqlite3 insert+claim+finish   {floor * 1000:8.1f} ms  {floor / n * 1e6:7.1f} us/job  1.00x")
        print(f"  the engine's statements, bare sqlite3     {sql_floor * 1000:8.1f} ms  {sql_floor / n * 1e6:7.1f} us/job  {sql_floor / floor:5.2f}x floor")
        print(f"  Style Studio engine + pool               {engine * 1000:8.1f} ms  {engine / n * 1e6:7.1f} us/job  {engine / floor:5.2f}x floor")
        verdict = "met" if worst <= 3 else "MISSED"
        print(f"  each round, engine / floor: {rounds} (goal <= 3x in every round: {verdict})")
        if peer is not None:
            print(f"  huey SqliteHuey + consumer (2 threads)   {peer * 1000:8.1f} ms  {peer / n * 1e6:7.1f} us/job  {peer / floor:5.2f}x floor  (engine is {peer / engine:.1f}x faster)")
        else:
            print("  huey not installed (pip install -e '.[bench]')")
        above = (engine - sql_floor) / n * 1e6
        print(f"Per job above the engine's own SQL: {above:.0f} us; the safety layer's parts, each timed alone:")
        for label, us, per_job in safety_parts(folder):
            print(f"  {label:46s} {us:6.1f} us x {per_job} = {us * per_job:6.1f} us/job")
        p = progress_bench(folder)
        print("Progress: one job calling ctx.progress")
        print(f"  cost per call (100,000 calls)            {p['per_call_us']:.2f} us")
        print(f"  rows written over {p['spread_seconds']:.1f} s of constant calls  {p['rows_written']:.0f}  ({p['writes_per_second']:.1f} a second)")
        lat = latency_bench(folder)
        print(f"Cross-process latency ({lat['count']} changes): p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms")
        cancel = cancel_bench(folder)
        verdict = "met" if cancel["max_ms"] < 1000 else "MISSED"
        print(
            f"Cancel latency ({cancel['count']:.0f} running jobs): p50 {cancel['p50_ms']:.1f} ms,"
            f" max {cancel['max_ms']:.1f} ms (target < 1000 ms: {verdict})"
        )


if __name__ == "__main__":
    main()
