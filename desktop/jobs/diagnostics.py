"""``diagnostics.sleep``: a built-in job for tests, benchmarks and checking an install.

Payload (every key optional, any other key refused):

- ``seconds``: how long the whole job sleeps, a number from 0 to 3600 (default 1);
- ``steps``: how many progress steps, a whole number from 1 to 10,000 (default 1);
- ``fail_at_step``: fail at this step (from 1); ``fail_attempts``: only on the first N attempts
  (default: every attempt); ``retryable``: fail with a passing (retried) error instead;
- ``record``: a plain file name; each run appends "job-id pid attempt" to
  ``<data folder>/diagnostics/<name>`` (tests prove "never run twice" with it);
- ``sent``: a number the job ignores (benchmarks stamp the time they sent the job).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.errors import RetryableError, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register

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


def record_folder(ctx: JobContext) -> Path:
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
