"""``style.apply``: apply a style to a batch of photos, one job row with its items persisted
beside it (``desktop.jobs.items``).

Front doors call ``plan_apply`` (expand and check the inputs: what the apply dialog shows) and
``enqueue_apply`` (the same, then queue the job with its items in one transaction); nothing is
created when the input is refused. ``batch_items`` reads a batch's items.

The handler only coordinates: it streams the pending items to worker processes
(``desktop.jobs.processes``), which decode, grade and encode each photo into a hidden temporary
file in the output folder; the handler then gives it its final name (never overwriting: " (2)",
" (3)"...) and records the item. A crash resumes at the first unfinished item; a finished item
is never redone; a retry of the job runs only its failed items again.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.errors import JobCanceled, JobEnded, LeaseLost, UserError
from desktop.jobs.context import JobContext
from desktop.jobs.items import DONE, FAILED, PENDING, Fence, Item, ItemStore
from desktop.jobs.model import CANCELED
from desktop.jobs.model import FAILED as JOB_FAILED
from desktop.jobs.registry import register

JOB_TYPE = "style.apply"
KNOWN_KEYS = ("style", "out", "format", "quality", "long_edge", "strength", "keep_metadata", "count")
FORMATS = ("same", "jpeg", "png", "tiff", "webp")
LONG_EDGE = (16, 30000)
MAX_ITEMS = 100_000
TEMP_PREFIX = ".stylestudio-"
TEMP_SUFFIX = ".part"
WORKER_DEATHS = 2  # an item in flight when the worker pool broke this often fails


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float)) and not isinstance(value, bool) and math.isfinite(value)


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
    if not isinstance(out, str) or not out.strip() or not os.path.isabs(out):
        raise UserError("The output folder must be a full path, like /home/me/Pictures/styled.")
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


# --- the inputs (front doors) ---------------------------------------------------------------------


@dataclass
class ApplyPlan:
    """What the inputs expand to, before anything is queued (what the apply dialog shows)."""

    files: list[Path]
    skipped: list[Path] = field(default_factory=list)  # not images, by name
    total_bytes: int = 0

    @property
    def skipped_sentence(self) -> str:
        n = len(self.skipped)
        return "" if not n else f"{n} file{'s' if n != 1 else ''} skipped: not images"


def _is_ours(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def plan_apply(inputs: list[str | os.PathLike[str]], *, recursive: bool = False, out: str | os.PathLike[str] | None = None) -> ApplyPlan:
    """Expand files and folders into the photos to style (folders walked: their top level, or
    every level with ``recursive``; hidden files and non-images skipped and counted). A named
    file is taken whatever its extension: intake judges it. Raises UserError when an input does
    not exist or no photo is found."""
    from desktop.imaging.apply import PHOTO_SUFFIXES

    if not inputs:
        raise UserError("Name at least one photo or folder to apply the style to.")
    skip_dir = os.path.realpath(out) if out else None
    plan = ApplyPlan(files=[])
    seen: set[str] = set()

    def take(path: Path) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        plan.files.append(path)
        try:
            plan.total_bytes += path.stat().st_size
        except OSError:
            pass

    for raw in inputs:
        path = Path(raw).expanduser().absolute()
        if path.is_dir():
            walker = os.walk(path) if recursive else [(str(path), [], [e.name for e in os.scandir(path) if e.is_file()])]
            for folder, dirs, names in walker:
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.realpath(os.path.join(folder, d)) != skip_dir)
                for name in sorted(names):
                    file = Path(folder) / name
                    if _is_ours(name) or name.startswith("."):
                        continue
                    if file.suffix.lower() in PHOTO_SUFFIXES:
                        take(file)
                    else:
                        plan.skipped.append(file)
        elif path.is_file():
            take(path)
        elif path.exists():
            raise UserError(f"{path} is neither a file nor a folder; name photos or folders of photos.")
        else:
            raise UserError(f"{path} does not exist; check the name, or name another photo or folder.")
    if not plan.files:
        where = "in the folder" if len(inputs) == 1 else "in the folders"
        deeper = "" if recursive else " (use --recursive / 'Include subfolders' to look inside subfolders)"
        raise UserError(f"No photos were found {where} given{deeper}; name JPEG, PNG, TIFF or WebP files.")
    if len(plan.files) > MAX_ITEMS:
        raise UserError(f"That is {len(plan.files):,} photos; a batch holds at most {MAX_ITEMS:,}, so split it into several.")
    return plan


def check_output_folder(out: str | os.PathLike[str]) -> Path:
    """The output folder as a full path; refused (one sentence) when it cannot be written. A
    folder that does not exist yet is made when the job starts."""
    path = Path(out).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise UserError(f"The output folder {path} is a file; name a folder for the styled photos.")
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"The output folder {path} cannot be written to; choose a folder you can write to.")
    return path


def default_output_folder(style_name: str, first_input: str | os.PathLike[str]) -> Path:
    """A new folder named after the style beside the first input's folder."""
    first = Path(first_input).expanduser().absolute()
    folder = first if first.is_dir() else first.parent
    safe = "".join(c if c.isalnum() or c in " -_.,()" else "_" for c in style_name).strip(" .") or "Styled"
    base = folder.parent / safe[:80]
    candidate, n = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name} ({n})")
        n += 1
    return candidate


