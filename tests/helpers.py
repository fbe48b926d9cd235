"""Helpers for tests that run real processes and real engines."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from desktop.runtime import Runtime, open_runtime

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, home: Path | None = None, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `stylestudio ARGS` in a real process."""
    full_env = dict(os.environ)
    if home is not None:
        full_env["STYLESTUDIO_HOME"] = str(home)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=REPO,
    )


def spawn_cli(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = dict(os.environ, STYLESTUDIO_HOME=str(home))
    full_env.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=REPO,
    )


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def runtime(home: Path, **kwargs) -> Runtime:
    return open_runtime(home, **kwargs)


def run_pool(rt: Runtime, *, max_parallel: int = 2, timeout: float = 30) -> None:
    """Run the pool in this thread until no job is queued or running."""
    pool = rt.engine.pool(max_parallel=max_parallel)
    asyncio.run(asyncio.wait_for(pool.run(exit_when_idle=True), timeout))


def hold_the_end(monkeypatch, job_type: str, timeout: float = 60) -> threading.Event:
    """Jobs of ``job_type`` (run by a pool in this process) do their work, then stay running
    until the returned event is set (or ``timeout`` s): a test sees or acts on a running job
    whatever the machine's speed, instead of hoping to be quicker than the job."""
    from desktop.jobs import registry

    release = threading.Event()
    real = registry.get(job_type)
    assert real is not None, job_type

    async def held(ctx, payload):
        result = await real.handler(ctx, payload)
        await asyncio.to_thread(release.wait, timeout)
        return result

    monkeypatch.setitem(registry.types(), job_type, dataclasses.replace(real, handler=held))
    return release


def rows_in(home: Path, table: str) -> int:
    """How many rows ``table`` of the library in ``home`` holds (0 when there is no library)."""
    import sqlite3

    db = home / "library.sqlite3"
    if not db.exists():
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()
