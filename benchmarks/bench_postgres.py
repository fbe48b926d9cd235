"""Style Studio's job engine against procrastinate, an established PostgreSQL task queue: same
server, same run, same worker concurrency (not part of the test suite).

    python benchmarks/bench_postgres.py [--jobs 5000] [--concurrency 4] [--samples 100] [--profile]

Needs the ``bench`` extra (``pip install -e '.[bench]'``: procrastinate) and PostgreSQL's
server: it uses the server named by STYLESTUDIO_TEST_POSTGRES_URL, or starts a throw-away one
with ``.ci/postgres start`` (and stops it at the end). Each measurement gets a fresh database.

1. Throughput: N no-op jobs enqueued, then run to completion by one worker of C slots in this
   process. Each library enqueues the way it recommends for many jobs, in one statement:
   Style Studio ``engine.enqueue_many(type, N payloads)``, procrastinate
   ``task.batch_defer_async(*N kwargs)``. The worker:
   ``engine.pool(max_parallel=C).run(exit_when_idle=True)`` against
   ``app.run_worker_async(concurrency=C, wait=False)``. Also shown: what one ``engine.enqueue``
   call costs (one INSERT and commit, as the window and ``jobs enqueue`` do; ``--single``
   calls, default 300) and procrastinate's ``defer_async``, per job.
2. Pickup latency: a job enqueued into an idle queue (the previous job has run, then a pause
   of 50-150 ms) by this process, and started by a worker in another process: the real
   ``stylestudio worker --max-parallel C`` (its watcher wakes the pool), and procrastinate's
   worker with its defaults (LISTEN/NOTIFY, concurrency C). Latency = the handler's first line
   minus the time just before the enqueue call (so the enqueue's own commit counts).

``--profile`` prints where the engine's run phase spends its time (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.jobs import registry  # noqa: E402

NOOP = "bench.noop"
RECORD_VAR = "BENCH_PICKUP_RECORD"
WARMUP = 3


# --- the job each library runs ---------------------------------------------------------------


def _record_pickup(sent: float | None) -> None:
    """Append "sent started" to the pickup record file, when this run keeps one."""
    now = time.time()
    path = os.environ.get(RECORD_VAR)
    if sent is not None and path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{sent!r} {now!r}\n")


@registry.register(NOOP, title="Benchmark: no-op")
async def engine_noop(ctx, payload):  # noqa: ANN001 - a job handler
    _record_pickup(payload.get("sent"))
    return None


def procrastinate_app(conninfo: str, concurrency: int):
    """A procrastinate app with a no-op task and a connection pool big enough for C jobs,
    the listener and the heartbeat."""
    from procrastinate import App, PsycopgConnector

    size = concurrency + 4
    app = App(connector=PsycopgConnector(conninfo=conninfo, min_size=size, max_size=size))

    @app.task(name="noop")
    async def noop(sent: float | None = None) -> None:
        _record_pickup(sent)

    return app, noop


# --- the server and its databases ------------------------------------------------------------


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The SQLAlchemy URL of a server to make databases on: the test server, or our own."""
    url = os.environ.get("STYLESTUDIO_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    script = ROOT / ".ci" / "postgres"
    started = subprocess.run([str(script), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        sys.exit(f"Could not start a PostgreSQL server: {started.stderr.strip()}")
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in started.stdout.splitlines()
        if line.startswith("export ")
    )
    try:
        yield exports["STYLESTUDIO_TEST_POSTGRES_URL"]
    finally:
        subprocess.run([str(script), "stop", exports["STYLESTUDIO_TEST_POSTGRES_DIR"]], check=False)


def libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_database(server_url: str, label: str) -> Iterator[str]:
    """A new empty database on the server (dropped afterwards); yields its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin_url = make_url(server_url)
    name = f"bench_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count_rows(url: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(libpq(url)) as conn:
        return int(conn.execute(sql).fetchone()[0])


# --- 1. throughput ---------------------------------------------------------------------------


def open_engine(url: str, *, watch_external: bool = True):
    from desktop.db.engine import Database
    from desktop.jobs.engine import JobEngine

    db = Database(url)
    db.migrate()
    engine = JobEngine(db, watch_external=watch_external).open()
    if watch_external:
        engine.watcher_ready(30)
    return db, engine


def engine_throughput(url: str, n: int, concurrency: int, profile: bool) -> tuple[float, float]:
    db, engine = open_engine(url)  # watching, as a worker does

    def enqueue_all() -> None:
        ids = engine.enqueue_many(NOOP, [{} for _ in range(n)])
        assert len(ids) == n

    def run_all() -> None:
        asyncio.run(engine.pool(max_parallel=concurrency).run(exit_when_idle=True))

    try:
        t0 = time.perf_counter()
        _profiled(enqueue_all, "enqueue") if profile else enqueue_all()
        t1 = time.perf_counter()
        _profiled(run_all, "run") if profile else run_all()
        t2 = time.perf_counter()
    finally:
        engine.close()
        db.dispose()
    done = count_rows(url, "SELECT count(*) FROM jobs WHERE status = 'succeeded'")
    assert done == n, f"Style Studio: only {done} of {n} jobs succeeded"
    return t1 - t0, t2 - t1


def engine_single(url: str, calls: int) -> float:
    """Seconds per ``engine.enqueue`` call (one INSERT and its commit)."""
    db, engine = open_engine(url, watch_external=False)
    try:
        engine.enqueue(NOOP, {})  # the first statement prepares the connection
        t0 = time.perf_counter()
        for _ in range(calls):
            engine.enqueue(NOOP, {})
        return (time.perf_counter() - t0) / calls
    finally:
        engine.close()
        db.dispose()


def procrastinate_single(url: str, calls: int) -> float:
    """Seconds per ``task.defer_async`` call."""

    async def main() -> float:
        app, noop = procrastinate_app(libpq(url), 1)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            await noop.defer_async()
            t0 = time.perf_counter()
            for _ in range(calls):
                await noop.defer_async()
            return (time.perf_counter() - t0) / calls

    return asyncio.run(main())


def _profiled(work, phase: str) -> None:
    """Run ``work`` under cProfile and print where the engine's ``phase`` spends its time."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(work)
    print(f"\nWhere the engine's {phase} phase spends its time (cProfile; the times include its overhead)")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)


def procrastinate_throughput(url: str, n: int, concurrency: int) -> tuple[float, float]:
    async def main() -> tuple[float, float]:
        app, noop = procrastinate_app(libpq(url), concurrency)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            t0 = time.perf_counter()
            await noop.batch_defer_async(*({} for _ in range(n)))
            t1 = time.perf_counter()
            await app.run_worker_async(concurrency=concurrency, wait=False, install_signal_handlers=False)
            t2 = time.perf_counter()
        return t1 - t0, t2 - t1

    times = asyncio.run(main())
    done = count_rows(url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'")
    assert done == n, f"procrastinate: only {done} of {n} jobs succeeded"
    return times


# --- 2. pickup latency -----------------------------------------------------------------------

ENGINE_WORKER = """
import sys
sys.path.insert(0, {root!r})
import benchmarks.bench_postgres  # registers bench.noop
from desktop.cli import main
sys.exit(main(["worker", "--max-parallel", sys.argv[1]]))
"""

PROCRASTINATE_WORKER = """
import asyncio, sys
sys.path.insert(0, {root!r})
from benchmarks.bench_postgres import procrastinate_app
app, _ = procrastinate_app(sys.argv[2], int(sys.argv[1]))
async def main():
    async with app.open_async():
        await app.run_worker_async(concurrency=int(sys.argv[1]))
asyncio.run(main())
"""


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


async def _measure_pickups(enqueue, record: Path, samples: int, worker: subprocess.Popen) -> list[float]:
    """Enqueue one job at a time into the idle queue; the latencies (s) after the warm-up."""
    rng = random.Random(13)
    for i in range(WARMUP + samples):
        await asyncio.sleep(rng.uniform(0.05, 0.15))
        await enqueue(time.time())
        deadline = time.monotonic() + (120 if i == 0 else 30)  # the first waits for start-up
        while len(_lines(record)) <= i:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({worker.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {i} was not picked up")
            await asyncio.sleep(0.002)
    pairs = [tuple(map(float, line.split())) for line in _lines(record)[WARMUP:]]
    return [started - sent for sent, started in pairs]


@contextlib.contextmanager
def worker_process(code: str, args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A worker in its own process (its output in ``log``), stopped with SIGTERM at the end."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code.format(root=str(ROOT)), *args], env=env, stdout=out, stderr=out
        )
    try:
        yield proc
    except Exception:
        print(f"The worker's output:\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def engine_pickup(url: str, folder: Path, samples: int, concurrency: int) -> list[float]:
    record = folder / "engine-pickups.txt"
    env = {
        **os.environ,
        "STYLESTUDIO_DATABASE_URL": url,
        "STYLESTUDIO_HOME": str(folder / "engine-worker-home"),
        RECORD_VAR: str(record),
    }
    db, engine = open_engine(url, watch_external=False)  # the enqueuing side only writes
    try:
        with worker_process(ENGINE_WORKER, [str(concurrency)], env, folder / "engine-worker.log") as worker:

            async def enqueue(sent: float) -> None:
                engine.enqueue(NOOP, {"sent": sent})

            return asyncio.run(_measure_pickups(enqueue, record, samples, worker))
    finally:
        engine.close()
        db.dispose()


def procrastinate_pickup(url: str, folder: Path, samples: int, concurrency: int) -> list[float]:
    record = folder / "procrastinate-pickups.txt"
    env = {**os.environ, RECORD_VAR: str(record)}

    async def main() -> list[float]:
        app, noop = procrastinate_app(libpq(url), concurrency)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            with worker_process(
                PROCRASTINATE_WORKER, [str(concurrency), libpq(url)], env, folder / "procrastinate-worker.log"
            ) as worker:

                async def enqueue(sent: float) -> None:
                    await noop.defer_async(sent=sent)

                return await _measure_pickups(enqueue, record, samples, worker)

    return asyncio.run(main())


# --- report ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4, help="worker slots, the same for both (default 4)")
    parser.add_argument("--samples", type=int, default=100, help="pickups measured per library (default 100)")
    parser.add_argument("--repeat", type=int, default=1, help="throughput runs per library, best kept (default 1)")
    parser.add_argument("--single", type=int, default=300, help="single enqueue calls timed per library (default 300)")
    parser.add_argument("--profile", action="store_true", help="profile the engine's run phase")
    args = parser.parse_args()
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        sys.exit("procrastinate is not installed: pip install -e '.[bench]'")
    n, c = args.jobs, args.concurrency
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    # "App is instantiated in the main Python module": only matters to its CLI's task discovery
    logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)
    with postgres_server() as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ss: list[tuple[float, float]] = []
        pr: list[tuple[float, float]] = []
        for _ in range(args.repeat):  # interleaved, so a busy moment of the machine hits both
            with fresh_database(server, "ss") as url:
                ss.append(engine_throughput(url, n, c, args.profile and not ss))
            with fresh_database(server, "proc") as url:
                pr.append(procrastinate_throughput(url, n, c))
        with fresh_database(server, "ss_single") as url:
            ss_single = engine_single(url, args.single)
        with fresh_database(server, "proc_single") as url:
            pr_single = procrastinate_single(url, args.single)
        with fresh_database(server, "ss_pickup") as url:
            ss_pick = engine_pickup(url, folder, args.samples, c)
        with fresh_database(server, "proc_pickup") as url:
            pr_pick = procrastinate_pickup(url, folder, args.samples, c)
        with psycopg_version(server) as version:
            server_version = version

    ss_best = min(ss, key=sum)
    pr_best = min(pr, key=sum)
    rows = [
        ("enqueue N jobs in one call (s)", f"{ss_best[0]:.2f}", f"{pr_best[0]:.2f}"),
        ("enqueue one job per call (ms per job)", f"{ss_single * 1000:.2f}", f"{pr_single * 1000:.2f}"),
        ("run N jobs (s)", f"{ss_best[1]:.2f}", f"{pr_best[1]:.2f}"),
        ("total (s)", f"{sum(ss_best):.2f}", f"{sum(pr_best):.2f}"),
        ("throughput, enqueue + run (jobs/s)", f"{n / sum(ss_best):,.0f}", f"{n / sum(pr_best):,.0f}"),
        ("run only (jobs/s)", f"{n / ss_best[1]:,.0f}", f"{n / pr_best[1]:,.0f}"),
    ]
    for label, q in (("p50", 0.5), ("p95", 0.95)):
        rows.append((f"pickup {label} (ms)", f"{pct(ss_pick, q) * 1000:.1f}", f"{pct(pr_pick, q) * 1000:.1f}"))
    rows.append(("pickup max (ms)", f"{max(ss_pick) * 1000:.1f}", f"{max(pr_pick) * 1000:.1f}"))
    import procrastinate as proc_module

    print(
        f"\nPostgreSQL {server_version}, {n:,} no-op jobs, {c} worker slots each, "
        f"{args.samples} pickups each (after {WARMUP} warm-up), best of {args.repeat}; "
        f"procrastinate {getattr(proc_module, '__version__', '?')}; "
        f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n"
    )
    print("| | Style Studio | procrastinate |")
    print("|---|---:|---:|")
    for label, a, b in rows:
        print(f"| {label.replace('N', f'{n:,}', 1) if 'N jobs' in label else label} | {a} | {b} |")
    ratio = pr_best[0] + pr_best[1]
    ss_p95, pr_p95 = pct(ss_pick, 0.95), pct(pr_pick, 0.95)
    print(
        f"\nThroughput: Style Studio {ratio / sum(ss_best):.2f}x procrastinate's "
        f"(goal >= 1: {'met' if sum(ss_best) <= ratio else 'MISSED'}); "
        f"bulk enqueue {ss_best[0] / pr_best[0]:.2f}x procrastinate's time "
        f"(goal <= 1: {'met' if ss_best[0] <= pr_best[0] else 'MISSED'}); "
        f"pickup p95 {ss_p95 * 1000:.1f} ms, {ss_p95 / pr_p95:.2f}x procrastinate's "
        f"(goal <= 1: {'met' if ss_p95 <= pr_p95 else 'MISSED'})."
    )
    print(f"Median of all pickups: Style Studio {statistics.median(ss_pick) * 1000:.1f} ms, procrastinate {statistics.median(pr_pick) * 1000:.1f} ms.")


@contextlib.contextmanager
def psycopg_version(server_url: str) -> Iterator[str]:
    import psycopg

    with psycopg.connect(libpq(server_url)) as conn:
        yield str(conn.execute("SHOW server_version").fetchone()[0])


if __name__ == "__main__":
    main()
