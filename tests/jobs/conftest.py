"""Fixtures the engine's tests share: a library opened on each database, a work pool on a
thread of this process, and the log's text."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from desktop.jobs.pool_thread import PoolThread
from desktop.logs import flush_logs
from desktop.runtime import Runtime, open_runtime


@pytest.fixture
def rt(home, database_url) -> Iterator[Runtime]:
    """The library opened in this process, on SQLite and on PostgreSQL."""
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


@pytest.fixture
def pool_thread(rt) -> Iterator[Callable[..., PoolThread]]:
    """Starts a work pool of ``rt`` on a thread; each is stopped (and must stop) at the end."""
    threads: list[PoolThread] = []

    def start(max_parallel: int = 2) -> PoolThread:
        t = PoolThread(rt.engine.pool(max_parallel=max_parallel), grace=1.0)
        t.start()
        threads.append(t)
        return t

    yield start
    for t in threads:
        assert t.stop(20), "the pool did not stop in time"


@pytest.fixture
def log_text(home) -> Callable[[], str]:
    """Reads the whole log of the data folder (flushed first)."""

    def read() -> str:
        flush_logs()
        return "".join(p.read_text(errors="replace") for p in sorted((home / "logs").glob("stylestudio.log*")))

    return read
