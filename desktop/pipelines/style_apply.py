"""``style.apply``: apply a style to a batch of photos, one job row with its items persisted
beside it (``desktop.jobs.items``).

Front doors call ``plan_apply`` (expand and check the inputs: what the apply dialog shows,
``apply_plan``) and ``start_apply`` (the same, then resume the unfinished batch that is exactly
this one, or queue a new one with its items in one transaction: ``apply_resume``); nothing is
created when the input is refused. The front door signs what it checked (``apply_grant``): a
batch whose payload or photos no front door signed is refused before any file is opened.
``batch_items`` reads a batch's items.

The handler only coordinates: it claims the pending items one by one and streams them to
worker processes (``desktop.jobs.processes``), which decode, grade and encode each photo into a
hidden temporary file in the output folder; the photo then gets its final name and the item is
recorded (``apply_photos``). A crash resumes at the first unfinished item; a finished item is
never redone; a retry of the job runs only its failed items again.

Several workers share one batch: the worker that claimed the job leads it (progress counts
everyone's photos; it ends the job once no photo is pending), and every other work pool with a
free slot helps (``assist_apply``, item-level claiming in ``desktop.jobs.items``). A photo a
worker cannot see fails with a sentence naming the path and that worker's host.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop import grants
from desktop.config import from_library, is_library_relative, relative_to_library
from desktop.errors import JobCanceled, JobEnded, LeaseLost, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.items import (
    DONE,
    FAILED,
    PENDING,
    Assist,
    AssistNotYet,
    Fence,
    Item,
    ItemRun,
    ItemStore,
    assist_check,
    lease_of,
)
from desktop.jobs.model import CANCELED
from desktop.jobs.model import FAILED as JOB_FAILED
from desktop.jobs.registry import register, register_assist
from desktop.library.reading import stored_strength
from desktop.pipelines.apply_grant import check_batch, sign_batch
from desktop.pipelines.apply_names import batch_tag, sweep_temps
from desktop.pipelines.apply_photos import HOST, Photos, Prepared, StyleGone, local_path
from desktop.pipelines.apply_plan import (  # noqa: F401 - front doors import them from here
    MAX_ITEMS,
    ApplyPlan,
    check_output_folder,
    default_output_folder,
    plan_apply,
)
from desktop.pipelines.apply_resume import batch_key, earlier_outputs, unfinished_batch
from desktop.text import printable, shown_path

log = logging.getLogger(__name__)

JOB_TYPE = "style.apply"
KNOWN_KEYS = ("style", "out", "format", "quality", "long_edge", "strength", "keep_metadata", "count", "key", "grant")
FORMATS = ("same", "jpeg", "png", "tiff", "webp")
LONG_EDGE = (16, 30000)
PROGRESS_READ = 0.25  # seconds between the lead's reads of everyone's item counts
STYLE_LOOK = 2.0  # seconds between the lead's looks at whether the style is still there
OUTPUT_GRACE = 30.0  # seconds after the job started that an assistant waits for its output folder


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


# --- the payload ----------------------------------------------------------------------------------


def validate_payload(payload: dict[str, Any]) -> None:
    """The whole ``style.apply`` payload, checked at enqueue: one sentence per refusal. The
    photos themselves are the job's items, stored beside the row."""
    unknown = sorted(str(k) for k in payload if k not in KNOWN_KEYS)
    if unknown:
        raise UserError(f"A style.apply payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(KNOWN_KEYS)}.")
    if not _is_int(payload.get("style")) or payload["style"] < 1:
        raise UserError("The style must be given by its id, a whole number like 3.")
    out = payload.get("out")
    if not isinstance(out, str) or not out.strip() or not (os.path.isabs(out) or is_library_relative(out)):
        raise UserError("The output folder must be a full path, like /home/me/Pictures/styled, or a folder inside the library folder, like exports/styled.")
    fmt = payload.get("format", "same")
    if fmt not in FORMATS:
        shown = fmt if isinstance(fmt, str) else repr(fmt)
        raise UserError(f"There is no output format '{shown[:40]}'; use same, jpeg, png, tiff or webp.")
    quality = payload.get("quality", 92)
    if not _is_int(quality) or not 1 <= quality <= 100:
        raise UserError("The quality must be a whole number from 1 to 100.")
    long_edge = payload.get("long_edge")
    if long_edge is not None and (not _is_int(long_edge) or not LONG_EDGE[0] <= long_edge <= LONG_EDGE[1]):
        raise UserError(f"The long edge must be a whole number of pixels from {LONG_EDGE[0]} to {LONG_EDGE[1]}, or left out.")
    strength = payload.get("strength")
    if strength is not None and (not _is_number(strength) or not 0 <= strength <= 100):
        raise UserError("The strength must be a number from 0 to 100 (percent), or left out for the style's own.")
    if not isinstance(payload.get("keep_metadata", True), bool):
        raise UserError("keep_metadata must be true or false.")
    count = payload.get("count")
    if count is not None and (not _is_int(count) or not 1 <= count <= MAX_ITEMS):
        raise UserError(f"A batch holds from 1 to {MAX_ITEMS:,} photos.")
    if payload.get("key") is not None and not _is_hex64(payload["key"]):
        raise UserError("A style.apply payload's key must be 64 hexadecimal digits, as 'stylestudio apply' writes it.")
    if not grants.well_formed(payload.get("grant")):
        raise UserError(
            "A batch is queued with 'stylestudio apply' or the Apply dialog, which check the photos and the output folder; "
            "a style.apply payload without their grant is refused."
        )


