"""``style.apply``: apply a style to a batch of photos, one job row with its items persisted
beside it (``desktop.jobs.items``). The front doors queue it through ``request``.

The handler only coordinates: it claims the pending items one by one and streams them to
worker processes (``desktop.jobs.processes``), which decode, grade and encode each photo into a
hidden temporary file in the output folder; the photo then gets its final name and the item is
recorded (``photos``). A crash resumes at the first unfinished item; a finished item is never
redone; a retry of the job runs only its failed items again.

Several workers share one batch: the worker that claimed the job leads it (progress counts
everyone's photos; it ends the job once no photo is pending), and every other work pool with a
free slot helps (``assist_apply``, item-level claiming in ``desktop.jobs.items``). A photo a
worker cannot see fails with a sentence naming the path and that worker's host.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from desktop import grants
from desktop.config import from_library
from desktop.errors import JobCanceled, JobEnded, LeaseLost, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.item_model import DONE, FAILED, PENDING, Fence, Item
from desktop.jobs.items import Assist, AssistNotYet, ItemRun, ItemStore, assist_check, lease_of
from desktop.jobs.model import CANCELED, SUCCEEDED
from desktop.jobs.model import FAILED as JOB_FAILED
from desktop.jobs.registry import register, register_assist
from desktop.pipelines.apply.grant import check_batch
from desktop.pipelines.apply.names import batch_tag, sweep_temps
from desktop.pipelines.apply.photos import HOST, Photos, Prepared, StyleGone
from desktop.pipelines.apply.recipe import recipe_for
from desktop.pipelines.apply.request import JOB_TYPE, ApplyPayload
from desktop.pipelines.apply.resume import earlier_outputs
from desktop.pipelines.apply.template import day_of
from desktop.text import printable, shown_path

log = logging.getLogger(__name__)

PROGRESS_READ = 0.25  # seconds between the lead's reads of everyone's item counts
STYLE_LOOK = 2.0  # seconds between the lead's looks at whether the style is still there
OUTPUT_GRACE = 30.0  # seconds after the job started that an assistant waits for its output folder


def _prepare(db: Any, paths: Any, payload: ApplyPayload, job_id: int, queued_at: float) -> Prepared:
    """Blocking: what every photo of the batch needs (the style's recipe, output options)."""
    from desktop.imaging.apply import OutputOptions
    from desktop.library.reading import Library

    style_id = payload.style
    info = Library(db, paths).require(style_id)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {style_id} has no colour grade file any more; make the style again, then apply it.")
    options = OutputOptions(
        format=payload.format, quality=payload.quality, long_edge=payload.long_edge, keep_metadata=payload.keep_metadata,
        depth=payload.depth, colour_space=payload.colour_space, strip_location=payload.strip_location,
    )
    out = from_library(payload.out, paths.library, "The output folder")
    recipe = recipe_for(info, payload.strength, **payload.levels())
    tag = batch_tag(grants.library_id(paths.library), job_id)
    return Prepared(
        style_id, info.name, out, recipe, options, payload.format, out_stored=payload.out, library=paths.library, tag=tag,
        name_template=payload.name, date=day_of(queued_at), name_style=payload.style_name or info.name,
    )


def _granted_items(store: ItemStore, paths: Any, job_id: int, payload: ApplyPayload) -> list[Item]:
    """Blocking: the batch's items, once its grant is checked against them (``NotGranted``:
    nothing was opened or made)."""
    items = store.items(job_id)
    if not items:
        raise UserError("This batch has no photos; start it again with 'stylestudio apply' or the Apply dialog.")
    check_batch(paths.library, payload.to_dict(), [i.input for i in items])  # signed as the model's dict
    return items


def _style_gone(db: Any, paths: Any, prepared: Prepared) -> str | None:
    """Blocking: how the batch's style went away while it ran ('The style “X” was deleted'),
    or None while it is there."""
    from desktop.library.reading import Library

    name = printable(prepared.style_name)
    if Library(db, paths).get(prepared.style_id) is None:
        return f"The style \u201c{name}\u201d was deleted"
    if not prepared.recipe.grade and not os.path.isfile(prepared.recipe.lut_path):
        return f"The colour grade file of the style \u201c{name}\u201d was deleted"
    return None


class _Progress:
    """The lead's "Applying 37 of 120": everyone's items, read from the table a few times a
    second (that write is also where a cancel reaches the lead); and now and then a look at
    whether the style is still there (``StyleGone`` stops the batch)."""

    def __init__(self, ctx: JobContext, store: ItemStore, total: int, counts: dict[str, int], style_gone: Any) -> None:
        self.ctx = ctx
        self.store = store
        self.total = total
        self.counts = counts
        self.done_at_start = counts[DONE]
        self.started = time.monotonic()
        self.last = 0.0
        self.style_gone = style_gone
        self.style_looked = time.monotonic()

    async def check(self) -> bool:
        self.ctx.check()
        if time.monotonic() - self.style_looked >= STYLE_LOOK:
            self.style_looked = time.monotonic()
            gone = await asyncio.to_thread(self.style_gone)
            if gone:
                raise StyleGone(gone)
        if time.monotonic() - self.last >= PROGRESS_READ:
            self.last = time.monotonic()
            self.counts = await asyncio.to_thread(self.store.counts, self.ctx.id)
            done, failed = self.counts[DONE], self.counts[FAILED]
            at = min(self.total, done + failed + 1)
            elapsed = time.monotonic() - self.started
            new = done - self.done_at_start
            rate = f" \u00b7 {new / elapsed:.1f} photos/s" if new > 0 and elapsed > 0 else ""
            self.ctx.progress((done + failed) / max(1, self.total), f"Applying {at} of {self.total}{rate}")
        return False


def _window() -> int:
    from desktop.jobs import processes

    return max(2, processes.worker_count() * 2)  # a few photos in flight per worker process


def _photos_are(n: int) -> str:
    return f"{n} photo{'s' if n != 1 else ''} {'are' if n != 1 else 'is'}"


@register(JOB_TYPE, title="Apply style", retry_safe=True, payload=ApplyPayload)
async def apply_style(ctx: JobContext, payload: ApplyPayload) -> dict[str, Any]:
    """The lead of a batch. Idempotent per item: items are keyed by (job, position) and a done
    item is skipped; other workers' pools may take items meanwhile (``assist_apply``). The
    engine parses the stored row into ``payload`` first (a row queued by an older version, or
    written around the engine, that the model refuses fails the job with its sentence)."""
    db, paths = ctx.services["db"], ctx.services["paths"]
    store = ItemStore(db)
    items = await asyncio.to_thread(_granted_items, store, paths, ctx.id, payload)  # before anything is opened
    prepared = await asyncio.to_thread(_prepare, db, paths, payload, ctx.id, ctx.row.created_at)
    out = prepared.out
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"The output folder {shown_path(out)} could not be made ({exc.strerror or exc}); choose another folder.") from exc
    fence = Fence.of(ctx.row)
    if ctx.attempt == 1:  # a first run, or `jobs retry`: failed items get another chance
        await asyncio.to_thread(store.reset_failed, fence)
    await asyncio.to_thread(store.release_dead, ctx.id)  # a killed run's photos: free now
    others = await asyncio.to_thread(store.held_positions, ctx.id)  # photos assistants style now
    await asyncio.to_thread(sweep_temps, out, prepared.tag, [p for p, o in others.items() if o != fence.owner])
    items = await asyncio.to_thread(store.items, ctx.id)
    earlier = await asyncio.to_thread(earlier_outputs, store, JOB_TYPE, payload.key, ctx.id) if payload.key else {}

    def style_gone() -> str | None:
        return _style_gone(db, paths, prepared)

    counts = {s: sum(1 for i in items if i.status == s) for s in (PENDING, DONE, FAILED)}
    progress = _Progress(ctx, store, len(items), counts, style_gone)
    expected = {i.position: i.input for i in items}
    work = Photos(store, fence, prepared, lease_of(ctx.row), ctx.log, expected=expected, earlier=earlier, style_gone=style_gone)
    work.taken = {i.output for i in items if i.output}
    run = ItemRun(store, fence, lease_seconds=lease_of(ctx.row), window=_window(), check=progress.check, sleep=ctx.sleep, log=ctx.log)
    try:
        await run.run(work)
    except StyleGone as exc:
        await asyncio.to_thread(sweep_temps, out, prepared.tag)
        counts = await asyncio.to_thread(store.counts, ctx.id)
        error = f"{exc} while the batch was running, so it stopped; {_photos_are(counts[DONE])} in {shown_path(out)}."
        raise JobEnded(JOB_FAILED, message="Stopped: the style was deleted", error=error, result=_result(prepared.style_id, payload.out, counts)) from exc
    except JobCanceled as exc:
        if isinstance(exc, LeaseLost) or ctx.lost:
            raise
        counts = await asyncio.to_thread(store.counts, ctx.id)
        done = counts[DONE]
        message = f"Canceled after {done} of {len(items)}; {_photos_are(done)} in {shown_path(out)}"
        raise JobEnded(CANCELED, message=message, result=_result(prepared.style_id, payload.out, counts)) from exc
    await asyncio.to_thread(sweep_temps, out, prepared.tag)  # nothing is in flight any more
    counts = await asyncio.to_thread(store.counts, ctx.id)
    result = _result(prepared.style_id, payload.out, counts)
    if counts[FAILED]:
        first = next((i for i in await asyncio.to_thread(store.items, ctx.id) if i.status == FAILED), None)
        why = f" (the first: {first.error.rstrip('.')})" if first is not None and first.error else ""
        if counts[DONE]:  # a success with problems: the styled photos are there to use
            problems = f"{counts[FAILED]} of {len(items)} photos could not be styled{why}. Retry failed tries them again."
            raise JobEnded(SUCCEEDED, message=partial_message(counts[DONE], len(items), counts[FAILED]), result={**result, "problems": problems})
        error = (
            f"{counts[FAILED]} of {len(items)} photos could not be styled{why}; {counts[DONE]} are in {shown_path(out)}. "
            "Retry the job to try the failed ones again."
        )
        raise JobEnded(JOB_FAILED, message=f"{counts[DONE]} done, {counts[FAILED]} failed", error=error, result=result)
    return result


