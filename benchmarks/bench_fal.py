"""fal.ai client benchmark (not a test): run with

    python benchmarks/bench_fal.py

Times that used to be asserted in tests/generators/test_fal.py, measured against the fake fal
server on 127.0.0.1, with the happy path (submit, one poll, result, one image) as the baseline:

1. FalClient alone: the happy path; a server that never answers (timeout 0.3 s, one request);
   a 200 MB image stream aborted at a 1 MB cap; a submit answered 429 with Retry-After.
2. Through the job engine with its real backoff (STYLESTUDIO_RETRY_BASE_SECONDS=2 unless set):
   how long, and how many connections, before a job against a refused port, a server that
   answers 500, and a server that drops every connection gives up. Targets: 3 connections
   (one per attempt), well under a minute.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.errors import JobCanceled, UserError  # noqa: E402
from desktop.generators.fal import FalClient  # noqa: E402
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault  # noqa: E402
from tests.generators.test_fal_jobs import ClosingServer  # noqa: E402

KEY = "bench-key-1234:secret"


async def _no_wait(_: float) -> None:
    await asyncio.sleep(0)


def client_run(base_url: str, **kw) -> tuple[float, str]:
    async def main() -> None:
        async with FalClient(base_url, KEY, **kw) as client:
            await client.run(
                "fal-ai/flux/dev",
                {"prompt": "x"},
                on_message=lambda _: None,
                check_canceled=lambda: None,
                sleep=_no_wait,
            )

    start = time.perf_counter()
    outcome = "ok"
    try:
        asyncio.run(main())
    except (UserError, JobCanceled) as exc:
        outcome = type(exc).__name__
    return time.perf_counter() - start, outcome


def bench_client() -> None:
    rows = []
    with FakeFalServer(FalScript(key=KEY)) as fal:
        t, outcome = client_run(fal.base_url, timeout=5.0)
        rows.append(("happy path (baseline)", t, outcome, len(fal.requests)))
    script = FalScript(key=KEY, faults=[Fault("submit", hang=True, times=None)])
    with FakeFalServer(script) as fal:
        t, outcome = client_run(fal.base_url, timeout=0.3)
        rows.append(("never answers, timeout 0.3 s", t, outcome, len(fal.requests)))
    with FakeFalServer(FalScript(key=KEY, stream_image_bytes=200 * 1024 * 1024)) as fal:
        t, outcome = client_run(fal.base_url, timeout=5.0, max_image_bytes=1024 * 1024)
        rows.append(("200 MB stream, 1 MB cap", t, outcome, len(fal.requests)))
    script = FalScript(key=KEY, faults=[Fault("submit", 429, headers={"Retry-After": "0.2"})])
    with FakeFalServer(script) as fal:
        t, outcome = client_run(fal.base_url, timeout=5.0)
        rows.append(("429 Retry-After 0.2 (handed over)", t, outcome, len(fal.requests)))
    base = rows[0][1]
    print("\n1. FalClient against the fake fal server")
    print(f"   {'case':<36}{'time':>9}{'x baseline':>12}{'requests':>10}  outcome")
    for name, t, outcome, n in rows:
        print(f"   {name:<36}{t * 1000:>7.0f}ms{t / base:>11.1f}x{n:>10}  {outcome}")


def bench_engine() -> None:
    os.environ.setdefault("STYLESTUDIO_RETRY_BASE_SECONDS", "2")
    os.environ["FAL_KEY"] = KEY
    from desktop.pipelines.generate.request import enqueue_style
    from desktop.runtime import open_runtime

    def job(base_url: str) -> tuple[float, str, int]:
        with tempfile.TemporaryDirectory() as home:
            os.environ["STYLESTUDIO_HOME"] = home
            rt = open_runtime(Path(home))
            try:
                rt.settings.fal_queue_url = base_url
                job_id = enqueue_style(rt, "neon", backend="fal", previews=1, size=64)
                start = time.perf_counter()
                pool = rt.engine.pool(max_parallel=1)
                asyncio.run(pool.run(exit_when_idle=True))
                row = rt.engine.get(job_id)
                return time.perf_counter() - start, f"{row.status}: {row.error}", row.attempts
            finally:
                rt.close()

    rows = []
    with FakeFalServer(FalScript(key=KEY)) as fal:
        t, outcome, attempts = job(fal.base_url)
        rows.append(("happy path (baseline)", t, len(fal.requests), attempts, outcome))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t, outcome, attempts = job(f"http://127.0.0.1:{port}")
    rows.append(("connection refused", t, "-", attempts, outcome))
    with FakeFalServer(FalScript(key=KEY, faults=[Fault("any", 500, times=None)])) as fal:
        t, outcome, attempts = job(fal.base_url)
        rows.append(("500 on every request", t, len(fal.requests), attempts, outcome))
    with ClosingServer() as server:
        t, outcome, attempts = job(server.base_url)
        rows.append(("drops every connection", t, server.connections, attempts, outcome))
    base = rows[0][1]
    backoff = os.environ["STYLESTUDIO_RETRY_BASE_SECONDS"]
    print(f"\n2. A fal job through the engine (retry base {backoff} s, 3 attempts)")
    print(f"   {'case':<26}{'time':>9}{'x baseline':>12}{'conns':>7}{'attempts':>10}  outcome")
    for name, t, n, attempts, outcome in rows:
        print(f"   {name:<26}{t:>8.1f}s{t / base:>11.1f}x{n!s:>7}{attempts:>10}  {outcome[:70]}")


def main() -> None:
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_client()
    bench_engine()


if __name__ == "__main__":
    main()
