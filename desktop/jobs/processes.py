"""A process pool for CPU work (decoding, grading, encoding photos), so it never shares the
window's interpreter lock: the job handler only coordinates.

One pool per process, made on first use and shared by every job: ``spawn`` start method (the
same on every OS, and safe with the threads this app runs), one worker per core this process
may use. Inside a PyInstaller bundle the entry point calls ``multiprocessing.freeze_support()``
first (``packaging/stylestudio_entry.py``), which is what lets a frozen executable be a worker.

Workers ignore Ctrl+C (the coordinator decides what stops), run at a lower priority, so a
batch never makes the window stutter, and end themselves within a fraction of a second when
their parent process is gone (a killed worker leaves no orphans writing files). A worker that dies (killed, out of memory) breaks the
pool: ``run`` raises ``WorkerDied`` and the next call gets a fresh pool.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

WORKER_NICENESS = 5
PARENT_POLL = 0.25  # seconds between a worker's looks at whether its parent is still there
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


class WorkerDied(Exception):
    """A worker process ended in the middle of a task (killed, or out of memory)."""


def worker_count() -> int:
    """Cores this process may use (its CPU affinity where the OS has one); at least 1.
    ``STYLESTUDIO_WORKER_PROCESSES`` overrides it (benchmarks, tests)."""
    wanted = os.environ.get("STYLESTUDIO_WORKER_PROCESSES", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _watch_parent(parent: int) -> None:
    """End this worker soon after the process that started it is gone (killed, crashed): its
    queue would never tell it, and an orphan must not go on writing files."""
    import time

    while True:
        time.sleep(PARENT_POLL)
        if os.getppid() != parent:
            os._exit(0)


def _init_worker() -> None:
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # Windows has no nice()
        pass


def make_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A new pool of its own (the shared one is ``get_pool``)."""
    return ProcessPoolExecutor(
        max_workers=workers or worker_count(),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
    )


def get_pool() -> ProcessPoolExecutor:
    """This process's shared pool, made on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = make_pool()
            log.info("Started a pool of %d worker process(es) for photo work", _pool._max_workers)
        return _pool


def discard_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool (the next ``get_pool`` makes a new one) and stop its workers."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown(wait: bool = True) -> None:
    """Stop the shared pool's workers (at exit; tests)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def worker_pids() -> list[int]:
    """The shared pool's worker processes now (for tests and diagnostics)."""
    with _lock:
        pool = _pool
    procs = getattr(pool, "_processes", None) or {}
    return [p.pid for p in list(procs.values()) if p.pid is not None]


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a worker process and await its result. ``fn`` and its
    arguments must be picklable (a module-level function). Raises ``WorkerDied`` when the
    worker ended during the task; the pool is replaced for the next call."""
    pool = get_pool()
    try:
        future = pool.submit(functools.partial(fn, *args, **kwargs))
    except BrokenProcessPool:
        discard_pool(pool)
        pool = get_pool()
        future = pool.submit(functools.partial(fn, *args, **kwargs))
    try:
        return await asyncio.wrap_future(future)
    except BrokenProcessPool as exc:
        discard_pool(pool)
        raise WorkerDied(str(exc)) from exc


def submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[ProcessPoolExecutor, Any]:
    """Start ``fn`` in a worker process; returns (pool, concurrent future). For coordinators
    that keep several tasks in flight and must know which pool a failure broke."""
    pool = get_pool()
    try:
        return pool, pool.submit(functools.partial(fn, *args, **kwargs))
    except BrokenProcessPool:
        discard_pool(pool)
        pool = get_pool()
        return pool, pool.submit(functools.partial(fn, *args, **kwargs))


atexit.register(shutdown, False)
