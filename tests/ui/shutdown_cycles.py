"""Open and close the window many times while its threads read and write the library.

Run in a fresh process (a crash in a database driver kills the process, so only a fresh one
shows it as an exit code): ``python -m tests.ui.shutdown_cycles HOME CYCLES``. Each cycle
starts the window with ``desktop.app.start`` on a qasync loop, makes jobs run (a long one that
is still running when the window closes, quick ones that succeed and fail), keeps the jobs list,
the gallery and its thumbnails re-reading and the window enqueuing, and closes the window with
``desktop.app.stop`` at a moment when blocking calls are in flight. After each close no call
may still be running, no job row may be ``running``, and the long job is back in the queue
(closing hands work back; it is then canceled so the next cycle starts clean). Prints ``ok N``
and exits 0.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WAIT = 60.0  # seconds: a generous bound for any condition here, for a loaded machine


async def until(predicate, what: str) -> None:
    """Poll a condition on the loop (other tasks run meanwhile)."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def churn(window, engine) -> None:
    """Reads and writes from the window's side, as fast as the loop turns."""
    from desktop.ui import async_utils
    from desktop.ui.async_utils import run_blocking, spawn

    model = window.styles_model
    n = enqueued = 0
    while True:
        n += 1
        window.jobs_model.reload()
        model.refresh()
        model.check_for_changes()
        for style in model.items():  # thumbnails decoded again
            if style.thumbnail is not None:
                model.thumbnails.forget(str(style.thumbnail))
                model.thumbnails.get(str(style.thumbnail))
        if async_utils.in_flight() < 6:  # a read like a progress dialog's, several at once
            spawn(run_blocking(engine.list, include_finished=True, limit=50))
        if n % 3 == 0 and enqueued < 10:  # a write from the window's threads, like the dialog's
            enqueued += 1
            spawn(run_blocking(engine.enqueue, "diagnostics.sleep", {"seconds": 0.02, "steps": 2}))
        await asyncio.sleep(0)


def rows_running(db_file: str) -> list[int]:
    conn = sqlite3.connect(db_file, timeout=30)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM jobs WHERE status = 'running'")]
    finally:
        conn.close()


async def cycle(home: str, index: int) -> None:
    from desktop import app as desktop_app
    from desktop.ui import async_utils

    window = await desktop_app.start(home)
    engine = window.runtime.engine
    db_file = str(window.runtime.paths.home / "library.sqlite3")
    # every other cycle a long job is still running at the close (the pool's stop then takes
    # its grace); in the others only short jobs run, and the close is quick
    seconds = 60 if index % 2 else 0.6
    watched = engine.enqueue("diagnostics.sleep", {"seconds": seconds, "steps": 600 if index % 2 else 6})
    for k in range(3):
        engine.enqueue("diagnostics.sleep", {"seconds": 0.05 * k, "steps": 2})
    engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1, "fail_at_step": 1})
    window.following.follow_job(watched)  # a progress dialog re-reads its row too
    churner = asyncio.ensure_future(churn(window, engine))
    try:
        # started (a 0.6 s job may have ended already when a busy loop looks: "running" alone
        # could be missed; the 60 s one is running)
        await until(lambda: (r := window.jobs_model.find(watched)) is not None and r.status != "queued", "a job to start")
        await until(lambda: async_utils.in_flight() >= 1, "a blocking call in flight")
        for _ in range(index % 4):  # close at slightly different moments from cycle to cycle
            await asyncio.sleep(0)
        # the churn goes on during the close: refreshes asked for then must not reach the library
        await desktop_app.stop(window)
    finally:
        churner.cancel()
    if async_utils.in_flight():
        raise SystemExit(f"cycle {index}: {async_utils.in_flight()} blocking calls still running after stop()")
    running = rows_running(db_file)
    if running:
        raise SystemExit(f"cycle {index}: jobs {running} left running after stop()")
    clear_the_queue(home, watched if index % 2 else None)


def clear_the_queue(home: str, long_job: int | None) -> None:
    """Closing hands the jobs the window ran back to the queue (it never cancels them): check
    that the long job went back, then cancel what is left, so the next cycle's window starts
    with an empty queue (else the handed-back 60 s jobs would fill its slots)."""
    from desktop.runtime import open_runtime

    rt = open_runtime(home, watch_external=False)
    try:
        if long_job is not None:
            row = rt.engine.require(long_job)
            if row.status != "queued":
                raise SystemExit(f"the long job {long_job} was {row.status} after the close, not handed back to the queue")
        for row in rt.engine.list():
            if row.is_active:
                rt.engine.cancel(row.id)
    finally:
        rt.close()


def main() -> int:
    import qasync

    from desktop.runtime import open_runtime
    from desktop.ui.application import ensure_application
    from tests.ui.sample_library import add_styles

    home, cycles = sys.argv[1], int(sys.argv[2])
    open_runtime(home, watch_external=False).close()
    add_styles(home, 8, previews=2)
    ensure_application()

    async def run() -> None:
        for i in range(cycles):
            await cycle(home, i)

    qasync.run(run())
    print(f"ok {cycles}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