def find_style(runtime: Any, text: str | int) -> Any:
    """A style by id, or by its exact name; raises UserError when there is none (or several)."""
    from sqlalchemy import select

    from desktop.db.models import Style
    from desktop.library import Library

    library = Library(runtime.db, runtime.paths)
    if isinstance(text, int) or str(text).strip().isdigit():
        return library.require(int(text))
    with runtime.db.read_session() as s:
        ids = list(s.scalars(select(Style.id).where(Style.name == str(text)).order_by(Style.id)))
    if not ids:
        raise UserError(f"There is no style named '{str(text)[:80]}'; 'stylestudio styles list' shows the styles there are.")
    if len(ids) > 1:
        raise UserError(f"{len(ids)} styles are named '{str(text)[:80]}'; give the id of the one you mean ({', '.join(map(str, ids[:5]))}).")
    return library.require(ids[0])


def enqueue_apply(
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
) -> int:
    """Check everything, then queue the batch with its items; returns the job id. Blocking
    (walks folders): call it off the GUI thread. Raises UserError with nothing created."""
    info = find_style(runtime, style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file; make the style again, then apply it.")
    plan = plan or plan_apply(inputs, recursive=recursive, out=out)
    folder = check_output_folder(out) if out is not None else default_output_folder(info.name, plan.files[0])
    payload: dict[str, Any] = {
        "style": info.id,
        "out": str(folder),
        "format": format,
        "quality": quality,
        "long_edge": long_edge,
        "strength": strength,
        "keep_metadata": keep_metadata,
        "count": len(plan.files),
    }
    validate_payload(payload)
    return ItemStore(runtime.db).enqueue_batch(runtime.engine, JOB_TYPE, payload, [str(p) for p in plan.files])


def batch_items(db: Any, job_id: int) -> list[Item]:
    """A batch's items, in order: input, output, status (pending, done, failed), error."""
    return ItemStore(db).items(job_id)


def style_strength(params: dict[str, Any]) -> float:
    """The style's own strength, 0..100 (``params["strength"]``; 100 when missing). Values up
    to 1 were written by older versions as the grade's build strength: 100 then too."""
    value = params.get("strength")
    if not _is_number(value) or value <= 1 or value > 100:
        return 100.0
    return float(value)


# --- the handler ----------------------------------------------------------------------------------


def recipe_for(info: Any, strength: float | None) -> Any:
    from desktop.imaging.apply import Recipe
    from desktop.imaging.looks import choose_looks

    params = info.params or {}
    names = params.get("looks")
    looks = choose_looks(info.description or "")
    if isinstance(names, list) and names:
        looks = [lk for lk in looks if lk.name in names]
    pct = style_strength(params) if strength is None else float(strength)
    seed = params.get("seed")
    return Recipe(
        lut_path=str(info.lut_path),
        strength=pct / 100.0,
        looks=tuple(lk.to_dict() for lk in looks),
        seed=int(seed) if _is_int(seed) else 1,
    )


def temp_name(out: Path, job_id: int, position: int, attempt: int) -> Path:
    return out / f"{TEMP_PREFIX}{job_id}-{position}-{attempt}{TEMP_SUFFIX}"


def _sweep_temps(out: Path, job_id: int, keep: set[Path] | None = None) -> None:
    prefix = f"{TEMP_PREFIX}{job_id}-"
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX) and Path(entry.path) not in (keep or set()):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _place(temp: Path, wanted: Path, taken: set[str]) -> Path | None:
    """Give ``temp`` the name ``wanted``, or ``wanted (2)``, ``(3)``... whichever is free; never
    overwrites (a hard link fails when the name exists; where links are not supported, the
    name is checked just before ``os.replace``). Returns the name used."""
    stem, suffix = wanted.stem, wanted.suffix
    for n in range(1, 100_000):
        final = wanted if n == 1 else wanted.with_name(f"{stem} ({n}){suffix}")
        if (str(final) in taken and n > 1) or os.path.lexists(final):
            continue
        try:
            os.link(temp, final)
        except FileExistsError:
            continue
        except OSError:
            os.replace(temp, final)  # no hard links here (FAT, some network shares)
            return final
        os.unlink(temp)
        return final
    return None


