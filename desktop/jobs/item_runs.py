"""Running the items of a batch job in this process: the loop the lead and its assistants share
(``ItemRun``), what an assist handler gets from the work pool (``Assist``), and the assistant's
stop check (``assist_check``). The items themselves are claimed and written through
``desktop.jobs.items.ItemStore`` (see there for item-level claiming and fencing)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from desktop.errors import JobCanceled, LeaseLost
from desktop.jobs.item_model import PENDING, Fence, Item
from desktop.jobs.model import JobRow
from desktop.jobs.owners import owner_is_dead

log = logging.getLogger("desktop.jobs.items")

JOB_POLL = 0.5  # seconds between an assistant's looks at the job's row (cancel, end)
OTHERS_POLL = 0.25  # seconds between a lead's looks at items other workers hold
DEAD_POLL = 2.0  # seconds between a lead's looks for holders whose process is gone


class ItemClaims(Protocol):
    """What a run needs of ``desktop.jobs.items.ItemStore``."""

    def claim(self, fence: Fence, lease_seconds: float) -> Item | None: ...

    def forget(self, fence: Fence, position: int) -> None: ...

    def release(self, fence: Fence, positions: Iterable[int]) -> None: ...

    def counts(self, job_id: int) -> dict[str, int]: ...

    def release_dead(self, job_id: int, is_dead: Callable[[str | None], bool] | None = None) -> int: ...

    def job_state(self, job_id: int) -> tuple[str, bool, int, str | None] | None: ...


class ItemWork(Protocol):
    """What to do with each item (one per job type): ``start`` begins it and returns its
    future; ``finish`` records its outcome (fenced; ``LeaseLost`` when the item or job is no
    longer this run's) and returns True to run the item again; ``abandon`` drops an item left
    in flight when the run stops."""

    def start(self, item: Item) -> Awaitable[Any]: ...

    async def finish(self, item: Item, outcome: asyncio.Future[Any]) -> bool: ...

    def abandon(self, item: Item, outcome: asyncio.Future[Any]) -> None: ...


class AssistNotYet(Exception):
    """Raised by an assist handler for a batch its lead has not opened yet (its output folder
    is not made yet): the pool looks at that batch again in a moment."""


@dataclass
class Assist:
    """What an assist handler gets from the work pool: the running job it helps with (as read
    when it was picked), who it is, and when to stop."""

    row: JobRow
    owner: str
    lease_seconds: float
    services: dict[str, Any]
    # True when the pool wants the slot back (it is stopping, or a queued job waits): claim no
    # more items, finish those in flight
    give_back: Callable[[], bool] = lambda: False
    stopped: bool = False  # the job is being canceled, or the pool is closing: drop everything
    log: logging.LoggerAdapter = field(init=False)

    def __post_init__(self) -> None:
        from desktop.jobs.context import JobLogAdapter

        self.log = JobLogAdapter(logging.getLogger("desktop.jobs.run"), {"job_id": self.row.id})

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def payload(self) -> dict[str, Any]:
        return self.row.payload_dict()

    @property
    def fence(self) -> Fence:
        return Fence.assisting(self.row.id, self.owner)

    def stop(self) -> None:
        self.stopped = True


def lease_of(row: JobRow, default: float = 30.0) -> float:
    """The lease period a job's row was claimed with (claim sets both stamps at once)."""
    if row.lease_until is not None and row.started_at is not None and row.lease_until > row.started_at:
        return float(row.lease_until - row.started_at)
    return default


class ItemRun:
    """Run the items of one job in this process: claim up to ``window`` at a time, start each,
    record each as it comes back (in any order), until no item is left to claim. The lead
    (``lead=True``) then waits for the items other workers hold, taking over those whose
    holder's lease ran out, and returns once no item is pending. ``check`` is awaited between
    steps: it raises to stop (``JobCanceled``, ``LeaseLost``) and returns True to claim no more
    (finish what is in flight, then return)."""

    def __init__(
        self,
        store: ItemClaims,
        fence: Fence,
        *,
        lease_seconds: float,
        window: int,
        check: Callable[[], Awaitable[bool]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        log: logging.Logger | logging.LoggerAdapter = log,
    ) -> None:
        self.store = store
        self.fence = fence
        self.lease_seconds = lease_seconds
        self.window = max(1, window)
        self.check = check
        self.sleep = sleep
        self.log = log
        self.mine: set[int] = set()  # positions this run holds
        self.claimed = 0  # items claimed by this run
        self._dead_look = 0.0

    async def run(self, work: ItemWork) -> None:
        inflight: dict[asyncio.Future[Any], Item] = {}
        again: list[Item] = []
        draining = False
        try:
            while True:
                draining = await self.check() or draining
                while len(inflight) < self.window:
                    if again:
                        item = again.pop()
                    elif draining:
                        break
                    else:
                        item = await asyncio.to_thread(self.store.claim, self.fence, self.lease_seconds)
                        if item is None:
                            break
                        if item.position in self.mine:
                            continue  # ours already, in flight (its lease had run out): renewed
                        if not self.fence.lead and not self.claimed:
                            self.log.info("helping with its items (another worker leads it)")
                        self.claimed += 1
                        self.mine.add(item.position)
                    inflight[asyncio.ensure_future(work.start(item))] = item
                if not inflight:
                    if not self.fence.lead or draining or await self._nothing_pending():
                        return
                    await self._wait_for_others()
                    continue
                done, _ = await asyncio.wait(list(inflight), timeout=0.2, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    item = inflight.pop(fut)
                    try:
                        if await work.finish(item, fut):
                            again.append(item)
                            continue
                    except LeaseLost:
                        await self._lost(item)
                    self.mine.discard(item.position)
                    self.store.forget(self.fence, item.position)
        finally:
            for fut, item in inflight.items():
                work.abandon(item, fut)
            if self.mine:
                self.store.release(self.fence, sorted(self.mine))
                self.mine.clear()

    async def _nothing_pending(self) -> bool:
        counts = await asyncio.to_thread(self.store.counts, self.fence.job_id)
        return counts[PENDING] == 0

    async def _wait_for_others(self) -> None:
        """Lead: other workers hold the pending items left; free those of processes known to
        be gone now and then, and look again shortly (a lease that ran out frees an item)."""
        if time.monotonic() - self._dead_look >= DEAD_POLL:
            self._dead_look = time.monotonic()
            await asyncio.to_thread(self.store.release_dead, self.fence.job_id, owner_is_dead)
        await self.sleep(OTHERS_POLL)

    async def _lost(self, item: Item) -> None:
        """An item write changed nothing: the job is no longer this run's (raise) or only the
        item is (another worker took it over after our lease ran out: go on without it)."""
        state = await asyncio.to_thread(self.store.job_state, self.fence.job_id)
        if self.fence.lead:
            if state is None or state[0] != "running" or state[2:] != (self.fence.attempt, self.fence.owner):
                raise LeaseLost()
        elif state is None or state[0] != "running" or state[1]:
            raise JobCanceled()
        self.log.warning("item %d was taken over by another worker (our lease on it ran out); its result is dropped", item.position)


def assist_check(assist: Assist, store: ItemClaims) -> Callable[[], Awaitable[bool]]:
    """An assistant's ``ItemRun.check``: stop when the job is no longer running or is being
    canceled (its row, read every ``JOB_POLL`` seconds) or the pool closes; claim no more when
    the pool wants the slot back."""
    last = [0.0]

    async def check() -> bool:
        if assist.stopped:
            raise JobCanceled()
        if time.monotonic() - last[0] >= JOB_POLL:
            last[0] = time.monotonic()
            state = await asyncio.to_thread(store.job_state, assist.id)
            if state is None or state[0] != "running" or state[1]:
                assist.log.info("the job ended or is being canceled: stopping")
                raise JobCanceled()
        return assist.give_back()

    return check

