"""How ``style.generate`` waits for its steps in the process pool: a cancel is noticed within
``POLL`` seconds; a worker process that died is replaced and its step run again once; what is
still running when the job stops may not leave files behind in the work folder."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from desktop.errors import UserError
from desktop.jobs.context import JobContext

POLL = 0.1  # seconds between looks at a cancel request while the workers render
IN_FLIGHT_WAIT = 1.0  # after a cancel, how long to let started renders end before leaving
WORKER_DEATHS = 2  # a task whose worker process died this often fails the job


class Workers:
    """Runs a job's CPU steps in the process pool and waits for them the way a handler must:
    a cancel is noticed within ``POLL`` s; a worker that died is retried once on a fresh pool;
    what is still running when the job stops may not leave files behind in ``work``."""

    def __init__(self, ctx: JobContext, work: Path) -> None:
        self.ctx = ctx
        self.work = work
        self.pids: set[int] = set()

    @staticmethod
    async def together(*steps: Any) -> list[Any]:
        """Await several ``all`` calls at once; the first to fail stops the others (each drops
        its own work) and its exception, as it is, goes up."""
        tasks = [asyncio.ensure_future(step) for step in steps]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            return [task.result() for task in tasks]
        finally:
            pending = [task for task in tasks if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def one(self, fn: Any, *args: Any) -> dict[str, Any]:
        (result,) = await self.all([(fn, *args)])
        return result

    async def all(self, calls: list[tuple[Any, ...]], announce: Any = None) -> list[dict[str, Any]]:
        """Run every call at once (the pool spreads them over its workers); results in the
        calls' order. ``announce(done, total)`` is called before the first and after each one
        that finishes but the last."""
        from concurrent.futures.process import BrokenProcessPool

        from desktop.jobs import processes

        self.ctx.check()
        results: list[dict[str, Any] | None] = [None] * len(calls)
        deaths = [0] * len(calls)
        inflight: dict[asyncio.Future[Any], tuple[int, Any, Any]] = {}

        def start(i: int) -> None:
            pool, cfuture = processes.submit(*calls[i])
            inflight[asyncio.wrap_future(cfuture)] = (i, pool, cfuture)

        if announce is not None:
            announce(0, len(calls))
        try:
            for i in range(len(calls)):
                start(i)
            done_count = 0
            while inflight:
                done, _ = await asyncio.wait(list(inflight), timeout=POLL, return_when=asyncio.FIRST_COMPLETED)
                self.ctx.check()
                for fut in done:
                    i, pool, _cfuture = inflight.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool as exc:
                        processes.discard_pool(pool)
                        deaths[i] += 1
                        self.ctx.log.warning("a worker process ended during its work: %s", exc)
                        if deaths[i] >= WORKER_DEATHS:
                            raise UserError(
                                "A worker process stopped while making this style (it may have run out of memory); "
                                "try again, or choose a smaller preview size."
                            ) from exc
                        start(i)
                        continue
                    self.pids.add(result["pid"])
                    results[i] = result
                    done_count += 1
                    if announce is not None and done_count < len(calls):
                        announce(done_count, len(calls))
        finally:
            if inflight:
                await self._drop(inflight)
        return [r for r in results if r is not None]

    async def _drop(self, inflight: dict[asyncio.Future[Any], tuple[int, Any, Any]]) -> None:
        """The job stops: calls not started are dropped; started ones get a moment to end (they
        cannot be interrupted), and any still running then cleans the work folder when done."""
        running = [fut for fut, (_i, _pool, cfuture) in inflight.items() if not cfuture.cancel()]
        if running:
            await asyncio.wait(running, timeout=IN_FLIGHT_WAIT)
        work = self.work
        for fut, (_i, _pool, cfuture) in inflight.items():
            fut.cancel()  # nobody will look at its outcome
            if not cfuture.done():
                cfuture.add_done_callback(lambda _f: shutil.rmtree(work, ignore_errors=True))