class _Batch:
    def __init__(self, ctx: JobContext, payload: dict[str, Any], store: ItemStore, out: Path, recipe: Any, options: Any) -> None:
        self.ctx = ctx
        self.store = store
        self.fence = Fence.of(ctx.row)
        self.out = out
        self.recipe = recipe
        self.options = options
        self.format = payload.get("format", "same")
        self.total = 0
        self.done = 0
        self.failed = 0
        self.done_here = 0
        self.started = time.monotonic()
        self.taken: set[str] = set()
        self.deaths: dict[int, int] = {}
        self.last_output: str | None = None

    def wanted(self, item: Item) -> Path:
        from desktop.imaging.apply import output_suffix

        return self.out / (Path(item.input).stem + output_suffix(item.input, self.format))

    def report(self) -> None:
        at = min(self.total, self.done + self.failed + 1)
        elapsed = time.monotonic() - self.started
        rate = f" \u00b7 {self.done_here / elapsed:.1f} photos/s" if self.done_here and elapsed > 0 else ""
        self.ctx.progress((self.done + self.failed) / max(1, self.total), f"Applying {at} of {self.total}{rate}")

    async def record(self, item: Item, status: str, *, output: str | None = None, error: str | None = None) -> None:
        await asyncio.to_thread(self.store.set, self.fence, item.position, status=status, output=output, error=error)

    async def finish_item(self, item: Item, temp: Path, result: dict[str, Any]) -> None:
        if not result.get("ok"):
            if result.get("detail"):
                self.ctx.log.error("styling %s failed:\n%s", item.input, result["detail"])
            await self.record(item, FAILED, error=result.get("error") or "This photo could not be styled.")
            self.failed += 1
            return
        final = await asyncio.to_thread(self._place_and_record, item, temp)
        self.done += 1
        self.done_here += 1
        self.last_output = str(final)

    def _place_and_record(self, item: Item, temp: Path) -> Path:
        # The name is recorded before the file gets it: a crash in between finds the file
        # under that name and counts the item done instead of making a second copy.
        wanted = self.wanted(item)
        stem, suffix = wanted.stem, wanted.suffix
        for n in range(1, 100_000):
            candidate = wanted if n == 1 else wanted.with_name(f"{stem} ({n}){suffix}")
            mine = str(candidate) == item.output  # recorded by an earlier run that stopped before the file got it
            if (str(candidate) in self.taken and not mine) or os.path.lexists(candidate):
                continue
            self.store.set(self.fence, item.position, status=PENDING, output=str(candidate))
            placed = _place(temp, candidate, self.taken)
            if placed is None:
                break
            self.taken.add(str(placed))
            self.store.set(self.fence, item.position, status=DONE, output=str(placed))
            return placed
        raise UserError(f"No free name was found for {wanted.name} in {self.out}; choose an emptier output folder.")