def partial_message(done: int, total: int, failed: int) -> str:
    """What a batch that styled some photos and not others says everywhere it is shown."""
    return f"Done · {done} of {total} photos · {failed} could not be styled"


@register_assist(JOB_TYPE)
async def assist_apply(assist: Assist) -> None:
    """Style pending photos of a batch another worker leads, until none is left to take. A
    worker that cannot reach the batch's output folder (not mounted here) leaves it to the
    others (UserError: the pool does not try that job again for a while)."""
    payload = ApplyPayload.parse(assist.payload)
    db, paths = assist.services["db"], assist.services["paths"]
    store = ItemStore(db)
    items = await asyncio.to_thread(_granted_items, store, paths, assist.id, payload)  # before anything is opened
    out = from_library(payload.out, paths.library, "The output folder")
    if not await asyncio.to_thread(out.is_dir):
        started = assist.row.started_at or time.time()
        if time.time() - started < OUTPUT_GRACE:
            raise AssistNotYet()  # the lead makes it as the job starts
        raise UserError(f"The output folder {shown_path(out)} cannot be reached from {HOST}; check that it is mounted there.")
    prepared = await asyncio.to_thread(_prepare, db, paths, payload, assist.id, assist.row.created_at)
    earlier = await asyncio.to_thread(earlier_outputs, store, JOB_TYPE, payload.key, assist.id) if payload.key else {}
    await _warm_processes()  # before taking photos: none waits while Python processes start
    expected = {i.position: i.input for i in items}
    work = Photos(
        store, assist.fence, prepared, assist.lease_seconds, assist.log,
        expected=expected, earlier=earlier, style_gone=lambda: _style_gone(db, paths, prepared),
    )
    run = ItemRun(store, assist.fence, lease_seconds=assist.lease_seconds, window=_window(), check=assist_check(assist, store), log=assist.log)
    await run.run(work)
    if work.done_here:
        assist.log.info("styled %d photo(s) of this batch", work.done_here)


async def _warm_processes() -> None:
    """Start this process's photo workers (each importing the photo code), if not yet."""
    from desktop.jobs import processes

    try:
        await asyncio.gather(*(asyncio.wrap_future(f) for f in processes.warm(("desktop.imaging.apply",))))
    except Exception:  # noqa: BLE001 - the first photo's task will say what is wrong
        pass


def _result(style_id: int, out: str, counts: dict[str, int]) -> dict[str, Any]:
    """``out`` as the payload stores it: relative to the library folder when inside it, so every
    machine's window offers its own path to the folder."""
    return {"table": "styles", "id": style_id, "out": out, "done": counts[DONE], "failed": counts[FAILED]}
