"""``stylestudio worker``: run queued jobs headless until stopped (or, with --exit-when-idle,
until the queue is empty), then say how many it ran.

Every line goes through a ``QueuedWriter``: the pool's event loop reports endings and must
never wait for a terminal (its lease heartbeat runs on the same loop).

When the library's database server goes away and comes back, the worker says so on its error
output ("Reconnecting to the library…", then "Connected to the library again") and carries on.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from collections import Counter
from typing import Any

from desktop.cli.common import EXIT_OK, open_library
from desktop.cli.output import QueuedWriter
from desktop.cli.signals import on_stop_signals, stop_signals_interrupt
from desktop.jobs.events import EventKind
from desktop.jobs.model import FINISHED, RUNNING, JobStatus
from desktop.text import printable

ORDER = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class EndingReporter:
    """Prints one line per job this worker ran to its end, and counts them by status."""

    def __init__(self, owner: str, out: QueuedWriter) -> None:
        self.owner = owner
        self.out = out
        self.counts: Counter[str] = Counter()
        self._mine: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:  # called by the change hub, often on the pool's loop
        row = event.row
        if row is None or event.kind != EventKind.STATUS:
            return
        with self._lock:
            if row.status == RUNNING and row.owner == self.owner:
                self._mine.add(row.id)
                return
            if row.status not in FINISHED or row.id not in self._mine:
                return  # not ours (e.g. a dead peer's job that our heartbeat recovered)
            self._mine.discard(row.id)
            self.counts[row.status] += 1
        tail = f": {row.error}" if row.error else ""  # an error may quote a file name: escaped below
        self.out.line(printable(f"job {row.id} {row.type} {row.status}{tail}"))

    def summary(self) -> str:
        with self._lock:
            counts = dict(self.counts)
        total = sum(counts.values())
        if total == 0:
            return "Ran no job: the queue was empty or another process took them."
        parts = [f"{counts[s]} {s}" for s in ORDER if counts.get(s)]
        return f"Ran {total} job{'s' if total != 1 else ''}: {', '.join(parts)}."


def library_state_printer(err: QueuedWriter) -> Any:
    """A hub subscriber printing the library's connection state as it changes."""

    def on_event(event: Any) -> None:
        if event.kind == EventKind.LIBRARY_STATE and event.message:
            err.line(event.message)

    return on_event


def cmd_worker(args: argparse.Namespace) -> int:
    rt = open_library(args)
    out = QueuedWriter(sys.stdout, name="stdout")
    err = QueuedWriter(sys.stderr, name="stderr")
    try:
        max_parallel = args.max_parallel or rt.settings.max_parallel
        pool = rt.engine.pool(max_parallel=max_parallel, stop_message="Canceled because the worker stopped")
        reporter = EndingReporter(rt.engine.owner, out)
        unsubscribe_reporter = rt.engine.watch(reporter)
        unsubscribe_state = rt.engine.watch(library_state_printer(err))

        def unsubscribe() -> None:
            unsubscribe_reporter()
            unsubscribe_state()

        err.line(f"Worker running up to {max_parallel} job(s) at once in {rt.paths.home}. Press Ctrl+C to stop.")
        stopped_by_signal = False

        def stop() -> None:
            nonlocal stopped_by_signal
            if not stopped_by_signal:
                err.line("Stopping: no new jobs; running ones get a moment to finish.")
            stopped_by_signal = True
            pool.request_stop()

        async def main() -> None:
            on_stop_signals(asyncio.get_running_loop(), stop)
            await pool.run(exit_when_idle=args.exit_when_idle, grace=args.grace)

        try:
            asyncio.run(main())
        finally:
            stop_signals_interrupt()  # the loop's handlers are gone: back to Ctrl+C behaviour
            unsubscribe()
        lost = out.close()
        if stopped_by_signal:
            err.line("Worker stopped.")
        err.line(reporter.summary())
        if lost:
            err.line(f"{lost:,} line(s) of output were dropped because nothing was reading them.")
        return EXIT_OK
    finally:
        out.close(patience=0.5)
        err.close()
        rt.close()