@register(JOB_TYPE, title="Apply style", retry_safe=True, validate=validate_payload)
async def apply_style(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Idempotent per item: items are keyed by (job, position) and a done item is skipped."""
    from desktop.imaging.apply import OutputOptions
    from desktop.library import Library

    validate_payload(payload)
    db = ctx.services["db"]
    paths = ctx.services["paths"]
    store = ItemStore(db)
    style_id = int(payload["style"])
    out = Path(payload["out"])
    info = await asyncio.to_thread(Library(db, paths).require, style_id)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {style_id} has no colour grade file any more; make the style again, then apply it.")
    recipe = recipe_for(info, payload.get("strength"))
    options = OutputOptions(
        format=payload.get("format", "same"),
        quality=int(payload.get("quality", 92)),
        long_edge=payload.get("long_edge"),
        keep_metadata=bool(payload.get("keep_metadata", True)),
    )
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"The output folder {out} could not be made ({exc.strerror or exc}); choose another folder.") from exc
    fence = Fence.of(ctx.row)
    if ctx.attempt == 1:  # a first run, or `jobs retry`: failed items get another chance
        await asyncio.to_thread(store.reset_failed, fence)
    await asyncio.to_thread(_sweep_temps, out, ctx.id)
    items = await asyncio.to_thread(store.items, ctx.id)
    if not items:
        raise UserError("This batch has no photos; start it again with 'stylestudio apply' or the Apply dialog.")
    batch = _Batch(ctx, payload, store, out, recipe, options)
    batch.total = len(items)
    batch.done = sum(1 for i in items if i.status == DONE)
    batch.failed = sum(1 for i in items if i.status == FAILED)
    batch.taken = {i.output for i in items if i.output}
    todo = [i for i in items if i.status == PENDING]
    try:
        await _run_items(ctx, batch, todo)
    except JobCanceled as exc:
        if isinstance(exc, LeaseLost) or ctx.lost:
            raise
        message = f"Canceled after {batch.done} of {batch.total}; {batch.done} photo{'s' if batch.done != 1 else ''} {'are' if batch.done != 1 else 'is'} in {out}"
        raise JobEnded(CANCELED, message=message, result=_result(style_id, out, batch)) from exc
    await asyncio.to_thread(_sweep_temps, out, ctx.id)  # nothing is in flight any more
    result = _result(style_id, out, batch)
    if batch.failed:
        first = next((i for i in await asyncio.to_thread(store.items, ctx.id) if i.status == FAILED), None)
        why = f" (the first: {first.error.rstrip('.')})" if first is not None and first.error else ""
        error = (
            f"{batch.failed} of {batch.total} photos could not be styled{why}; {batch.done} are in {out}. "
            "Retry the job to try the failed ones again."
        )
        raise JobEnded(JOB_FAILED, message=f"{batch.done} done, {batch.failed} failed", error=error, result=result)
    return result


def _result(style_id: int, out: Path, batch: _Batch) -> dict[str, Any]:
    return {"table": "styles", "id": style_id, "out": str(out), "done": batch.done, "failed": batch.failed}


async def _run_items(ctx: JobContext, batch: _Batch, todo: list[Item]) -> None:
    """Keep the worker processes busy with the pending items (a few in flight per worker),
    finish each as it comes back, in any order; stops within a fraction of a second of a
    cancel (photos being styled are left to finish in the background and thrown away)."""
    from desktop.imaging.apply import apply_to_file, pil_format_for
    from desktop.jobs import processes

    queue = list(reversed(todo))
    window = max(2, processes.worker_count() * 2)
    inflight: dict[asyncio.Future[Any], tuple[Item, Path, Any, Any]] = {}
    attempt = ctx.attempt
    batch.report()
    try:
        while queue or inflight:
            ctx.check()
            while queue and len(inflight) < window:
                item = queue.pop()
                # A name recorded by an earlier run whose file is there: that run finished it.
                if item.output and os.path.lexists(item.output):
                    await batch.record(item, DONE, output=item.output)
                    batch.done += 1
                    continue
                temp = temp_name(batch.out, ctx.id, item.position, attempt)
                pool, future = processes.submit(
                    apply_to_file, batch.recipe, item.input, str(temp), batch.options, pil_format_for(batch.wanted(item))
                )
                inflight[asyncio.wrap_future(future)] = (item, temp, pool, future)
            if not inflight:
                continue
            done, _ = await asyncio.wait(list(inflight), timeout=0.2, return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                item, temp, pool, _cfuture = inflight.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - the worker process died (BrokenProcessPool)
                    processes.discard_pool(pool)
                    deaths = batch.deaths.get(item.position, 0) + 1
                    batch.deaths[item.position] = deaths
                    ctx.log.warning("a worker process ended while styling %s: %s", item.input, exc)
                    if deaths < WORKER_DEATHS:
                        temp.unlink(missing_ok=True)  # what the dead worker left half-written
                        queue.append(item)
                        continue
                    result = {
                        "ok": False,
                        "error": f'The worker process stopped while styling "{Path(item.input).name}" (it may be too big for the memory); try it alone, or a smaller copy.',
                    }
                await batch.finish_item(item, temp, result)
            batch.report()
    finally:
        for _item, temp, _pool, cfuture in inflight.values():
            _discard_when_done(cfuture, temp)


def _discard_when_done(cfuture: Any, temp: Path) -> None:
    """A photo still being styled when the batch stopped: not started, it is dropped; started,
    its temporary file goes when the worker is done with it."""

    def remove(_f: Any) -> None:
        try:
            os.unlink(temp)
        except OSError:
            pass

    cfuture.cancel()
    cfuture.add_done_callback(remove)  # at once when it is done or was canceled