def find_style(runtime: Any, text: str | int) -> Any:
    """A style by id, or by its exact name; raises UserError when there is none (or several)."""
    from sqlalchemy import select

    from desktop.db.models import Style
    from desktop.library.reading import Library

    library = Library(runtime.db, runtime.paths)
    if isinstance(text, int) or str(text).strip().isdigit():
        return library.require(int(text))
    with runtime.db.read_session() as s:
        ids = list(s.scalars(select(Style.id).where(Style.name == str(text)).order_by(Style.id)))
    if not ids:
        raise UserError(f"There is no style named '{printable(str(text))[:80]}'; 'stylestudio styles list' shows the styles there are.")
    if len(ids) > 1:
        raise UserError(f"{len(ids)} styles are named '{printable(str(text))[:80]}'; give the id of the one you mean ({', '.join(map(str, ids[:5]))}).")
    return library.require(ids[0])


def _front_door(
    runtime: Any,
    style: str | int,
    inputs: list[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str] | None = None,
    format: str = "same",
    quality: int = 92,
    long_edge: int | None = None,
    strength: float | None = None,
    keep_metadata: bool = True,
    recursive: bool = False,
    plan: ApplyPlan | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Check everything; the payload (with its key and grant) and the inputs as stored."""
    info = find_style(runtime, style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file; make the style again, then apply it.")
    plan = plan or plan_apply(inputs, recursive=recursive, out=out)
    folder = check_output_folder(out) if out is not None else default_output_folder(info.name, plan.files[0])
    library = runtime.paths.library  # inside it, paths are stored relative: every machine finds them
    payload: dict[str, Any] = {
        "style": info.id,
        "out": relative_to_library(folder, library),
        "format": format,
        "quality": quality,
        "long_edge": long_edge,
        "strength": strength,
        "keep_metadata": keep_metadata,
        "count": len(plan.files),
    }
    payload["key"] = batch_key(info.id, recipe_for(info, strength), payload)
    stored = [relative_to_library(p, library) for p in plan.files]
    payload["grant"] = sign_batch(library, payload, stored)
    validate_payload(payload)
    return payload, stored


def enqueue_apply(runtime: Any, style: str | int, inputs: list[str | os.PathLike[str]], **options: Any) -> int:
    """Check everything, then queue a new batch with its items; returns the job id. Blocking
    (walks folders): call it off the GUI thread. Raises UserError with nothing created.
    ``options``: out, format, quality, long_edge, strength, keep_metadata, recursive, plan."""
    payload, stored = _front_door(runtime, style, inputs, **options)
    return ItemStore(runtime.db).enqueue_batch(runtime.engine, JOB_TYPE, payload, stored)


@dataclass(frozen=True)
class Started:
    """What ``start_apply`` did: queued a new batch, or found this same batch unfinished."""

    job_id: int
    resumed: bool = False  # an unfinished batch, exactly this one, goes on
    following: bool = False  # ... and another live worker runs it now
    done: int = 0
    total: int = 0

    def sentence(self, here: bool = True) -> str:
        """The one line a front door shows when it did not queue a new batch (``here``: the
        front door runs it now, else it only queued it)."""
        if not self.resumed:
            return ""
        where = "another worker is running it" if self.following else ("it goes on here" if here else "it stays queued")
        return (
            f"Job {self.job_id} is this same batch, not finished ({self.done} of {self.total} photos done): "
            f"{where}, and no photo is styled twice."
        )


def start_apply(runtime: Any, style: str | int, inputs: list[str | os.PathLike[str]], **options: Any) -> Started:
    """The front doors' Start: like ``enqueue_apply``, but when a queued or running batch is
    exactly this one (same style and look, photos, output folder and options: see
    ``apply_resume``), that batch is resumed instead of queueing a second one; a run of it whose
    process is gone (killed) is queued again at once."""
    payload, stored = _front_door(runtime, style, inputs, **options)
    store = ItemStore(runtime.db)
    found = unfinished_batch(store, JOB_TYPE, payload["key"], stored)
    if found is None:
        return Started(store.enqueue_batch(runtime.engine, JOB_TYPE, payload, stored))
    job_id, status = found
    if status == "running":
        try:  # its process is gone (killed): queued again now, not at the next heartbeat
            runtime.engine.recover()
        except Exception:  # noqa: BLE001 - a work pool's heartbeat recovers it shortly
            log.debug("Could not recover job %d now", job_id, exc_info=True)
    row = runtime.engine.get(job_id)
    if row is None or row.status not in ("queued", "running"):  # it ended meanwhile (or ran out of attempts)
        return Started(store.enqueue_batch(runtime.engine, JOB_TYPE, payload, stored))
    following = row.status == "running"
    counts = store.counts(job_id)
    return Started(job_id, resumed=True, following=following, done=counts[DONE], total=sum(counts.values()))


def batch_items(db: Any, job_id: int, library: Path | None = None) -> list[Item]:
    """A batch's items, in order: input, output, status (pending, done, failed), error. With
    ``library`` (this machine's library folder), paths stored relative to it are given in full
    (``local_items``)."""
    items = ItemStore(db).items(job_id)
    return items if library is None else local_items(items, library)


def local_items(items: list[Item], library: Path) -> list[Item]:
    """Items as this machine reads them: inputs and outputs stored relative to the library
    folder given in full; an output that leads outside it is left out, an input that does is
    shown as stored (it is only named, never opened, by readers)."""
    return [
        dataclasses.replace(i, input=local_path(i.input, library) or i.input, output=local_path(i.output, library)) for i in items
    ]


def _grade_text(params: dict[str, Any]) -> str | None:
    """The style's grade as JSON text, when its strength is a whole-number percent (the .cube
    was built from this grade at that strength): a photo is then graded by the grade built at
    the chosen strength, exactly like the .cube and the previews at the style's own strength.
    None for styles imported from a .cube or made by older versions (their .cube is mixed with
    the photo's colours instead)."""
    grade = params.get("grade")
    if isinstance(grade, dict) and grade and _is_int(params.get("strength")):
        return json.dumps(grade, sort_keys=True)
    return None


# --- the handler ----------------------------------------------------------------------------------


def recipe_for(info: Any, strength: float | None) -> Any:
    from desktop.imaging.apply import Recipe
    from desktop.imaging.looks import choose_looks

    params = info.params or {}
    names = params.get("looks")
    looks = choose_looks(info.description or "")
    if isinstance(names, list) and names:
        looks = [lk for lk in looks if lk.name in names]
    pct = stored_strength(params) if strength is None else float(strength)
    seed = params.get("seed")
    return Recipe(
        lut_path=str(info.lut_path),
        strength=pct / 100.0,
        looks=tuple(lk.to_dict() for lk in looks),
        seed=int(seed) if _is_int(seed) else 1,
        grade=_grade_text(params),
    )


def _prepare(db: Any, paths: Any, payload: dict[str, Any], job_id: int) -> Prepared:
    """Blocking: what every photo of the batch needs (the style's recipe, output options)."""
    from desktop.imaging.apply import OutputOptions
    from desktop.library.reading import Library

    style_id = int(payload["style"])
    info = Library(db, paths).require(style_id)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {style_id} has no colour grade file any more; make the style again, then apply it.")
    options = OutputOptions(
        format=payload.get("format", "same"),
        quality=int(payload.get("quality", 92)),
        long_edge=payload.get("long_edge"),
        keep_metadata=bool(payload.get("keep_metadata", True)),
    )
    fmt = payload.get("format", "same")
    out = from_library(payload["out"], paths.library, "The output folder")
    recipe = recipe_for(info, payload.get("strength"))
    tag = batch_tag(grants.library_id(paths.library), job_id)
    return Prepared(style_id, info.name, out, recipe, options, fmt, out_stored=payload["out"], library=paths.library, tag=tag)


def _granted_items(store: ItemStore, paths: Any, job_id: int, payload: dict[str, Any]) -> list[Item]:
    """Blocking: the batch's items, once its grant is checked against them (``NotGranted``:
    nothing was opened or made)."""
    items = store.items(job_id)
    if not items:
        raise UserError("This batch has no photos; start it again with 'stylestudio apply' or the Apply dialog.")
    check_batch(paths.library, payload, [i.input for i in items])
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


@register(JOB_TYPE, title="Apply style", retry_safe=True, validate=validate_payload)
async def apply_style(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The lead of a batch. Idempotent per item: items are keyed by (job, position) and a done
    item is skipped; other workers' pools may take items meanwhile (``assist_apply``)."""
    validate_payload(payload)
    db, paths = ctx.services["db"], ctx.services["paths"]
    store = ItemStore(db)
    items = await asyncio.to_thread(_granted_items, store, paths, ctx.id, payload)  # before anything is opened
    prepared = await asyncio.to_thread(_prepare, db, paths, payload, ctx.id)
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
    earlier = await asyncio.to_thread(earlier_outputs, store, JOB_TYPE, payload["key"], ctx.id) if payload.get("key") else {}

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
        raise JobEnded(JOB_FAILED, message="Stopped: the style was deleted", error=error, result=_result(prepared.style_id, payload["out"], counts)) from exc
    except JobCanceled as exc:
        if isinstance(exc, LeaseLost) or ctx.lost:
            raise
        counts = await asyncio.to_thread(store.counts, ctx.id)
        done = counts[DONE]
        message = f"Canceled after {done} of {len(items)}; {_photos_are(done)} in {shown_path(out)}"
        raise JobEnded(CANCELED, message=message, result=_result(prepared.style_id, payload["out"], counts)) from exc
    await asyncio.to_thread(sweep_temps, out, prepared.tag)  # nothing is in flight any more
    counts = await asyncio.to_thread(store.counts, ctx.id)
    result = _result(prepared.style_id, payload["out"], counts)
    if counts[FAILED]:
        first = next((i for i in await asyncio.to_thread(store.items, ctx.id) if i.status == FAILED), None)
        why = f" (the first: {first.error.rstrip('.')})" if first is not None and first.error else ""
        error = (
            f"{counts[FAILED]} of {len(items)} photos could not be styled{why}; {counts[DONE]} are in {shown_path(out)}. "
            "Retry the job to try the failed ones again."
        )
        raise JobEnded(JOB_FAILED, message=f"{counts[DONE]} done, {counts[FAILED]} failed", error=error, result=result)
    return result


@register_assist(JOB_TYPE)
async def assist_apply(assist: Assist) -> None:
    """Style pending photos of a batch another worker leads, until none is left to take. A
    worker that cannot reach the batch's output folder (not mounted here) leaves it to the
    others (UserError: the pool does not try that job again for a while)."""
    payload = assist.payload
    validate_payload(payload)
    db, paths = assist.services["db"], assist.services["paths"]
    store = ItemStore(db)
    items = await asyncio.to_thread(_granted_items, store, paths, assist.id, payload)  # before anything is opened
    out = from_library(payload["out"], paths.library, "The output folder")
    if not await asyncio.to_thread(out.is_dir):
        started = assist.row.started_at or time.time()
        if time.time() - started < OUTPUT_GRACE:
            raise AssistNotYet()  # the lead makes it as the job starts
        raise UserError(f"The output folder {shown_path(out)} cannot be reached from {HOST}; check that it is mounted there.")
    prepared = await asyncio.to_thread(_prepare, db, paths, payload, assist.id)
    earlier = await asyncio.to_thread(earlier_outputs, store, JOB_TYPE, payload["key"], assist.id) if payload.get("key") else {}
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
