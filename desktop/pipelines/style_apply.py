"""``style.apply``: apply a style to a batch of photos, one job row with its items persisted
beside it (``desktop.jobs.items``).

Front doors call ``plan_apply`` (expand and check the inputs: what the apply dialog shows) and
``enqueue_apply`` (the same, then queue the job with its items in one transaction); nothing is
created when the input is refused. ``batch_items`` reads a batch's items.

The handler only coordinates: it claims the pending items one by one and streams them to
worker processes (``desktop.jobs.processes``), which decode, grade and encode each photo into a
hidden temporary file in the output folder; the handler then gives it its final name (never
overwriting: " (2)", " (3)"...) and records the item. A crash resumes at the first unfinished
item; a finished item is never redone; a retry of the job runs only its failed items again.

Several workers share one batch: the worker that claimed the job leads it (progress counts
everyone's photos; it ends the job once no photo is pending), and every other work pool with a
free slot helps (``assist_apply``, item-level claiming in ``desktop.jobs.items``). A photo a
worker cannot see fails with a sentence naming the path and that worker's host.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    unreachable_input,
)
from desktop.jobs.model import CANCELED
from desktop.jobs.model import FAILED as JOB_FAILED
from desktop.jobs.registry import register, register_assist

JOB_TYPE = "style.apply"
KNOWN_KEYS = ("style", "out", "format", "quality", "long_edge", "strength", "keep_metadata", "count")
FORMATS = ("same", "jpeg", "png", "tiff", "webp")
LONG_EDGE = (16, 30000)
MAX_ITEMS = 100_000
TEMP_PREFIX = ".stylestudio-"
TEMP_SUFFIX = ".part"
WORKER_DEATHS = 2  # an item in flight when the worker pool broke this often fails
PROGRESS_READ = 0.25  # seconds between the lead's reads of everyone's item counts
HOST = socket.gethostname()
OUTPUT_GRACE = 30.0  # seconds after the job started that an assistant waits for its output folder


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
    validate_payload(payload)
    inputs = [relative_to_library(p, library) for p in plan.files]
    return ItemStore(runtime.db).enqueue_batch(runtime.engine, JOB_TYPE, payload, inputs)


def batch_items(db: Any, job_id: int, library: Path | None = None) -> list[Item]:
    """A batch's items, in order: input, output, status (pending, done, failed), error. With
    ``library`` (this machine's library folder), paths stored relative to it are given in full
    (``local_items``)."""
    items = ItemStore(db).items(job_id)
    return items if library is None else local_items(items, library)


def local_path(stored: str | None, library: Path, what: str = "The file") -> str | None:
    """A path an item or payload stores, on this machine (see ``from_library``); None when
    there is none or it leads outside the library folder."""
    if not stored:
        return None
    try:
        return str(from_library(stored, library, what))
    except UserError:
        return None


def local_items(items: list[Item], library: Path) -> list[Item]:
    """Items as this machine reads them: inputs and outputs stored relative to the library
    folder given in full; an output that leads outside it is left out, an input that does is
    shown as stored (it is only named, never opened, by readers)."""
    return [
        dataclasses.replace(i, input=local_path(i.input, library) or i.input, output=local_path(i.output, library)) for i in items
    ]


def style_strength(params: dict[str, Any]) -> float:
    """The style's own strength, 0..100 (``params["strength"]``, a whole number; 100 when
    missing). Fractions up to 1.0 were written by older versions as the grade's build strength:
    their .cube is used as it is, so 100 then too."""
    value = params.get("strength")
    if _is_int(value) and 0 <= value <= 100:
        return float(value)
    if not _is_number(value) or value <= 1 or value > 100:
        return 100.0
    return float(value)


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
    pct = style_strength(params) if strength is None else float(strength)
    seed = params.get("seed")
    return Recipe(
        lut_path=str(info.lut_path),
        strength=pct / 100.0,
        looks=tuple(lk.to_dict() for lk in looks),
        seed=int(seed) if _is_int(seed) else 1,
        grade=_grade_text(params),
    )


def temp_name(out: Path, job_id: int, position: int, tag: str | int) -> Path:
    """The hidden file a photo is written to before it gets its name (``tag``: the worker's)."""
    return out / f"{TEMP_PREFIX}{job_id}-{position}-{tag}{TEMP_SUFFIX}"


def _temp_position(name: str, job_id: int) -> int | None:
    """The item position in one of this job's temporary names, else None."""
    prefix = f"{TEMP_PREFIX}{job_id}-"
    if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
        return None
    head = name[len(prefix) :].split("-", 1)[0]
    return int(head) if head.isdigit() else -1


def _sweep_temps(out: Path, job_id: int, keep: Iterable[int] = ()) -> None:
    """Remove this job's temporary files, but those of items in ``keep`` (positions other
    workers are styling now)."""
    kept = set(keep)
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        position = _temp_position(entry.name, job_id)
        if position is not None and position not in kept:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _link_into_place(temp: Path, final: Path) -> bool:
    """Give ``temp`` the name ``final`` unless that name exists (False): never overwrites (a
    hard link fails when the name exists; where links are not supported, the name is checked
    just before ``os.replace``)."""
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (FAT, some network shares)
        if os.path.lexists(final):
            return False
        os.replace(temp, final)
        return True
    os.unlink(temp)
    return True


def _resolved(value: Any) -> asyncio.Future[Any]:
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    fut.set_result(value)
    return fut


@dataclass
class _Prepared:
    style_id: int
    out: Path  # on this machine
    recipe: Any
    options: Any
    format: str
    out_stored: str = ""  # as the payload stores it (relative to the library folder, or in full)
    library: Path = Path("/")  # this machine's library folder


def _prepare(db: Any, paths: Any, payload: dict[str, Any]) -> _Prepared:
    """Blocking: what every photo of the batch needs (the style's recipe, output options)."""
    from desktop.imaging.apply import OutputOptions
    from desktop.library import Library

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
    return _Prepared(style_id, out, recipe, options, fmt, out_stored=payload["out"], library=paths.library)


class _Photos:
    """The work of each item, the same for the lead and its assistants: a worker process
    decodes, grades and encodes the photo into a hidden temporary file in the output folder;
    then the photo gets its final name (reserved in the table first, never overwriting: " (2)",
    " (3)"...) and the item is recorded, fenced by the item's holder."""

    def __init__(self, store: ItemStore, fence: Fence, prepared: _Prepared, lease_seconds: float, log: Any) -> None:
        self.store = store
        self.fence = fence
        self.p = prepared
        self.out = prepared.out
        self.lease_seconds = lease_seconds
        self.log = log
        self.tag = f"{os.getpid()}x{secrets.token_hex(2)}"
        self.inflight: dict[int, tuple[Path, Any, Any]] = {}  # position -> (temp, pool, future)
        self.deaths: dict[int, int] = {}
        self.redo: set[int] = set()  # a recorded name that turned out to be another item's
        self.taken: set[str] = set()  # names this process saw taken
        self.done_here = 0
        self.last_output: str | None = None

    def stored(self, path: Path) -> str:
        """How an output in the output folder is recorded: in the same form as the payload's
        folder (relative to the library folder, or in full), so names compare as they are."""
        if os.path.isabs(self.p.out_stored) or not self.p.out_stored:
            return str(path)
        return f"{self.p.out_stored}/{path.name}"

    def wanted(self, item: Item) -> Path:
        from desktop.imaging.apply import output_suffix

        return self.out / (Path(item.input).stem + output_suffix(item.input, self.p.format))

    def start(self, item: Item) -> asyncio.Future[Any]:
        from desktop.imaging.apply import apply_to_file, pil_format_for
        from desktop.jobs import processes

        # A name recorded by an earlier run whose file is there: that run finished it.
        there = local_path(item.output, self.p.library)
        if item.output and item.position not in self.redo and there is not None and os.path.lexists(there):
            return _resolved({"ok": True, "placed": item.output})
        try:
            source = str(from_library(item.input, self.p.library, "The photo"))
        except UserError as exc:
            return _resolved({"ok": False, "error": str(exc)})
        missing = unreachable_input(source, HOST)
        if missing is not None:
            return _resolved({"ok": False, "error": missing})
        temp = temp_name(self.out, self.fence.job_id, item.position, self.tag)
        pool, future = processes.submit(
            apply_to_file, self.p.recipe, source, str(temp), self.p.options, pil_format_for(self.wanted(item))
        )
        self.inflight[item.position] = (temp, pool, future)
        return asyncio.wrap_future(future)

    async def finish(self, item: Item, outcome: asyncio.Future[Any]) -> bool:
        from desktop.jobs import processes

        temp, pool, _future = self.inflight.pop(item.position, (None, None, None))
        try:
            result = outcome.result()
        except Exception as exc:  # noqa: BLE001 - the worker process died (BrokenProcessPool)
            processes.discard_pool(pool)
            deaths = self.deaths.get(item.position, 0) + 1
            self.deaths[item.position] = deaths
            self.log.warning("a worker process ended while styling %s: %s", item.input, exc)
            if deaths < WORKER_DEATHS:
                if temp is not None:
                    temp.unlink(missing_ok=True)  # what the dead worker left half-written
                return True
            result = {
                "ok": False,
                "error": f'The worker process stopped while styling "{Path(item.input).name}" (it may be too big for the memory); try it alone, or a smaller copy.',
            }
        placed = result.get("placed")
        if placed is not None:
            if await asyncio.to_thread(self.store.output_taken, self.fence.job_id, item.position, placed):
                self.redo.add(item.position)  # that file is another photo's: style this one
                return True
            await self._record(item, DONE, output=placed)
            return False
        if not result.get("ok"):
            if result.get("detail"):
                self.log.error("styling %s failed:\n%s", item.input, result["detail"])
            await self._record(item, FAILED, error=result.get("error") or "This photo could not be styled.")
            return False
        assert temp is not None
        try:
            final = await asyncio.to_thread(self._place_and_record, item, temp)
        except LeaseLost:
            temp.unlink(missing_ok=True)
            raise
        self.done_here += 1
        self.last_output = str(final)
        return False

    def abandon(self, item: Item, outcome: asyncio.Future[Any]) -> None:
        entry = self.inflight.pop(item.position, None)
        if entry is not None:
            _discard_when_done(entry[2], entry[0])

    async def _record(self, item: Item, status: str, *, output: str | None = None, error: str | None = None) -> None:
        await asyncio.to_thread(
            self.store.set, self.fence, item.position, status=status, output=output, error=error, lease_seconds=self.lease_seconds
        )

    def _place_and_record(self, item: Item, temp: Path) -> Path:
        # The name is reserved (recorded) before the file gets it: a crash in between finds
        # the file under that name and counts the item done instead of making a second copy,
        # and no other worker gives that name to another photo.
        wanted = self.wanted(item)
        stem, suffix = wanted.stem, wanted.suffix
        for n in range(1, 100_000):
            candidate = wanted if n == 1 else wanted.with_name(f"{stem} ({n}){suffix}")
            name = self.stored(candidate)
            mine = name == item.output and item.position not in self.redo
            if (name in self.taken and not mine) or os.path.lexists(candidate):
                continue
            if not self.store.reserve(self.fence, item.position, name, self.lease_seconds):
                self.taken.add(name)  # another photo of the batch has it
                continue
            if not _link_into_place(temp, candidate):
                continue  # made meanwhile by something else
            self.taken.add(name)
            self.store.set(self.fence, item.position, status=DONE, output=name, lease_seconds=self.lease_seconds)
            return candidate
        raise UserError(f"No free name was found for {wanted.name} in {self.out}; choose an emptier output folder.")


class _Progress:
    """The lead's "Applying 37 of 120": everyone's items, read from the table a few times a
    second (that write is also where a cancel reaches the lead)."""

    def __init__(self, ctx: JobContext, store: ItemStore, total: int, counts: dict[str, int]) -> None:
        self.ctx = ctx
        self.store = store
        self.total = total
        self.counts = counts
        self.done_at_start = counts[DONE]
        self.started = time.monotonic()
        self.last = 0.0

    async def check(self) -> bool:
        self.ctx.check()
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


@register(JOB_TYPE, title="Apply style", retry_safe=True, validate=validate_payload)
async def apply_style(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The lead of a batch. Idempotent per item: items are keyed by (job, position) and a done
    item is skipped; other workers' pools may take items meanwhile (``assist_apply``)."""
    validate_payload(payload)
    store = ItemStore(ctx.services["db"])
    prepared = await asyncio.to_thread(_prepare, ctx.services["db"], ctx.services["paths"], payload)
    out = prepared.out
    try:
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"The output folder {out} could not be made ({exc.strerror or exc}); choose another folder.") from exc
    fence = Fence.of(ctx.row)
    if ctx.attempt == 1:  # a first run, or `jobs retry`: failed items get another chance
        await asyncio.to_thread(store.reset_failed, fence)
    others = await asyncio.to_thread(store.held_positions, ctx.id)  # photos assistants style now
    await asyncio.to_thread(_sweep_temps, out, ctx.id, [p for p, o in others.items() if o != fence.owner])
    items = await asyncio.to_thread(store.items, ctx.id)
    if not items:
        raise UserError("This batch has no photos; start it again with 'stylestudio apply' or the Apply dialog.")
    counts = {s: sum(1 for i in items if i.status == s) for s in (PENDING, DONE, FAILED)}
    progress = _Progress(ctx, store, len(items), counts)
    work = _Photos(store, fence, prepared, lease_of(ctx.row), ctx.log)
    work.taken = {i.output for i in items if i.output}
    run = ItemRun(store, fence, lease_seconds=lease_of(ctx.row), window=_window(), check=progress.check, sleep=ctx.sleep, log=ctx.log)
    try:
        await run.run(work)
    except JobCanceled as exc:
        if isinstance(exc, LeaseLost) or ctx.lost:
            raise
        counts = await asyncio.to_thread(store.counts, ctx.id)
        done = counts[DONE]
        message = f"Canceled after {done} of {len(items)}; {done} photo{'s' if done != 1 else ''} {'are' if done != 1 else 'is'} in {out}"
        raise JobEnded(CANCELED, message=message, result=_result(prepared.style_id, payload["out"], counts)) from exc
    await asyncio.to_thread(_sweep_temps, out, ctx.id)  # nothing is in flight any more
    counts = await asyncio.to_thread(store.counts, ctx.id)
    result = _result(prepared.style_id, payload["out"], counts)
    if counts[FAILED]:
        first = next((i for i in await asyncio.to_thread(store.items, ctx.id) if i.status == FAILED), None)
        why = f" (the first: {first.error.rstrip('.')})" if first is not None and first.error else ""
        error = (
            f"{counts[FAILED]} of {len(items)} photos could not be styled{why}; {counts[DONE]} are in {out}. "
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
    out = from_library(payload["out"], assist.services["paths"].library, "The output folder")
    if not await asyncio.to_thread(out.is_dir):
        started = assist.row.started_at or time.time()
        if time.time() - started < OUTPUT_GRACE:
            raise AssistNotYet()  # the lead makes it as the job starts
        raise UserError(f"The output folder {out} cannot be reached from {HOST}; check that it is mounted there.")
    store = ItemStore(assist.services["db"])
    prepared = await asyncio.to_thread(_prepare, assist.services["db"], assist.services["paths"], payload)
    await _warm_processes()  # before taking photos: none waits while Python processes start
    work = _Photos(store, assist.fence, prepared, assist.lease_seconds, assist.log)
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
