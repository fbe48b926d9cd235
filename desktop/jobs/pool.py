"""The work pool: claims queued jobs (oldest first, at most ``max_parallel`` at once), runs
their handlers on an asyncio loop, and owns every status change of the jobs it runs.

Callers only *request* (enqueue, cancel); the pool alone flips a row it has claimed. A late
completion is ignored when the row's attempt or owner no longer matches (attempt fencing).

A job whose lease was lost (this process was stopped or cut off long enough for another
worker to recover the row) is stopped with ``LeaseLost`` as soon as the heartbeat or a row
write notices, and its row is left alone: it belongs to the other attempt now.

**Assisting.** A pool with a free slot and no queued job it can take helps with a running
batch another pool leads (a type with an assist handler, ``registry.register_assist``; not a
paused type): one slot, one batch, items claimed one by one (``desktop.jobs.items``). It stops
at the next item when the job ends or is canceled, and gives its slot back (claims no more,
finishes what is in flight) when the pool stops or a queued job waits for a slot. Its tasks
sit in ``_tasks`` under the key ``-job_id``; the heartbeat renews the leases of the items it
holds. A batch it cannot help with (its output folder not reachable here) is left alone for
``ASSIST_REFUSED_FOR`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from desktop.errors import JobCanceled, JobEnded, LeaseLost, LibraryBusy, LibraryClosed, UserError
from desktop.jobs import registry
from desktop.jobs.backoff import is_retryable, retry_delay, sentence_for
from desktop.jobs.context import JobContext
from desktop.jobs.events import EventKind, JobEvent
from desktop.jobs.hand_back import hand_back, let_go_items
from desktop.jobs.items import Assist, AssistNotYet, ItemStore
from desktop.jobs.model import Ending, JobRow, JobStatus
from desktop.jobs.queue import QueueControls, pool_kind

if TYPE_CHECKING:
    from desktop.db.engine import Database
    from desktop.jobs.events import ChangeHub
    from desktop.jobs.store import JobStore

log = logging.getLogger(__name__)

WAKE_KINDS = frozenset({EventKind.ENQUEUED, EventKind.EXTERNAL})
CANCEL_GRACE = 2.0
REGISTER_WAIT = 5.0  # seconds a starting pool waits for a locked library to register as a worker
PURGE_INTERVAL = 3600.0  # a handler that ignores a cancel this long has its task canceled
ASSIST_LOOK = 0.25  # seconds between looks for a running batch to help with
ASSIST_REFUSED_FOR = 60.0  # seconds a batch this pool could not help with is left alone
ASSIST_NOT_YET = 1.0  # seconds before looking again at a batch its lead has not opened yet
QUEUE_LOOK = 1.0  # seconds between an assisting full pool's looks for a queued job waiting


class PoolEngine(Protocol):
    """What a work pool uses of the engine that made it (``JobEngine.pool``)."""

    db: Database
    hub: ChangeHub
    store: JobStore
    owner: str
    lease_seconds: float
    services: dict[str, Any]

    def recover(self) -> int: ...

    def purge(self) -> int: ...


class WorkPool:
    def __init__(
        self,
        engine: PoolEngine,
        *,
        max_parallel: int = 2,
        only_job: int | None = None,
        stop_message: str = "Canceled because Style Studio was closing",
        cpu_threads: int | None = None,
        assist: bool = True,
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
        self._handed_over: set[int] = set()  # ended jobs whose slot a claimed job took at once
        self._stopping = False
        self._closing = False
        self._hand_back = False  # stopping hands running jobs back to the queue (a window closing)
        self._handed_back: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._check_cancels = False
        self._queue_dry = False
        self._registered = False  # this pool has its row in the workers table
        # helping with other pools' batches (only_job pools never do)
        self.assist = assist and only_job is None
        self._assists: dict[int, Assist] = {}  # job id -> what its assist task reads
        self._assist_look = 0.0
        self._assist_refused: dict[int, float] = {}  # job id -> monotonic time to look again
        self._queue_look = 0.0
        self._queue_waits = False
        # the threads for handlers' CPU and file work (ctx.run_in_thread); the window passes
        # fewer than the machine has cores, to keep one for itself (see desktop/ui/responsiveness.py)
        self._executor = ThreadPoolExecutor(
            max_workers=cpu_threads or max(2, self.max_parallel), thread_name_prefix="stylestudio-job"
        )

    # --- requests from any thread ---------------------------------------------------------------
    def request_stop(self, *, hand_back: bool = False) -> None:
        """Stop taking jobs; running ones get the grace period given to ``run``. ``hand_back``:
        running jobs go back to the queue at once instead (``desktop.jobs.hand_back``), except
        those being canceled; batches this pool helps with get their items back."""
        self._hand_back = self._hand_back or hand_back
        loop = self._loop
        if loop is None or loop.is_closed():
            self._stopping = True
            return
        try:
            loop.call_soon_threadsafe(self._begin_stop)
        except RuntimeError:  # the loop closed meanwhile: the pool has already stopped
            self._stopping = True

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
        if self._hand_back:
            for ctx in list(self._contexts.values()):
                self._hand_back_one(ctx)
            for assist in list(self._assists.values()):
                assist.stop()
                let_go_items(self.engine.db, assist.id, self.owner)
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
        elif event.kind == EventKind.CANCEL_REQUESTED and event.job_id in self._assists:
            loop.call_soon_threadsafe(self._stop_assist, event.job_id)

    def _hand_back_one(self, ctx: JobContext) -> bool:
        if ctx.id in self._handed_back or not hand_back(self.store, self.engine.db, ctx, self.owner):
            return False
        self._handed_back.add(ctx.id)
        task = self._tasks.get(ctx.id)
        if task is not None:  # a handler stuck in a long call is interrupted like a lost one
            self._loop.call_later(CANCEL_GRACE, self._force_cancel, ctx.id, task)  # type: ignore[union-attr]
        return True

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
        workers = QueueControls(self.store)  # this pool's row in the workers table
        self._registered = False
        try:  # a library busy with other workers starting: wait a little, not a lease
            workers.beat(self.owner, kind=pool_kind(self), slots=self.max_parallel, running=0, wait=REGISTER_WAIT)
            self._registered = True
        except Exception:  # noqa: BLE001 - the heartbeat registers it at its next turn
            log.debug("Could not register this work pool as a worker yet", exc_info=True)
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
            try:
                workers.forget(self.owner, wait=1.0)
            except Exception:  # noqa: BLE001 - a row left behind turns stale after a few leases
                log.debug("Could not remove this work pool from the workers", exc_info=True)
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
                self._fill_assists()
                return
            self._start(row)

    def _start(self, row: JobRow) -> None:
        task = asyncio.create_task(self._run_job(row), name=f"job-{row.id}")
        self._tasks[row.id] = task
        task.add_done_callback(lambda _t, job_id=row.id: self._task_done(job_id))

    def _task_done(self, job_id: int) -> None:
        self._tasks.pop(job_id, None)
        self._early_cancels.discard(job_id)
        if job_id in self._handed_over:  # its slot went to the next job already: nothing to fill
            self._handed_over.discard(job_id)
            return
        if self._wake is not None:
            self._wake.set()

    def _idle(self) -> bool:
        return self.store.next_due() is None

    # --- assisting other pools' batches --------------------------------------------------------
    def _fill_assists(self) -> None:
        """Free slots, no queued job to take: help with running batches other pools lead."""
        if not self.assist or self._stopping or len(self._tasks) >= self.max_parallel:
            return
        now = time.monotonic()
        if now < self._assist_look:
            return
        self._assist_look = now + ASSIST_LOOK
        types = registry.assist_types()
        if not types:
            return
        try:
            rows = ItemStore(self.engine.db).assistable(self.owner, types, wait=0.0)
        except Exception:  # noqa: BLE001 - a locked library, a server away: look again later
            log.debug("Could not look for a batch to help with", exc_info=True)
            return
        for job_id, until in list(self._assist_refused.items()):
            if until <= now:
                del self._assist_refused[job_id]
        for row in rows:
            if len(self._tasks) >= self.max_parallel:
                return
            jt = registry.get(row.type)
            if jt is None or jt.assist is None or row.id in self._assists or row.id in self._assist_refused:
                continue
            if row.id in self._tasks:
                continue  # ours (led by this pool a moment ago)
            self._start_assist(row, jt.assist)

    def _start_assist(self, row: JobRow, handler: registry.AssistHandler) -> None:
        assist = Assist(row, self.owner, self.engine.lease_seconds, self.engine.services, give_back=self._give_back)
        self._assists[row.id] = assist
        task = asyncio.create_task(self._run_assist(assist, handler), name=f"assist-{row.id}")
        self._tasks[-row.id] = task
        task.add_done_callback(lambda _t, job_id=row.id: self._assist_done(job_id))

    def _assist_done(self, job_id: int) -> None:
        self._assists.pop(job_id, None)
        self._task_done(-job_id)

    async def _run_assist(self, assist: Assist, handler: registry.AssistHandler) -> None:
        try:
            await handler(assist)
        except JobCanceled:
            assist.log.info("stopped helping: the job ended, is being canceled, or this worker stops")
        except LibraryClosed:
            pass
        except AssistNotYet:
            self._assist_refused[assist.id] = time.monotonic() + ASSIST_NOT_YET
        except UserError as exc:
            self._assist_refused[assist.id] = time.monotonic() + ASSIST_REFUSED_FOR
            assist.log.warning("not helping with it: %s", exc)
        except Exception:  # noqa: BLE001 - an assistant's failure is no failure of the job
            self._assist_refused[assist.id] = time.monotonic() + ASSIST_REFUSED_FOR
            assist.log.exception("stopped helping with it after an unexpected error")

    def _stop_assist(self, job_id: int) -> None:
        assist = self._assists.get(job_id)
        if assist is not None:
            assist.stop()

    def _give_back(self) -> bool:
        """Whether assistants should claim no more items: the pool stops, or every slot is
        taken while a queued job waits (read at most every ``QUEUE_LOOK`` seconds)."""
        if self._stopping:
            return True
        if len(self._tasks) < self.max_parallel:
            return False
        now = time.monotonic()
        if now >= self._queue_look:
            self._queue_look = now + QUEUE_LOOK
            try:
                due = self.store.next_due()
            except Exception:  # noqa: BLE001 - a locked library: look again later
                return self._queue_waits
            self._queue_waits = due is not None and due <= time.time()
        return self._queue_waits

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
        """Renew our lease (and notice jobs whose lease we lost) and our row in the workers
        table, recover dead peers' jobs, and now and then apply the retention period (and
        forget workers gone for a day), so an app left open for days keeps its job history
        tidy. A locked library only delays this (the store logs it once)."""
        interval = max(0.05, self.engine.lease_seconds / 3)
        last_purge = time.monotonic()
        workers = QueueControls(self.store)
        kind = pool_kind(self)
        last_beat = time.monotonic()  # run() registered this pool
        while True:
            await asyncio.sleep(interval)
            try:
                busy = bool(self._tasks or self._contexts)
                if busy:
                    self._renew()
                # this pool's row in the workers table (`stylestudio workers`): with the lease
                # renewal while jobs run, else once a lease (every commit wakes SQLite watchers)
                due = time.monotonic() - last_beat >= 0.9 * self.engine.lease_seconds
                if busy or due or not self._registered:
                    workers.beat(self.owner, kind=kind, slots=self.max_parallel, running=len(self._tasks))
                    last_beat = time.monotonic()
                    self._registered = True
                self.engine.recover()
                if time.monotonic() - last_purge > PURGE_INTERVAL:
                    last_purge = time.monotonic()
                    self.engine.purge()
                    workers.forget_old()
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
        # the batch items this pool holds (as a lead or an assistant)
        ItemStore(self.engine.db).renew(self.owner, self.engine.lease_seconds)

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
        for assist in list(self._assists.values()):
            assist.stop()
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
        if self._hand_back and self._hand_back_one(ctx):  # claimed as the window closed
            ctx.close()
            self._contexts.pop(row.id, None)
            return
        jt = registry.get(row.type)
        ctx.log.info("%s started (attempt %d of %d)", row.type, row.attempts, row.max_attempts)
        try:
            ctx.payload = row.payload_dict()
            if jt is None:
                raise UserError(
                    f"This version of Style Studio cannot run '{row.type}' jobs; update it or dismiss the job."
                )
            result = await jt.handler(ctx, jt.parse(ctx.payload) if jt.parse else ctx.payload)
        except JobEnded as end:
            result_json = json.dumps(end.result) if end.result is not None else None
            self._end(ctx, Ending(JobStatus(end.status), end.message, ctx.latest_progress, result_json, end.error))
        except LeaseLost:
            ctx.lost = True
            self._end(ctx, self._canceled())
        except JobCanceled:
            self._end(ctx, self._canceled())
        except asyncio.CancelledError:
            self._end(ctx, self._canceled())
        except BaseException as exc:  # noqa: BLE001 - every failure must end the row
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                self._end(ctx, self._canceled())
                raise
            self._failed(ctx, exc)
        else:
            result_json = json.dumps(result) if result is not None else None
            self._end(ctx, Ending(JobStatus.SUCCEEDED, "Done", 1.0, result_json))
        finally:
            ctx.close()
            self._contexts.pop(row.id, None)

    def _canceled(self) -> Ending:
        return Ending(JobStatus.CANCELED, self.stop_message if self._closing else "Canceled")

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
        self._end(ctx, Ending(JobStatus.FAILED, "Failed", ctx.latest_progress, error=error), error_logged=True)

    def _left_alone(self, ctx: JobContext, outcome: str) -> None:
        if ctx.id in self._handed_back:
            ctx.log.info("stopped (%s): it was handed back to the queue", outcome)
            return
        ctx.log.warning(
            "lost its lease (attempt %d; the job was recovered, maybe run elsewhere): stopped (%s)"
            " without recording anything; the row is left to the attempt that has it",
            ctx.attempt,
            outcome,
        )

    def _end(self, ctx: JobContext, ending: Ending, *, error_logged: bool = False) -> None:
        ctx.close()
        if ctx.lost:
            self._left_alone(ctx, ending.status)
            return
        # hand the slot over to the next job in the same transaction, unless the queue ran dry
        # or max_parallel was lowered below what runs now (this job still counts; a task that
        # has returned but whose done-callback has not run yet does not)
        hand_over = (
            self.only_job is None
            and not self._stopping
            and not self._queue_dry
            and sum(1 for task in self._tasks.values() if not task.done()) <= self.max_parallel
        )
        try:
            if hand_over:
                row, nxt = self.store.finish_and_claim(ctx.row, ending, lease_seconds=self.engine.lease_seconds)
            else:
                row, nxt = self.store.finish(ctx.row, ending), None
        except LibraryClosed:
            ctx.log.warning(
                "could not record its end (%s): the library was closed (the next start recovers it)", ending.status
            )
            return
        except Exception:
            log.exception("[job %d] could not record its end (%s)", ctx.id, ending.status)
            return
        if row is None:
            ctx.log.info("late %s ignored: the row is no longer this attempt's", ending.status)
        else:
            # the reason is logged once: _failed has already written it (with its traceback)
            error = ending.error
            ctx.log.info("%s", ending.status if not error or error_logged else f"{ending.status}: {error}")
        if nxt is not None:
            self._handed_over.add(ctx.id)
            self._start(nxt)
        elif hand_over:
            self._queue_dry = True
