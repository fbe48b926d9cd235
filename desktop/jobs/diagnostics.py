"""``diagnostics.sleep``: a built-in job for tests, benchmarks and checking an install.

Payload (every key optional, any other key refused):

- ``seconds``: how long the whole job sleeps, a number from 0 to 3600 (default 1);
- ``steps``: how many progress steps, a whole number from 1 to 10,000 (default 1);
- ``fail_at_step``: fail at this step (from 1); ``fail_attempts``: only on the first N attempts
  (default: every attempt); ``retryable``: fail with a passing (retried) error instead;
- ``record``: a plain file name; each run appends "job-id pid attempt" to
  ``<data folder>/diagnostics/<name>`` (tests prove "never run twice" with it);
- ``sent``: a number the job ignores (benchmarks stamp the time they sent the job).

``diagnostics.items``: a batch whose items are sleeps, shared by every worker with a free slot
like a ``style.apply`` batch (enqueue it with ``JobEngine.enqueue_batch``; an item's input is
any text). Payload: ``seconds`` each item sleeps (0 to 3600, default 0.25), ``parallel`` items
at once per worker (1 to 64, default 1), ``record`` (as above: each item a worker finishes
appends "job-id position owner" once it is recorded done). A done item's output is the owner
("host:pid:token") of the worker that did it. Tests and ``benchmarks/bench_batch_scaling.py``
measure the coordination of several workers with it.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.errors import RetryableError, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.items import (
    DONE,
    FAILED,
    PENDING,
    Assist,
    Fence,
    Item,
    ItemRun,
    ItemStore,
    assist_check,
    lease_of,
)
from desktop.jobs.registry import register, register_assist

JOB_TYPE = "diagnostics.sleep"
MAX_SECONDS = 3600
MAX_STEPS = 10_000
RECORD_FOLDER = "diagnostics"  # inside the data folder
RECORD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
KEYS = ("seconds", "steps", "fail_at_step", "fail_attempts", "retryable", "record", "sent")


@dataclass(frozen=True)
class SleepOptions:
    seconds: float = 1.0
    steps: int = 1
    fail_at_step: int | None = None
    fail_attempts: int = 1_000_000  # fail on every attempt unless told otherwise
    retryable: bool = False
    record: str | None = None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def sleep_options(payload: dict[str, Any]) -> SleepOptions:
    """The checked options of a payload; raises UserError with one sentence for anything else."""
    unknown = sorted(str(k) for k in payload if k not in KEYS)
    if unknown:
        raise UserError(
            f"{JOB_TYPE} does not take '{unknown[0]}'; its payload keys are: {', '.join(KEYS)}."
        )
    seconds = payload.get("seconds", 1.0)
    steps = payload.get("steps", 1)
    if not _is_number(seconds) or not _is_whole(steps):
        raise UserError(
            "The payload's 'seconds' and 'steps' must be numbers: 'seconds' from 0 to "
            f"{MAX_SECONDS} and 'steps' a whole number from 1 to {MAX_STEPS:,}."
        )
    if not (math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS) or not 1 <= steps <= MAX_STEPS:
        raise UserError(
            f"The payload needs 'seconds' from 0 to {MAX_SECONDS} and 'steps' from 1 to {MAX_STEPS:,}."
        )
    fail_at = payload.get("fail_at_step")
    if fail_at is not None and (not _is_whole(fail_at) or fail_at < 1):
        raise UserError("'fail_at_step' must be a step number from 1.")
    fail_attempts = payload.get("fail_attempts", SleepOptions.fail_attempts)
    if not _is_whole(fail_attempts) or fail_attempts < 0:
        raise UserError("'fail_attempts' must be a whole number of attempts from 0.")
    retryable = payload.get("retryable", False)
    if not isinstance(retryable, bool):
        raise UserError("'retryable' must be true or false.")
    record = payload.get("record")
    if record is not None and (not isinstance(record, str) or not _is_record_name(record)):
        raise UserError(
            "'record' must be a plain file name of up to 64 letters, digits, '.', '_' or '-' "
            f"(no folders), like \"runs.txt\"; the file is kept in the data folder's '{RECORD_FOLDER}' folder."
        )
    sent = payload.get("sent")
    if sent is not None and not (_is_number(sent) and math.isfinite(sent)):
        raise UserError("'sent' must be a number (a time stamp).")
    return SleepOptions(float(seconds), steps, fail_at, fail_attempts, retryable, record)


def _is_record_name(name: str) -> bool:
    return RECORD_NAME.fullmatch(name) is not None and ".." not in name


def validate_sleep(payload: dict[str, Any]) -> None:
    sleep_options(payload)


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


@register(JOB_TYPE, title="Diagnostics: sleep", retry_safe=True, validate=validate_sleep)
async def sleep_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    opts = sleep_options(payload)  # again: a row may come from an older version or another tool
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


# --- diagnostics.items: a batch of sleeps that several workers share -----------------------------

ITEMS_TYPE = "diagnostics.items"
ITEMS_KEYS = ("seconds", "parallel", "record")
MAX_PARALLEL = 64


@dataclass(frozen=True)
class ItemsOptions:
    seconds: float = 0.25
    parallel: int = 1
    record: str | None = None


def items_options(payload: dict[str, Any]) -> ItemsOptions:
    """The checked options of a ``diagnostics.items`` payload (one sentence per refusal)."""
    unknown = sorted(str(k) for k in payload if k not in ITEMS_KEYS)
    if unknown:
        raise UserError(f"{ITEMS_TYPE} does not take '{unknown[0]}'; its payload keys are: {', '.join(ITEMS_KEYS)}.")
    seconds = payload.get("seconds", ItemsOptions.seconds)
    if not _is_number(seconds) or not (math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS):
        raise UserError(f"'seconds' (how long each item sleeps) must be a number from 0 to {MAX_SECONDS}.")
    parallel = payload.get("parallel", 1)
    if not _is_whole(parallel) or not 1 <= parallel <= MAX_PARALLEL:
        raise UserError(f"'parallel' (items at once per worker) must be a whole number from 1 to {MAX_PARALLEL}.")
    record = payload.get("record")
    if record is not None and (not isinstance(record, str) or not _is_record_name(record)):
        raise UserError(
            "'record' must be a plain file name of up to 64 letters, digits, '.', '_' or '-' "
            f"(no folders), like \"items.txt\"; the file is kept in the data folder's '{RECORD_FOLDER}' folder."
        )
    return ItemsOptions(float(seconds), parallel, record)


def validate_items(payload: dict[str, Any]) -> None:
    items_options(payload)


class _Sleeps:
    """Each item: sleep, then record it done (its output: who did it) and append its line."""

    def __init__(self, store: ItemStore, fence: Fence, opts: ItemsOptions, folder: Path | None, lease_seconds: float) -> None:
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


@register(ITEMS_TYPE, title="Diagnostics: batch of sleeps", retry_safe=True, validate=validate_items)
async def items_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The lead of a ``diagnostics.items`` batch."""
    opts = items_options(payload)
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
    opts = items_options(assist.payload)
    store = ItemStore(assist.services["db"])
    folder = record_folder(assist) if opts.record else None
    work = _Sleeps(store, assist.fence, opts, folder, assist.lease_seconds)
    run = ItemRun(store, assist.fence, lease_seconds=assist.lease_seconds, window=opts.parallel, check=assist_check(assist, store), log=assist.log)
    await run.run(work)
    if work.done_here:
        assist.log.info("did %d item(s) of this batch", work.done_here)
