"""``stylestudio generate``: make a style here (with a progress line) or queue it (--enqueue)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    open_library,
    print_json,
    print_queued,
)
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


def check_fal_key(args: argparse.Namespace) -> None:
    """The fal generator needs a key: refuse before the library is opened or created."""
    from desktop.config import Settings, fal_key, resolve_paths

    backend = args.backend or Settings.load(resolve_paths(args.home)).generator
    if backend == "fal" and not fal_key():
        raise CliError(
            "No fal key is set; add it in Settings or set the FAL_KEY environment variable, "
            "or use '--backend local'."
        )


def cmd_generate(args: argparse.Namespace) -> int:
    if args.previews is not None and not 1 <= args.previews <= 8:
        raise CliError("--previews must be from 1 to 8.")
    if args.size is not None and not 64 <= args.size <= 4096:
        raise CliError("--size must be from 64 to 4096 pixels.")
    if not args.description.strip():
        raise CliError("The description is empty; describe the style in a few words, like 'warm film grain'.")
    check_fal_key(args)
    if args.reference is not None:
        from desktop.imaging.intake import load_image

        load_image(args.reference, draft_size=(1024, 1024))  # refuse a bad reference before anything is written
    from desktop.pipelines.generate.request import enqueue_style

    rt = open_library(args)
    try:
        job_id = enqueue_style(
            rt,
            args.description,
            reference=Path(args.reference) if args.reference else None,
            name=args.name,
            backend=args.backend,
            previews=args.previews,
            size=args.size,
            seed=args.seed,
        )
        if args.enqueue:
            print_queued(rt, job_id, args.json)
            return EXIT_OK
        try:
            row = run_here(rt, job_id)
        except KeyboardInterrupt:  # a stop signal before the job's loop was listening
            _cancel_quietly(rt.engine, job_id)
            row = rt.engine.require(job_id)
        if row.status != JobStatus.SUCCEEDED:
            ended = row.error or ("Canceled." if row.status == JobStatus.CANCELED else f"The job ended {row.status}.")
            print(printable(ended), file=sys.stderr)
            return EXIT_FAILED
        style_id = int((row.result_dict() or {})["id"])
        if args.json:
            from desktop.library.reading import Library

            print_json(Library(rt.db, rt.paths).require(style_id).to_json())
        else:
            print(style_id)
        return EXIT_OK
    finally:
        rt.close()


def _cancel_quietly(engine: Any, job_id: int) -> None:
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
            _cancel_quietly(rt.engine, job_id)  # the pool delivers it; the handler stops at once
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
