"""Run as a script (``python -m tests.jobs.close_hammer HOME ROUNDS``): open a library, hammer
its job store with reads and writes from several threads, and close it while they run, ROUNDS
times in a row. A store that closes a connection under a running statement crashes the
process (a segmentation fault); anything other than ``LibraryClosed`` reaching a caller is
printed and makes the exit code 1. The last line on stdout is "ok" when all went well.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import threading
import time

from desktop.errors import LibraryClosed
from desktop.jobs.model import Ending, JobStatus
from desktop.runtime import open_runtime

THREADS = 4


def hammer(rt, started: threading.Event, problems: list[str], refused: list[int]) -> None:
    engine, store = rt.engine, rt.engine.store
    n = 0
    try:
        while True:
            n += 1
            engine.list(limit=50)
            engine.get(1)
            job_id = engine.enqueue("diagnostics.sleep", {"seconds": 0})
            if n % 3 == 0:
                store.request_cancel(job_id)  # queued or running: whichever it is by now
            row = store.claim(engine.owner, 30)
            if row is not None:
                try:
                    store.finish(row, Ending(JobStatus.SUCCEEDED, "Done"))
                except LibraryClosed:
                    refused.append(row.id)  # left running; the next open recovers it
                    raise
            started.set()
    except LibraryClosed:
        return
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        problems.append(f"{type(exc).__name__}: {exc}")


def one_round(home: str) -> list[str]:
    rt = open_runtime(home)
    problems: list[str] = []
    refused: list[int] = []
    started = threading.Event()
    threads = [
        threading.Thread(target=hammer, args=(rt, started, problems, refused)) for _ in range(THREADS)
    ]
    for t in threads:
        t.start()
    started.wait(30)
    time.sleep(random.random() * 0.02)  # close at a different point each round
    rt.close()
    for t in threads:
        t.join(60)
        if t.is_alive():
            problems.append("a thread was still running a minute after close()")
    try:
        rt.engine.list()
        problems.append("the closed library still answered")
    except LibraryClosed:
        pass
    conn = sqlite3.connect(rt.paths.db_file)
    running = {r[0] for r in conn.execute("SELECT id FROM jobs WHERE status = 'running'")}
    conn.close()
    if not running <= set(refused):
        problems.append(f"rows {sorted(running - set(refused))} were left running without a refused finish")
    return problems


def main() -> int:
    home, rounds = sys.argv[1], int(sys.argv[2])
    for i in range(rounds):
        problems = one_round(home)
        if problems:
            print(f"round {i}: " + "; ".join(sorted(set(problems))))
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
