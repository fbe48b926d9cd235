"""Quitting during a batch (not a test): run with

    python benchmarks/bench_quit.py [--item-seconds 3] [--items 8]

A ``diagnostics.items`` batch whose items each take ``--item-seconds`` (a slow photo) runs in a
work pool of this process, on a temporary SQLite library. Once an item is in flight, the pool
is stopped the way a closing window stopped it before issue 21 (``request_stop()``: wait the
grace, then cancel) and the way it does now (``request_stop(hand_back=True)``). Reported per
way: how long until the job's row left ``running`` (what other workers and the next start
see), how long until the pool had stopped, and how the row ended; then the ratio.

Then the real window (``desktop.app.start`` offscreen) runs the same batch and is closed with
``desktop.app.stop``: reported is how long until the window was hidden and until ``stop``
returned (the library closed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
os.environ.pop("STYLESTUDIO_DATABASE_URL", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.jobs.items import ItemStore  # noqa: E402
from desktop.jobs.pool_thread import PoolThread  # noqa: E402
from desktop.pipelines.diagnostics.request import ITEMS_TYPE  # noqa: E402
from desktop.runtime import open_runtime  # noqa: E402


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the batch")
        time.sleep(0.01)


def _batch(rt, items: int, seconds: float) -> int:
    return rt.engine.enqueue_batch(ITEMS_TYPE, {"seconds": seconds, "parallel": 2}, [f"photo {i}" for i in range(items)])


def pool_stop(home: Path, hand_back: bool, items: int, seconds: float) -> tuple[float, float, str]:
    rt = open_runtime(home)
    try:
        job = _batch(rt, items, seconds)
        pool = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)  # the window's grace
        pool.start()
        store = ItemStore(rt.db)
        _wait(lambda: rt.engine.get(job).status == "running" and store.held_positions(job))
        left: list[float] = []
        t0 = time.perf_counter()

        def watch() -> None:
            while rt.engine.get(job).status == "running":
                time.sleep(0.005)
            left.append(time.perf_counter() - t0)

        watcher = threading.Thread(target=watch)
        watcher.start()
        pool.stop(30, hand_back=hand_back)
        stopped = time.perf_counter() - t0
        watcher.join(30)
        row = rt.engine.get(job)
        return left[0], stopped, f"{row.status}: {row.message}"
    finally:
        rt.close()


def window_stop(home: Path, items: int, seconds: float) -> tuple[float, float, str]:
    import qasync

    from desktop import app as desktop_app
    from desktop.ui.application import ensure_application

    ensure_application()
    result: dict[str, float] = {}

    async def run() -> str:
        window = await desktop_app.start(home)
        engine = window.runtime.engine
        job = await asyncio.to_thread(_batch, window.runtime, items, seconds)
        store = ItemStore(window.runtime.db)
        while not (engine.get(job).status == "running" and store.held_positions(job)):
            await asyncio.sleep(0.01)
        t0 = time.perf_counter()
        stopping = asyncio.ensure_future(desktop_app.stop(window))
        while window.isVisible():
            await asyncio.sleep(0)
        result["hidden"] = time.perf_counter() - t0
        await stopping
        result["stopped"] = time.perf_counter() - t0
        rt = open_runtime(home, watch_external=False)
        try:
            row = rt.engine.get(job)
            return f"{row.status}: {row.message}"
        finally:
            rt.close()

    outcome = qasync.run(run())
    return result["hidden"], result["stopped"], outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--item-seconds", type=float, default=3.0)
    parser.add_argument("--items", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = {}
        for name, hand_back in (("cancel (before)", False), ("hand back (now)", True)):
            home = Path(tmp) / name.split()[0].replace(" ", "-")
            left, stopped, outcome = pool_stop(home, hand_back, args.items, args.item_seconds)
            figures[name] = left
            print(f"{name:17} row left 'running' after {left * 1000:7.0f} ms; pool stopped after {stopped * 1000:7.0f} ms; {outcome}")
        ratio = figures["cancel (before)"] / max(1e-6, figures["hand back (now)"])
        print(f"the row is free for other workers {ratio:.0f}x sooner when handed back")
        hidden, stopped, outcome = window_stop(Path(tmp) / "window", args.items, args.item_seconds)
        print(f"window: hidden after {hidden * 1000:.0f} ms; stop() returned after {stopped * 1000:.0f} ms; {outcome}")


if __name__ == "__main__":
    main()
