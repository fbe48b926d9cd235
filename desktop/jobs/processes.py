"""A process pool for CPU work (decoding, grading, encoding photos), so it never shares the
window's interpreter lock: the job handler only coordinates.

One pool per process, made on first use and shared by every job: ``spawn`` start method (the
same on every OS, and safe with the threads this app runs), one worker per core this process
may use. Inside a PyInstaller bundle the entry point calls ``multiprocessing.freeze_support()``
first (``packaging/stylestudio_entry.py``), which is what lets a frozen executable be a worker.

Workers ignore Ctrl+C (the coordinator decides what stops), run at a lower priority (nice
``WORKER_NICENESS``), and end themselves within a fraction of a second when
their parent process is gone (a killed worker leaves no orphans writing files). A worker that
dies (killed, out of memory) breaks the pool: ``run`` raises ``WorkerDied`` and the next call
gets a fresh pool.

**Next to a window** (``set_background(True)``, called when a window opens) the workers run at
nice ``BACKGROUND_NICENESS`` (10): the window's GUI thread, at nice 0, weighs about nine times
a worker, so when it wakes for a paint or a timer the scheduler gives it a core promptly. Not
``SCHED_IDLE``: under that policy a batch got no CPU at all while any other program on the
machine was busy (a build, a browser tab), and the window's own jobs stalled; at nice 10 they
slow down but go on. The command line and the headless worker keep nice 5.

``warm`` starts the workers ahead of the first task (the window does, shortly after it
opens), so no job waits for Python processes to start.

**Bounded tasks.** ``submit_watched`` starts a task that tells its coordinator, the moment a
worker takes it, which worker that is (a queue handed to every worker when it starts); so the
coordinator can time the task from its real start (``started``) and end a task that takes too
long (``kill_task``: that worker is killed, which breaks the pool: every other task in flight
in it fails with ``BrokenProcessPool`` too, and ``killed_on_purpose`` tells the coordinator
that those tasks did nothing wrong and may simply run again).

Who uses it: ``style.apply`` (each photo: decode, grade, encode) and ``style.generate`` (the
reference's analysis, the LUT, each preview and thumbnail, the .cube file). Tasks take and
return small picklable values (paths, dicts), never images.
"""

from __future__ import annotations

import atexit
import functools
import logging
import multiprocessing
import os
import secrets
import signal
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

WORKER_NICENESS = 5
BACKGROUND_NICENESS = 10  # next to a window
PARENT_POLL = 0.25  # seconds between a worker's looks at whether its parent is still there
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_background = False
_switched: weakref.WeakSet[Any] = weakref.WeakSet()  # workers put in the background from here
# bounded tasks: each pool's queue of (token, worker pid) sent by a worker taking a watched task
_announcements: weakref.WeakKeyDictionary[ProcessPoolExecutor, Any] = weakref.WeakKeyDictionary()
_killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()  # pools broken by kill_task
_watch_lock = threading.Lock()
_watched: dict[str, tuple[int, float] | None] = {}  # token -> (worker pid, monotonic start) once seen
_announce: Any = None  # in a worker: where it says which watched task it takes


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


def _make_background(pid: int = 0) -> bool:
    """Lower process ``pid`` (0: this one) to nice ``BACKGROUND_NICENESS``; False where the OS
    has no such thing (Windows) or the process is gone."""
    if not hasattr(os, "setpriority"):
        return False
    try:
        if os.getpriority(os.PRIO_PROCESS, pid) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, pid, BACKGROUND_NICENESS)
    except OSError:  # gone already, or not allowed
        return False
    return True


def init_worker(background: bool = False, parent: int | None = None, announce: Any = None) -> None:
    # the parent's pid comes from the parent itself: read here, it would already be 1 (init)
    # when the parent died while this worker was still starting, and the watch never fire
    global _announce
    _announce = announce
    parent = parent or os.getppid()
    if os.getppid() != parent:
        os._exit(0)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # Windows has no nice()
        pass
    if background:
        _make_background()


def set_background(on: bool = True) -> None:
    """Workers started from now on (and, when turning it on, those running now) yield the CPU
    to the window's threads (nice ``BACKGROUND_NICENESS``): for a process with a window. Turning
    it off affects new workers only (an ordinary user may not raise a process's priority
    again)."""
    global _background
    _background = on
    with _lock:
        pool = _pool
    if on and pool is not None:
        _apply_background(pool)


def _apply_background(pool: ProcessPoolExecutor) -> None:
    """Workers a pool started before ``set_background`` (it starts them as tasks arrive)."""
    if not _background:
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.pid is not None and proc not in _switched and _make_background(proc.pid):
            _switched.add(proc)


