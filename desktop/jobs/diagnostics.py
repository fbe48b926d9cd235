"""``diagnostics.sleep``: a built-in job for tests, benchmarks and checking an install."""

from __future__ import annotations

import os
from typing import Any

from desktop.errors import RetryableError, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register


def validate_sleep(payload: dict[str, Any]) -> None:
    try:
        seconds = float(payload.get("seconds", 1.0))
        steps = int(payload.get("steps", 1))
    except (TypeError, ValueError) as exc:
        raise UserError("The payload's 'seconds' and 'steps' must be numbers.") from exc
    if seconds < 0 or steps < 1:
        raise UserError("The payload needs 'seconds' of 0 or more and 'steps' of 1 or more.")
    fail_at = payload.get("fail_at_step")
    if fail_at is not None and (not isinstance(fail_at, int) or fail_at < 1):
        raise UserError("'fail_at_step' must be a step number from 1.")


@register("diagnostics.sleep", title="Diagnostics: sleep", retry_safe=True, validate=validate_sleep)
async def sleep_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    seconds = float(payload.get("seconds", 1.0))
    steps = int(payload.get("steps", 1))
    fail_at = payload.get("fail_at_step")
    # fail only on the first N attempts (default: every attempt), so retries can be tested
    fail_attempts = int(payload.get("fail_attempts", 1_000_000))
    record = payload.get("record")
    if record:  # tests prove "never run twice" with this: one line per run, from any process
        with open(record, "a", encoding="utf-8") as fh:
            fh.write(f"{ctx.id} {os.getpid()} {ctx.attempt}\n")
    for step in range(1, steps + 1):
        ctx.progress((step - 1) / steps, f"Sleeping, step {step} of {steps}")
        if fail_at == step and ctx.attempt <= fail_attempts:
            if payload.get("retryable"):
                raise RetryableError(f"Diagnostics job hit a passing failure at step {step}, as asked.")
            raise UserError(f"Diagnostics job failed at step {step}, as asked.")
        if seconds:
            await ctx.sleep(seconds / steps)
    return {"steps": steps, "seconds": seconds}
