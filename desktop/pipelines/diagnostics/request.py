"""What a front door may ask of the diagnostics jobs (for tests, benchmarks and checking an
install), checked before anything is queued: the only module of this slice front doors import.

``diagnostics.sleep``. Payload (every key optional, any other key refused):

- ``seconds``: how long the whole job sleeps, a number from 0 to 3600 (default 1);
- ``steps``: how many progress steps, a whole number from 1 to 10,000 (default 1);
- ``fail_at_step``: fail at this step (from 1); ``fail_attempts``: only on the first N attempts
  (default: every attempt); ``retryable``: fail with a passing (retried) error instead;
- ``record``: a plain file name; each run appends "job-id pid attempt" to
  ``<data folder>/diagnostics/<name>`` (tests prove "never run twice" with it);
- ``sent``: a number the job ignores (benchmarks stamp the time they sent the job).

``diagnostics.items``: a batch whose items are sleeps, shared by every worker with a free slot
like a ``style.apply`` batch (``enqueue_items``; an item's input is any text). Payload:
``seconds`` each item sleeps (0 to 3600, default 0.25), ``parallel`` items at once per worker
(1 to 64, default 1), ``record`` (as above: each item a worker finishes
appends "job-id position owner" once it is recorded done). A done item's output is the owner
("host:pid:token") of the worker that did it. Tests and ``benchmarks/bench_batch_scaling.py``
measure the coordination of several workers with it.

The jobs themselves are in ``handler``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.errors import UserError
from desktop.jobs.engine import JobEngine

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
    if record is not None and (not isinstance(record, str) or not is_record_name(record)):
        raise UserError(
            "'record' must be a plain file name of up to 64 letters, digits, '.', '_' or '-' "
            f"(no folders), like \"runs.txt\"; the file is kept in the data folder's '{RECORD_FOLDER}' folder."
        )
    sent = payload.get("sent")
    if sent is not None and not (_is_number(sent) and math.isfinite(sent)):
        raise UserError("'sent' must be a number (a time stamp).")
    return SleepOptions(float(seconds), steps, fail_at, fail_attempts, retryable, record)


def is_record_name(name: str) -> bool:
    return RECORD_NAME.fullmatch(name) is not None and ".." not in name


def validate_sleep(payload: dict[str, Any]) -> None:
    sleep_options(payload)


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
    if record is not None and (not isinstance(record, str) or not is_record_name(record)):
        raise UserError(
            "'record' must be a plain file name of up to 64 letters, digits, '.', '_' or '-' "
            f"(no folders), like \"items.txt\"; the file is kept in the data folder's '{RECORD_FOLDER}' folder."
        )
    return ItemsOptions(float(seconds), parallel, record)


def validate_items(payload: dict[str, Any]) -> None:
    items_options(payload)




def enqueue_sleep(engine: JobEngine, payload: dict[str, Any] | None = None, *, max_attempts: int | None = None) -> int:
    """Queue a ``diagnostics.sleep`` job (its payload checked first); returns its id."""
    return engine.enqueue(JOB_TYPE, payload, max_attempts=max_attempts)


def enqueue_items(engine: JobEngine, payload: dict[str, Any], inputs: Sequence[str]) -> int:
    """Queue a ``diagnostics.items`` batch, one item per input (any text); returns its id."""
    return engine.enqueue_batch(ITEMS_TYPE, payload, inputs)
