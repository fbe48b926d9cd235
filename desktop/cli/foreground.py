"""Running one job here, in this process, and following it: the commands that do their work
in the foreground (``generate``, ``apply``, ``styles strength``, ``import``/``export``) queue a
job, then ``run_here`` runs it with a progress line on stderr. The row is visible to every
other process meanwhile; Ctrl+C, SIGTERM and SIGHUP cancel it."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from desktop.cli.output import QueuedWriter
from desktop.cli.signals import on_stop_signals, stop_signals_interrupt
from desktop.errors import UserError
from desktop.jobs.model import JobStatus
from desktop.text import printable


class ProgressLine:
    """A one-line terminal progress bar: message, percent, elapsed. It is drawn from the pool's
    event loop, so it goes through a QueuedWriter: a stalled terminal never stalls the job."""

    def __init__(self, out: QueuedWriter) -> None:
        self.out = out
        self.start = time.monotonic()
        self.tty = out.stream.isatty()
        self.last_text = ""

    def show(self, progress: float | None, message: str) -> None:
        elapsed = int(time.monotonic() - self.start)
        clock = f"{elapsed // 60}:{elapsed % 60:02d}"
        if progress is None:
            bar, pct = "[" + "." * 20 + "]", "  ?%"
        else:
            filled = int(round(progress * 20))
            bar, pct = "[" + "#" * filled + "." * (20 - filled) + "]", f"{progress * 100:3.0f}%"
        text = f"{bar} {pct}  {printable(message or '')}  {clock}"  # a message may quote a file name
        if self.tty:
            self.out.write("\r\x1b[2K" + text)
        elif message != self.last_text:
            self.out.line(text)
        self.last_text = message

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")



def cancel_quietly(engine: Any, job_id: int) -> None:
    """Ask for ``job_id`` to be canceled; nothing when it has ended already."""
    try:
        engine.cancel(job_id)
    except UserError:
        pass  # it has ended already


def run_here(rt: Any, job_id: int) -> Any:
    """Run one job in this process with a progress line; the row is visible to every other
    process meanwhile. Ctrl+C, SIGTERM and SIGHUP cancel it (a second one stops at once)."""
    err = QueuedWriter(sys.stderr, name="progress")
    bar = ProgressLine(err)
    state: dict[str, Any] = {"row": None, "stops": 0}

    def on_change(event: Any) -> None:
        if event.job_id == job_id and event.row is not None:
            state["row"] = event.row

    unsubscribe = rt.engine.watch(on_change)
    if state["row"] is None:  # shown until the row changes: "Paused" while its type is paused
        state["row"] = rt.engine.get(job_id)
    pool = rt.engine.pool(max_parallel=1, only_job=job_id, stop_message="Canceled")

    def stop() -> None:
        state["stops"] += 1
        if state["stops"] == 1:
            cancel_quietly(rt.engine, job_id)  # the pool delivers it; the handler stops at once
        else:
            pool.request_stop()

    async def main() -> None:
        on_stop_signals(asyncio.get_running_loop(), stop)
        runner = asyncio.create_task(pool.run(grace=2.0))
        while not runner.done():
            row = state["row"]
            if row is not None:
                bar.show(row.progress, row.message)
            await asyncio.wait([runner], timeout=0.1)
        await runner

    try:
        try:
            asyncio.run(main())
        finally:
            stop_signals_interrupt()  # the loop's handlers are gone: back to Ctrl+C behaviour
            unsubscribe()
        row = rt.engine.wait_for_job(job_id)  # another process may have taken it first
        if row.status == JobStatus.SUCCEEDED:
            bar.show(1.0, "Done")
        bar.done()
    finally:
        err.close()
    return row
