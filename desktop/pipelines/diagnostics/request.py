"""What a front door may ask of the diagnostics jobs (for tests, benchmarks and checking an
install), checked before anything is queued: the only module of this slice front doors import.

``diagnostics.sleep``. Payload (``SleepPayload``; every key optional, any other key refused):

- ``seconds``: how long the whole job sleeps, a number from 0 to 3600 (default 1);
- ``steps``: how many progress steps, a whole number from 1 to 10,000 (default 1);
- ``fail_at_step``: fail at this step (from 1); ``fail_attempts``: only on the first N attempts
  (default: every attempt); ``retryable``: fail with a passing (retried) error instead;
- ``record``: a plain file name; each run appends "job-id pid attempt" to
  ``<data folder>/diagnostics/<name>`` (tests prove "never run twice" with it);
- ``sent``: a number the job ignores (benchmarks stamp the time they sent the job).

``diagnostics.items``: a batch whose items are sleeps, shared by every worker with a free slot
like a ``style.apply`` batch (``enqueue_items``; an item's input is any text). Payload
(``ItemsPayload``):
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
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from desktop.errors import UserError
from desktop.jobs.engine import JobEngine
from desktop.pipelines.payload_checks import is_int
from desktop.pipelines.payload_model import UNKNOWN_FIELD, Payload, Refusal, fields_of

JOB_TYPE = "diagnostics.sleep"
MAX_SECONDS = 3600
MAX_STEPS = 10_000
RECORD_FOLDER = "diagnostics"  # inside the data folder
RECORD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
Seconds = Annotated[float, Meta(ge=0, le=MAX_SECONDS)]  # NaN is refused too
_NOT_NUMBERS = (
    "The payload's 'seconds' and 'steps' must be numbers: 'seconds' from 0 to "
    f"{MAX_SECONDS} and 'steps' a whole number from 1 to {MAX_STEPS:,}."
)
_OUT_OF_RANGE = f"The payload needs 'seconds' from 0 to {MAX_SECONDS} and 'steps' from 1 to {MAX_STEPS:,}."


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _record_refusal(example: str) -> str:
    return (
        "'record' must be a plain file name of up to 64 letters, digits, '.', '_' or '-' "
        f"(no folders), like \"{example}\"; the file is kept in the data folder's '{RECORD_FOLDER}' folder."
    )


def is_record_name(name: str) -> bool:
    return RECORD_NAME.fullmatch(name) is not None and ".." not in name


def _check_record(record: str | None, refusals: dict[str, Refusal]) -> None:
    if record is not None and not is_record_name(record):
        raise UserError(str(refusals["record"]))


class SleepPayload(Payload):
    """The ``diagnostics.sleep`` payload (every field optional); a handler reads the options
    from it."""

    JOB_TYPE: ClassVar[str] = JOB_TYPE
    REFUSALS: ClassVar[dict[str, Refusal]] = {
        UNKNOWN_FIELD: lambda name: (
            f"{JOB_TYPE} does not take '{name}'; its payload keys are: {', '.join(fields_of(SleepPayload))}."
        ),
        "seconds": lambda value: _OUT_OF_RANGE if _is_number(value) else _NOT_NUMBERS,
        "steps": lambda value: _OUT_OF_RANGE if is_int(value) else _NOT_NUMBERS,
        "fail_at_step": "'fail_at_step' must be a step number from 1.",
        "fail_attempts": "'fail_attempts' must be a whole number of attempts from 0.",
        "retryable": "'retryable' must be true or false.",
        "record": _record_refusal("runs.txt"),
        "sent": "'sent' must be a number (a time stamp).",
    }

    seconds: Seconds = 1.0
    steps: Annotated[int, Meta(ge=1, le=MAX_STEPS)] = 1
    fail_at_step: Annotated[int, Meta(ge=1)] | None = None
    fail_attempts: Annotated[int, Meta(ge=0)] = 1_000_000  # fail on every attempt unless told otherwise
    retryable: bool = False
    record: str | None = None
    sent: float | None = None  # ignored by the job: benchmarks stamp the time they sent it

    def check(self) -> None:
        _check_record(self.record, self.REFUSALS)
        if self.sent is not None and not math.isfinite(self.sent):
            raise UserError(str(self.REFUSALS["sent"]))


# --- diagnostics.items: a batch of sleeps that several workers share -----------------------------

ITEMS_TYPE = "diagnostics.items"
MAX_PARALLEL = 64


class ItemsPayload(Payload):
    """The ``diagnostics.items`` payload (every field optional)."""

    JOB_TYPE: ClassVar[str] = ITEMS_TYPE
    REFUSALS: ClassVar[dict[str, Refusal]] = {
        UNKNOWN_FIELD: lambda name: (
            f"{ITEMS_TYPE} does not take '{name}'; its payload keys are: {', '.join(fields_of(ItemsPayload))}."
        ),
        "seconds": f"'seconds' (how long each item sleeps) must be a number from 0 to {MAX_SECONDS}.",
        "parallel": f"'parallel' (items at once per worker) must be a whole number from 1 to {MAX_PARALLEL}.",
        "record": _record_refusal("items.txt"),
    }

    seconds: Seconds = 0.25
    parallel: Annotated[int, Meta(ge=1, le=MAX_PARALLEL)] = 1
    record: str | None = None

    def check(self) -> None:
        _check_record(self.record, self.REFUSALS)


def enqueue_sleep(engine: JobEngine, payload: dict[str, Any] | None = None, *, max_attempts: int | None = None) -> int:
    """Queue a ``diagnostics.sleep`` job (its payload checked first); returns its id."""
    return engine.enqueue(JOB_TYPE, payload, max_attempts=max_attempts)


def enqueue_items(engine: JobEngine, payload: dict[str, Any], inputs: Sequence[str]) -> int:
    """Queue a ``diagnostics.items`` batch, one item per input (any text); returns its id."""
    return engine.enqueue_batch(ITEMS_TYPE, payload, inputs)
