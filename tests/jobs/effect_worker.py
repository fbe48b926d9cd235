"""A job type that commits an effect, and a worker that runs it, for tests of lost leases.

``python -m tests.jobs.effect_worker HOME`` runs a work pool (one job at a time) on the library
in HOME until SIGINT, like ``stylestudio worker``, with the ``test.effect`` type registered.

``test.effect`` sleeps in steps, then commits its effect the way pipelines do: inside a write
transaction that first checks the row is still this attempt's (``ctx.verify_owned``). The
effect is a line "job-id pid attempt" appended to the file named by the payload's ``effects``.
With ``hold_first_at`` (a step number), the first attempt stays at that step until it is
stopped (a cancel, or its lease lost): a test acts on it there, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from desktop.jobs.context import JobContext
from desktop.jobs.registry import register

JOB_TYPE = "test.effect"


@register(JOB_TYPE, title="Test: commit one effect", retry_safe=True)
async def effect_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    steps = int(payload.get("steps", 4))
    for step in range(1, steps + 1):
        ctx.progress((step - 1) / steps, f"Step {step} of {steps}")
        if step == payload.get("hold_first_at") and ctx.attempt == 1:
            await ctx.sleep(3600)  # woken (raising) by a cancel or a lost lease
        await ctx.sleep(float(payload.get("seconds", 1)) / steps)
    with ctx.services["db"].write_session() as session:
        ctx.verify_owned(session)  # raises LeaseLost when another attempt has the row
        with open(payload["effects"], "a", encoding="utf-8") as fh:
            fh.write(f"{ctx.id} {os.getpid()} {ctx.attempt}\n")
    return {"pid": os.getpid()}


def main() -> int:
    from desktop.runtime import open_runtime

    rt = open_runtime(sys.argv[1])
    try:
        pool = rt.engine.pool(max_parallel=1, stop_message="Canceled because the worker stopped")

        async def run() -> None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, pool.request_stop)
            print("Worker running", file=sys.stderr, flush=True)
            await pool.run(grace=5.0)

        asyncio.run(run())
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
