"""The work pool: claims queued jobs (oldest first, at most ``max_parallel`` at once), runs
their handlers on an asyncio loop, and owns every status change of the jobs it runs.

Callers only *request* (enqueue, cancel); the pool alone flips a row it has claimed. A late
completion is ignored when the row's attempt or owner no longer matches (attempt fencing).

A job whose lease was lost (this process was stopped or cut off long enough for another
worker to recover the row) is stopped with ``LeaseLost`` as soon as the heartbeat or a row
write notices, and its row is left alone: it belongs to the other attempt now.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from desktop.errors import JobCanceled, JobEnded, LeaseLost, LibraryBusy, LibraryClosed, UserError
from desktop.jobs import registry
from desktop.jobs.backoff import is_retryable, retry_delay, sentence_for
from desktop.jobs.context import JobContext
from desktop.jobs.events import EventKind, JobEvent
from desktop.jobs.model import JobRow, JobStatus

if TYPE_CHECKING:
    from desktop.jobs.engine import JobEngine

log = logging.getLogger(__name__)

WAKE_KINDS = frozenset({EventKind.ENQUEUED, EventKind.EXTERNAL})
CANCEL_GRACE = 2.0
PURGE_INTERVAL = 3600.0  # a handler that ignores a cancel this long has its task canceled


class WorkPool:
    def __init__(
        self,
        engine: JobEngine,
        *,
        max_parallel: int = 2,
        only_job: int | None = None,
        stop_message: str = "Canceled because Style Studio was closing",
        cpu_threads: int | None = None,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.max_parallel = max(1, max_parallel)
        self.only_job = only_job
        self.stop_message = stop_message
        self.owner = engine.owner
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._contexts: dict[int, JobContext] = {}
        self._early_cancels: set[int] = set()
        self._stopping = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._check_cancels = False
        self._queue_dry = False
        # the threads for handlers' CPU and file work (ctx.run_in_thread); the window passes
        # fewer than the machine has cores, to keep one for itself (see desktop/ui/responsiveness.py)
        self._executor = ThreadPoolExecutor(
            max_workers=cpu_threads or max(2, self.max_parallel), thread_name_prefix="stylestudio-job"
        )

    # --- requests from any thread ---------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop taking jobs; running ones get the grace period given to ``run``."""
        loop = self._loop
        if loop is None:
            self._stopping = True
            return
        loop.call_soon_threadsafe(self._begin_stop)

    def set_max_parallel(self, count: int) -> None:
        """Run up to ``count`` jobs at once from now on (at least 1). Safe from any thread: the
        change is made on the pool's loop, which then claims more jobs if there is room (running
        jobs are never stopped to make room for a lower count)."""
        count = max(1, int(count))
        loop = self._loop
        if loop is None or loop.is_closed():
            self.max_parallel = count  # not running yet: read when it starts
            return
        try:
            loop.call_soon_threadsafe(self._apply_max_parallel, count)
        except RuntimeError:  # the loop closed meanwhile: nothing runs any more
            self.max_parallel = count

    def _apply_max_parallel(self, count: int) -> None:
        self.max_parallel = count
        if self._wake is not None:
            self._wake.set()

    def _begin_stop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()

    def _on_event(self, event: JobEvent) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if event.kind in WAKE_KINDS:
            if event.kind == EventKind.EXTERNAL:
                self._check_cancels = True
            self._wake_threadsafe(loop)
        elif event.kind == EventKind.CANCEL_REQUESTED and (event.job_id in self._tasks or event.job_id in self._contexts):
            loop.call_soon_threadsafe(self._deliver_cancel, event.job_id)

    def _deliver_lost(self, job_id: int) -> None:
        ctx = self._contexts.get(job_id)
        if ctx is None or ctx.lost:
            return
        ctx.log.info("its row was not renewed by the heartbeat: stopping it")
        already = ctx.cancel_requested
        ctx.lose_lease()
        task = self._tasks.get(job_id)
        if task is not None and not already:
            self._loop.call_later(CANCEL_GRACE, self._force_cancel, job_id, task)  # type: ignore[union-attr]

    def _wake_threadsafe(self, loop: asyncio.AbstractEventLoop) -> None:
        wake = self._wake
        if wake is None or wake.is_set():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    def _deliver_cancel(self, job_id: int) -> None:
        ctx = self._contexts.get(job_id)
        if ctx is None and job_id in self._tasks:
            self._early_cancels.add(job_id)  # claimed, handler not started yet: told at its start
            return
        if ctx is None or ctx.cancel_requested:
            return
        ctx.log.info("cancel requested")
        ctx.request_cancel()
        task = self._tasks.get(job_id)
        if task is not None:
            # A handler stuck in a long call that never checks gets its task canceled.
            self._loop.call_later(CANCEL_GRACE, self._force_cancel, job_id, task)  # type: ignore[union-attr]

    def _force_cancel(self, job_id: int, task: asyncio.Task[None]) -> None:
        if not task.done():
            log.warning("[job %d] did not stop within %.0f s of a cancel; interrupting it", job_id, CANCEL_GRACE)
            task.cancel()

    # --- the loop -------------------------------------------------------------------------------
    @property
    def running_count(self) -> int:
        return len(self._tasks)

    async def run(self, *, exit_when_idle: bool = False, grace: float = 5.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        unsubscribe = self.engine.hub.subscribe(self._on_event)
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            while not self._stopping:
                try:
                    if self._turn(exit_when_idle):
                        break
                except LibraryClosed:
                    log.info("The library was closed: the work pool stops")
                    self._stopping = True
                    break
                except LibraryBusy:
                    log.info("The library stayed locked; the work pool looks again in a moment")
                if not self._wake.is_set():
                    try:
                        async with asyncio.timeout(self._next_timeout()):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
                self._wake.clear()
        finally:
            heartbeat.cancel()
            await self._shutdown(grace)
            unsubscribe()
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _turn(self, exit_when_idle: bool) -> bool:
        """Claim what fits and look for cancels; True when the pool has nothing more to do."""
        self._fill()
        if self._check_cancels:
            self._check_cancels = False
            self._poll_cancels()
        if exit_when_idle and not self._tasks and self._idle():
            return True
        return self.only_job is not None and not self._tasks and self._only_job_done()

    def _fill(self) -> None:
        """Claim jobs while slots are free; remembers whether the queue ran dry."""
        self._queue_dry = False
        while len(self._tasks) < self.max_parallel and not self._stopping:
            if self.only_job is not None:
                if self._tasks:
                    return
                row = self.store.claim(self.owner, self.engine.lease_seconds, self.only_job)
            else:
                row = self.store.claim(self.owner, self.engine.lease_seconds)
            if row is None:
                self._queue_dry = True
                return
            self._start(row)

    def _start(self, row: JobRow) -> None:
        task = asyncio.create_task(self._run_job(row), name=f"job-{row.id}")
        self._tasks[row.id] = task
        task.add_done_callback(lambda _t, job_id=row.id: self._task_done(job_id))

    def _task_done(self, job_id: int) -> None:
        self._tasks.pop(job_id, None)
        self._early_cancels.discard(job_id)
        if self._wake is not None:
            self._wake.set()

    def _idle(self) -> bool:
        return self.store.next_due() is None

    def _only_job_done(self) -> bool:
        row = self.store.get(self.only_job)  # type: ignore[arg-type]
        return row is None or row.is_finished or row.status == JobStatus.RUNNING

    def _next_timeout(self) -> float:
        if not self._queue_dry:
            return 1.0  # all slots busy: a finishing job wakes us
        due = self.store.next_due()
        if due is None:
            return 1.0
        return min(1.0, max(0.01, due - time.time()))

    def _poll_cancels(self) -> None:
        if not self._contexts:
            return
        for job_id in self.store.cancel_wanted(self.owner):
            self._deliver_cancel(job_id)

    async def _heartbeat(self) -> None:
        """Renew our lease (and notice jobs whose lease we lost), recover dead peers' jobs,
        and now and then apply the retention period, so an app left open for days keeps its
        job history tidy. A locked library only delays this (the store logs it once)."""
        interval = max(0.05, self.engine.lease_seconds / 3)
        last_purge = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            try:
                if self._tasks or self._contexts:
                    self._renew()
                self.engine.recover()
                if time.monotonic() - last_purge > PURGE_INTERVAL:
                    last_purge = time.monotonic()
                    self.engine.purge()
            except LibraryBusy:
                continue
            except LibraryClosed:
                return
            except Exception:
                log.warning("Job heartbeat failed", exc_info=True)

    def _renew(self) -> None:
        """Renew the lease of our running rows; a job whose row was not renewed is no longer
        ours (it was recovered and maybe taken by another worker meanwhile)."""
        running = {(ctx.id, ctx.attempt): ctx.id for ctx in self._contexts.values()}
        renewed = self.store.heartbeat(self.owner, self.engine.lease_seconds)
        for key, job_id in running.items():
            if key not in renewed:
                self._deliver_lost(job_id)

    async def _shutdown(self, grace: float) -> None:
        if not self._tasks:
            return
        log.info("Stopping: waiting up to %.1f s for %d running job(s)", grace, len(self._tasks))
        done, pending = await asyncio.wait(list(self._tasks.values()), timeout=grace)
        if not pending:
            return
        self._closing = True
        for job_id in list(self._contexts):
            self._contexts[job_id].request_cancel()
        done, pending = await asyncio.wait(pending, timeout=min(1.0, grace) or 0.2)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2.0)

    # --- one job --------------------------------------------------------------------------------
    async def _run_job(self, row: JobRow) -> None:
        ctx = JobContext(
            row, {}, self.store, asyncio.get_running_loop(), self._executor, self.engine.services
        )
        self._contexts[row.id] = ctx
        if row.id in self._early_cancels:
            self._early_cancels.discard(row.id)
            ctx.request_cancel()
        jt = registry.get(row.type)
        ctx.log.info("%s started (attempt %d of %d)", row.type, row.attempts, row.max_attempts)
        try:
            ctx.payload = row.payload_dict()
            if jt is None:
                raise UserError(
                    f"This version of Style Studio cannot run '{row.type}' jobs; update it or dismiss the job."
                )
            result = await jt.handler(ctx, ctx.payload)
        except JobEnded as end:
            self._end(
                ctx,
                JobStatus(end.status),
                message=end.message,
                progress=ctx._progress,
                result_json=json.dumps(end.result) if end.result is not None else None,
                error=end.error,
            )
        except LeaseLost:
            ctx.lost = True
            self._end(ctx, JobStatus.CANCELED, message=self._cancel_message())
        except JobCanceled:
            self._end(ctx, JobStatus.CANCELED, message=self._cancel_message())
        except asyncio.CancelledError:
            self._end(ctx, JobStatus.CANCELED, message=self._cancel_message())
        except BaseException as exc:  # noqa: BLE001 - every failure must end the row
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                self._end(ctx, JobStatus.CANCELED, message=self._cancel_message())
                raise
            self._failed(ctx, exc)
        else:
            result_json = json.dumps(result) if result is not None else None
            self._end(ctx, JobStatus.SUCCEEDED, message="Done", progress=1.0, result_json=result_json)
        finally:
            ctx.close()
            self._contexts.pop(row.id, None)

    def _cancel_message(self) -> str:
        return self.stop_message if self._closing else "Canceled"

    def _failed(self, ctx: JobContext, exc: BaseException) -> None:
        row = ctx.row
        error = sentence_for(exc)
        if ctx.lost:
            self._left_alone(ctx, f"failed: {exc}")
            return
        if is_retryable(exc) and row.attempts < row.max_attempts and not self._stopping:
            delay = retry_delay(row.attempts, retry_after=getattr(exc, "retry_after", None))
            message = f"Retrying in {math.ceil(delay)} s (attempt {row.attempts + 1} of {row.max_attempts})"
            ctx.log.warning("failed with a passing error, %s: %s", message, exc, exc_info=exc)
            try:
                requeued = self.store.requeue(row, run_after=time.time() + delay, message=message, error=error)
            except LibraryClosed:
                ctx.log.warning("could not be queued again: the library was closed (the next start recovers it)")
                return
            except Exception:
                log.exception("[job %d] could not be queued again", ctx.id)
                return
            if requeued is None:
                ctx.log.info("late failure ignored: the row is no longer this attempt's")
            return
        if isinstance(exc, UserError):
            ctx.log.warning("failed: %s", exc)
        else:
            ctx.log.error("failed with an unexpected error: %s", error, exc_info=exc)
        self._end(ctx, JobStatus.FAILED, message="Failed", error=error, progress=ctx._progress, error_logged=True)

    @staticmethod
    def _left_alone(ctx: JobContext, outcome: str) -> None:
        ctx.log.warning(
            "lost its lease (attempt %d; the job was recovered, maybe run elsewhere): stopped (%s)"
            " without recording anything; the row is left to the attempt that has it",
            ctx.attempt,
            outcome,
        )

    def _end(
        self,
        ctx: JobContext,
        status: JobStatus,
        *,
        message: str,
        progress: float | None = None,
        result_json: str | None = None,
        error: str | None = None,
        error_logged: bool = False,
    ) -> None:
        ctx.close()
        if ctx.lost:
            self._left_alone(ctx, status)
            return
        # hand the slot over to the next job in the same transaction, unless the queue ran dry
        # or max_parallel was lowered below what runs now (this job still counts in _tasks)
        hand_over = (
            self.only_job is None
            and not self._stopping
            and not self._queue_dry
            and len(self._tasks) <= self.max_parallel
        )
        try:
            if hand_over:
                row, nxt = self.store.finish_and_claim(
                    ctx.row,
                    status,
                    message=message,
                    progress=progress,
                    result_json=result_json,
                    error=error,
                    lease_seconds=self.engine.lease_seconds,
                )
            else:
                row, nxt = self.store.finish(
                    ctx.row, status, message=message, progress=progress, result_json=result_json, error=error
                ), None
        except LibraryClosed:
            ctx.log.warning("could not record its end (%s): the library was closed (the next start recovers it)", status)
            return
        except Exception:
            log.exception("[job %d] could not record its end (%s)", ctx.id, status)
            return
        if row is None:
            ctx.log.info("late %s ignored: the row is no longer this attempt's", status)
        else:
            # the reason is logged once: _failed has already written it (with its traceback)
            ctx.log.info("%s", status if not error or error_logged else f"{status}: {error}")
        if nxt is not None:
            self._start(nxt)
        elif hand_over:
            self._queue_dry = True


class PoolThread:
    """A work pool on its own thread and event loop, for the window: the GUI thread only paints."""

    def __init__(self, pool: WorkPool, *, grace: float = 3.0) -> None:
        self.pool = pool
        self.grace = grace
        self._thread = threading.Thread(target=self._main, name="stylestudio-pool", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            # A plain asyncio loop of its own, whatever loop policy the GUI thread installed
            # (qasync.run sets a global policy on Python < 3.12 that would make this a Qt loop).
            with asyncio.Runner(loop_factory=asyncio.DefaultEventLoopPolicy().new_event_loop) as runner:
                runner.run(self.pool.run(grace=self.grace))
        except BaseException as exc:  # noqa: BLE001
            self.error = exc
            log.exception("The work pool stopped with an error")

    def stop(self, timeout: float | None = None) -> bool:
        """Stop taking jobs, let running ones finish within the grace period, cancel the rest.
        Returns True when the pool ended in time."""
        self.pool.request_stop()
        self._thread.join(timeout if timeout is not None else self.grace + 5.0)
        return not self._thread.is_alive()
