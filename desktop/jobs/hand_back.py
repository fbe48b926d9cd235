"""Giving a running job back to the queue: what a closing window's work pool does with the jobs
it runs instead of canceling them (``WorkPool.request_stop(hand_back=True)``).

The row is queued again in one fenced write (the attempt is not spent: ``JobStore.hand_back``),
the items this pool holds are let go at once (photos in flight included: their late results are
fenced out, see ``desktop.jobs.items``), and only then is the handler told to stop, as if its
lease were lost: it records nothing more. Items already done stay done, so any worker, or the
next start, resumes the batch at its first unfinished item.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from desktop.jobs.items import ItemStore

if TYPE_CHECKING:
    from desktop.db.engine import Database
    from desktop.jobs.context import JobContext
    from desktop.jobs.store import JobStore

log = logging.getLogger(__name__)

HANDED_BACK = "Waiting to resume where it stopped (the window running it was closed)"


def hand_back(store: JobStore, db: Database, ctx: JobContext, owner: str) -> bool:
    """Blocking: queue ``ctx``'s job again and stop its handler; False when it is not ours to
    give back (its lease is lost, or a cancel was asked for: that one ends canceled). When the
    library cannot be written the handler is stopped all the same and the row, left to this
    closing process, is recovered later (``JobEngine.recover``), never canceled."""
    if ctx.lost or ctx.cancel_requested:
        return False
    try:
        row = store.hand_back(ctx.row, HANDED_BACK)
    except Exception:  # noqa: BLE001 - a library locked or gone: stop it all the same, never cancel it
        ctx.log.warning("could not be handed back to the queue now; it is recovered (queued again) later", exc_info=True)
        ctx.lose_lease()
        return True
    if row is None:
        return False
    ctx.lose_lease()  # the row is no longer this attempt's: the handler stops and records nothing
    freed = ItemStore(db).release_holder(ctx.id, owner)
    ctx.log.info("handed back to the queue (its attempt not spent; %d item(s) in progress wait again)", freed)
    return True


def let_go_items(db: Database, job_id: int, owner: str) -> None:
    """Blocking: the items of a batch this pool helped with wait again for any worker."""
    ItemStore(db).release_holder(job_id, owner)