def is_background(pid: int) -> bool:
    """Whether worker ``pid`` runs as background work (nice ``BACKGROUND_NICENESS`` or lower)."""
    return hasattr(os, "getpriority") and os.getpriority(os.PRIO_PROCESS, pid) >= BACKGROUND_NICENESS


def make_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A new pool of its own (the shared one is ``get_pool``)."""
    context = multiprocessing.get_context("spawn")
    announce = context.SimpleQueue()
    pool = ProcessPoolExecutor(
        max_workers=workers or worker_count(),
        mp_context=context,
        initializer=init_worker,
        initargs=(_background, os.getpid(), announce),
    )
    _announcements[pool] = announce
    return pool


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


def stop_now() -> None:
    """End the shared pool's workers at once, without waiting for them to wind down: for a
    command whose work is over (its job has ended, so whatever a worker may still be doing is
    dropped and its work folder removed). An idle worker's own shut-down (its interpreter
    tearing down numpy and the imaging modules) would otherwise keep the command from exiting
    for a fifth of a second."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        try:
            proc.kill()
        except (OSError, ValueError, AttributeError):  # gone already
            pass


def _import_modules(names: tuple[str, ...]) -> int:
    """Worker: import ``names`` (what the coming tasks need); returns this worker's pid."""
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the task that needs it will say what is wrong
            log.debug("Could not import %s ahead of time", name, exc_info=True)
    return os.getpid()


def warm(modules: tuple[str, ...] = (), workers: int | None = None) -> list[Any]:
    """Start the shared pool's workers now (all of them, or ``workers``: as many as the coming
    work can use), each importing ``modules``, so the first real task does not wait for a
    Python process to start (about half a second). Returns the concurrent futures (each gives
    a worker's pid)."""
    pool = get_pool()
    count = pool._max_workers if workers is None else max(1, min(workers, pool._max_workers))
    futures = [pool.submit(_import_modules, tuple(modules)) for _ in range(count)]
    _apply_background(pool)
    return futures


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
    import asyncio  # here, not at the top: a worker process imports this module and needs no loop

    pool, future = submit(fn, *args, **kwargs)
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
        future = pool.submit(functools.partial(fn, *args, **kwargs))
    except BrokenProcessPool:
        discard_pool(pool)
        pool = get_pool()
        future = pool.submit(functools.partial(fn, *args, **kwargs))
    _apply_background(pool)
    return pool, future


# --- bounded tasks ----------------------------------------------------------------------------


def _announced(token: str, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Worker: say which worker takes the task ``token``, then run it."""
    if _announce is not None:
        try:
            _announce.put((token, os.getpid()))
        except Exception:  # noqa: BLE001 - the task runs all the same, only untimed
            log.debug("Could not announce a task", exc_info=True)
    return fn(*args, **kwargs)


def submit_watched(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[ProcessPoolExecutor, Any, str]:
    """Like ``submit``, for a task its coordinator times: returns (pool, concurrent future,
    token); ``started(pool, token)`` says when a worker took it. Call ``forget(token)`` once
    the task is over."""
    token = secrets.token_hex(8)
    with _watch_lock:
        _watched[token] = None
    pool, future = submit(_announced, token, fn, args, kwargs)
    return pool, future, token


def _drain(pool: ProcessPoolExecutor) -> None:
    queue = _announcements.get(pool)
    if queue is None:
        return
    with _watch_lock:
        try:
            while not queue.empty():
                token, pid = queue.get()
                if token in _watched and _watched[token] is None:
                    _watched[token] = (int(pid), time.monotonic())
        except (OSError, EOFError, ValueError):  # the pool is gone
            pass


def started(pool: ProcessPoolExecutor, token: str) -> tuple[int, float] | None:
    """(worker pid, ``time.monotonic()`` when this process learned it began) of a watched
    task a worker has taken; None while it waits for a free worker."""
    _drain(pool)
    with _watch_lock:
        return _watched.get(token)


def forget(token: str) -> None:
    with _watch_lock:
        _watched.pop(token, None)


def kill_task(pool: ProcessPoolExecutor, token: str) -> bool:
    """Kill the worker running the watched task ``token`` (a task that took too long); the
    pool breaks, and ``killed_on_purpose(pool)`` is True from now on. False when no worker
    has taken the task (yet)."""
    began = started(pool, token)
    if began is None:
        return False
    _killed.add(pool)
    try:
        os.kill(began[0], getattr(signal, "SIGKILL", signal.SIGTERM))
    except (ProcessLookupError, PermissionError):
        pass
    log.warning("Stopped worker process %d: its task took too long", began[0])
    return True


def killed_on_purpose(pool: ProcessPoolExecutor | None) -> bool:
    """Whether ``pool`` broke because ``kill_task`` killed one of its workers (the other
    tasks that failed with it did nothing wrong)."""
    return pool is not None and pool in _killed


atexit.register(shutdown, False)
