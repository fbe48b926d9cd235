"""The diagnostics jobs: ``diagnostics.sleep`` sleeps in steps (and fails when asked), and
``diagnostics.items`` is a batch of sleeps any worker with a free slot helps with. Registered
with the engine as this module is imported (``desktop.pipelines.register_all``); what a payload
may hold is in ``request``.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from desktop.errors import RetryableError, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.item_model import DONE, FAILED, PENDING, Fence, Item
from desktop.jobs.items import Assist, ItemRun, ItemStore, assist_check, lease_of
from desktop.jobs.registry import register, register_assist
from desktop.pipelines.diagnostics.request import (
    ITEMS_TYPE,
    JOB_TYPE,
    RECORD_FOLDER,
    ItemsPayload,
    SleepPayload,
)


def record_folder(ctx: JobContext | Assist) -> Path:
    """``<data folder>/diagnostics``; a job run by an engine opened without a library's paths
    (no ``paths`` service) cannot record and fails with a sentence."""
    paths = ctx.services.get("paths")
    if paths is None:
        raise UserError(
            "This diagnostics job asks to 'record' its runs, but its engine was opened without a data "
            "folder; run it from the app or with 'stylestudio worker'."
        )
    return Path(paths.home) / RECORD_FOLDER


def _append_record(folder: Path, name: str, line: str) -> None:
    target = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"The folder {folder} could not be made ({exc.strerror}); check the data folder.") from exc
    # The name is plain (checked above); never follow a link planted in the folder.
    if target.resolve().parent != folder.resolve():
        raise UserError(f"The record file '{name}' is a link out of the '{RECORD_FOLDER}' folder; remove it.")
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line)
    except OSError as exc:
        raise UserError(f"The record file {target} could not be written ({exc.strerror}); check that folder.") from exc


@register(JOB_TYPE, title="Diagnostics: sleep", retry_safe=True, payload=SleepPayload)
async def sleep_job(ctx: JobContext, opts: SleepPayload) -> dict[str, Any]:
    if opts.record:  # one line per run, from any process
        _append_record(record_folder(ctx), opts.record, f"{ctx.id} {os.getpid()} {ctx.attempt}\n")
    for step in range(1, opts.steps + 1):
        ctx.progress((step - 1) / opts.steps, f"Sleeping, step {step} of {opts.steps}")
        if opts.fail_at_step == step and ctx.attempt <= opts.fail_attempts:
            if opts.retryable:
                raise RetryableError(f"Diagnostics job hit a passing failure at step {step}, as asked.")
            raise UserError(f"Diagnostics job failed at step {step}, as asked.")
        if opts.seconds:
            await ctx.sleep(opts.seconds / opts.steps)
    return {"steps": opts.steps, "seconds": opts.seconds}


class _Sleeps:
    """Each item: sleep, then record it done (its output: who did it) and append its line."""

    def __init__(self, store: ItemStore, fence: Fence, opts: ItemsPayload, folder: Path | None, lease_seconds: float) -> None:
        self.store = store
        self.fence = fence
        self.opts = opts
        self.folder = folder
        self.lease_seconds = lease_seconds
        self.done_here = 0

    def start(self, item: Item) -> asyncio.Future[Any]:
        return asyncio.ensure_future(asyncio.sleep(self.opts.seconds))

    async def finish(self, item: Item, outcome: asyncio.Future[Any]) -> bool:
        await asyncio.to_thread(
            self.store.set, self.fence, item.position, status=DONE, output=self.fence.owner, lease_seconds=self.lease_seconds
        )
        self.done_here += 1
        if self.folder is not None and self.opts.record:
            line = f"{self.fence.job_id} {item.position} {self.fence.owner}\n"
            await asyncio.to_thread(_append_record, self.folder, self.opts.record, line)
        return False

    def abandon(self, item: Item, outcome: asyncio.Future[Any]) -> None:
        outcome.cancel()


@register(ITEMS_TYPE, title="Diagnostics: batch of sleeps", retry_safe=True, payload=ItemsPayload)
async def items_job(ctx: JobContext, opts: ItemsPayload) -> dict[str, Any]:
    """The lead of a ``diagnostics.items`` batch."""
    store = ItemStore(ctx.services["db"])
    fence = Fence.of(ctx.row)
    folder = record_folder(ctx) if opts.record else None
    if ctx.attempt == 1:
        await asyncio.to_thread(store.reset_failed, fence)
    counts = await asyncio.to_thread(store.counts, ctx.id)
    total = sum(counts.values())
    if not total:
        raise UserError(f"This {ITEMS_TYPE} job has no items; enqueue it with its items (JobEngine.enqueue_batch).")

    last = [0.0]

    async def check() -> bool:  # progress counts everyone's items (read 4 times a second)
        ctx.check()
        if time.monotonic() - last[0] >= 0.25:
            last[0] = time.monotonic()
            now = await asyncio.to_thread(store.counts, ctx.id)
            finished = now[DONE] + now[FAILED]
            ctx.progress(finished / total, f"Item {min(total, finished + 1)} of {total}")
        return False

    work = _Sleeps(store, fence, opts, folder, lease_of(ctx.row))
    run = ItemRun(store, fence, lease_seconds=lease_of(ctx.row), window=opts.parallel, check=check, sleep=ctx.sleep, log=ctx.log)
    await run.run(work)
    counts = await asyncio.to_thread(store.counts, ctx.id)
    return {"done": counts[DONE], "failed": counts[FAILED], "pending": counts[PENDING], "done_here": work.done_here}


@register_assist(ITEMS_TYPE)
async def assist_items(assist: Assist) -> None:
    """Sleep through pending items of a ``diagnostics.items`` batch another worker leads."""
    opts = ItemsPayload.parse(assist.payload)
    store = ItemStore(assist.services["db"])
    folder = record_folder(assist) if opts.record else None
    work = _Sleeps(store, assist.fence, opts, folder, assist.lease_seconds)
    run = ItemRun(store, assist.fence, lease_seconds=assist.lease_seconds, window=opts.parallel, check=assist_check(assist, store), log=assist.log)
    await run.run(work)
    if work.done_here:
        assist.log.info("did %d item(s) of this batch", work.done_here)
