"""``style.apply``, the front doors' side (the only module of this slice the window and the
command line import): the payload (``ApplyPayload``); ``plan_apply`` expands and checks the
inputs (what the apply dialog shows and ``stylestudio apply`` checks), ``start_apply`` does
the same, then resumes the unfinished batch that is exactly this one or queues a new one with
its items in one transaction (``resume``); nothing is created when the input is refused. The
front door signs what it checked (``grant``): a batch whose payload or photos no front door
signed is refused before any file is opened. ``batch_items`` reads a batch's items.

What inputs expand to: one rule for every file, whether a folder walk found it or a person
named it: a regular file is taken (a named one whatever its extension, a walked one when its
extension is a photo's); anything else is skipped and counted with its reason, and never opened
(a pipe or a device named ``.jpg`` would block whoever opens it): only ``stat`` looks at it. A
name longer than a folder can hold, or a path that does not exist, is refused in one sentence.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from desktop import grants
from desktop.config import is_library_relative, relative_to_library
from desktop.errors import UserError
from desktop.jobs.items import DONE, Item, ItemStore
from desktop.library.writing import MAX_NAME
from desktop.pipelines.apply import template as naming
from desktop.pipelines.apply.grant import sign_batch
from desktop.pipelines.apply.names import is_ours, output_name, refuse_too_long
from desktop.pipelines.apply.photos import local_path
from desktop.pipelines.apply.recipe import recipe_for
from desktop.pipelines.apply.resume import batch_key, unfinished_batch
from desktop.pipelines.apply.template import MAX_TEMPLATE
from desktop.pipelines.payload_model import Payload, Refusal, convert
from desktop.text import file_stem, shown_path

log = logging.getLogger(__name__)

JOB_TYPE = "style.apply"
EFFECT_LEVELS = ("grain", "grain_size", "vignette")
LONG_EDGE = (16, 30000)
MAX_ITEMS = 100_000
NOT_IMAGE = "not images"
NOT_REGULAR = "not regular files (pipes, sockets or devices)"
BROKEN_LINK = "links to files that are gone"
UNREADABLE = "could not be read"
TWIN = "JPEG twins of RAW photos (the RAW is styled)"
REASONS = (NOT_IMAGE, NOT_REGULAR, BROKEN_LINK, UNREADABLE, TWIN)
OUT_REFUSED = (
    "The output folder must be a full path, like /home/me/Pictures/styled, "
    "or a folder inside the library folder, like exports/styled."
)
DEPTH_REFUSED = "JPEG and WebP hold 8 bits a channel; choose PNG or TIFF (or same) for 16 bits."
GRANT_REFUSED = (
    "A batch is queued with 'stylestudio apply' or the Apply dialog, which check the photos and the output folder; "
    "a style.apply payload without their grant is refused."
)


# --- the payload ----------------------------------------------------------------------------------


def no_format(fmt: object) -> str:
    """The refusal of an output format there is not (``fmt`` as given)."""
    shown = fmt if isinstance(fmt, str) else repr(fmt)
    return f"There is no output format '{shown[:40]}'; use same, jpeg, png, tiff or webp."


class ApplyPayload(Payload):
    """The whole ``style.apply`` payload: the style, the output folder and options, and what the
    front door signed (``key``, ``grant``). The photos themselves are the job's items, stored
    beside the row."""

    JOB_TYPE: ClassVar[str] = JOB_TYPE
    REFUSALS: ClassVar[dict[str, Refusal]] = {
        "style": "The style must be given by its id, a whole number like 3.",
        "out": OUT_REFUSED,
        "format": no_format,
        "quality": "The quality must be a whole number from 1 to 100.",
        "long_edge": f"The long edge must be a whole number of pixels from {LONG_EDGE[0]} to {LONG_EDGE[1]}, or left out.",
        "strength": "The strength must be a number from 0 to 100 (percent), or left out for the style's own.",
        "keep_metadata": "keep_metadata must be true or false.",
        "depth": "The depth must be 8 or 16 (bits a channel), or left out for the photo's own.",
        "colour_space": "The colour space must be srgb, display-p3, adobe-rgb or same.",
        "strip_location": "strip_location must be true or false.",
        "grain": "The grain must be a number from 0 to 100 (percent; 50 is the grain 'film grain' gives), or left out for the style's own.",
        "grain_size": "The grain size must be fine, medium or coarse, or left out for the style's own.",
        "vignette": "The vignette must be a number from 0 to 100 (percent darker at the corners), or left out for the style's own.",
        "style_name": f"The style's name must be text of at most {MAX_NAME} characters, or left out.",
        "count": f"A batch holds from 1 to {MAX_ITEMS:,} photos.",
        "key": "A style.apply payload's key must be 64 hexadecimal digits, as 'stylestudio apply' writes it.",
        "grant": GRANT_REFUSED,
        "name": f"The name template must be text of 1 to {MAX_TEMPLATE} characters, like {{stem}}-{{style}}, or left out for the photos' own names.",
    }

    style: Annotated[int, Meta(ge=1)]
    out: str  # a full path, or a folder inside the library folder (``check``)
    format: Literal["same", "jpeg", "png", "tiff", "webp"] = "same"
    quality: Annotated[int, Meta(ge=1, le=100)] = 92
    long_edge: Annotated[int, Meta(ge=LONG_EDGE[0], le=LONG_EDGE[1])] | None = None
    # an int stays an int: the grant signs the payload as given
    strength: Annotated[int, Meta(ge=0, le=100)] | Annotated[float, Meta(ge=0, le=100)] | None = None
    keep_metadata: bool = True
    # bits a channel of the output (None: the photo's own, 16 only for TIFF and PNG), its colour
    # space (same: the photo's own), and whether the EXIF's GPS location is dropped
    depth: Literal[8, 16] | None = None
    colour_space: Literal["srgb", "display-p3", "adobe-rgb", "same"] = "srgb"
    strip_location: bool = False
    count: Annotated[int, Meta(ge=1, le=MAX_ITEMS)] | None = None
    key: Annotated[str, Meta(pattern=r"\A[0-9a-f]{64}\Z")] | None = None
    grant: str | None = None  # 64 hex digits (``check``), signed by the front door (``grant``)
    # the batch's own grain and vignette (percent; None: the style's own), and grain size
    grain: Annotated[int, Meta(ge=0, le=100)] | Annotated[float, Meta(ge=0, le=100)] | None = None
    grain_size: Literal["fine", "medium", "coarse"] | None = None
    vignette: Annotated[int, Meta(ge=0, le=100)] | Annotated[float, Meta(ge=0, le=100)] | None = None
    # the style's name when the batch was queued: what the jobs panel and other windows call it
    style_name: Annotated[str, Meta(max_length=MAX_NAME)] | None = None
    # the output name template (``template``); None: each photo keeps its own name
    name: Annotated[str, Meta(min_length=1, max_length=MAX_TEMPLATE)] | None = None

    def to_dict(self) -> dict[str, Any]:
        """As stored; the effect levels and the style's name only when set, so a batch queued
        before they existed reads back (and is signed) exactly as it was."""
        d = super().to_dict()
        for name in (*EFFECT_LEVELS, "style_name", "name", "depth"):
            if d.get(name) is None:
                d.pop(name, None)
        for name, default in (("colour_space", "srgb"), ("strip_location", False)):
            if d.get(name) == default:
                d.pop(name, None)
        return d

    def levels(self) -> dict[str, Any]:
        """The batch's own effect levels, as ``recipe_for`` takes them."""
        return {name: getattr(self, name) for name in EFFECT_LEVELS}

    def check(self) -> None:
        """The output folder's shape, the name template, and a grant of the shape a front door
        signs."""
        out = self.out
        if not out.strip() or not (os.path.isabs(out) or is_library_relative(out)):
            raise UserError(OUT_REFUSED)
        if self.name is not None:
            naming.check(self.name)
        if self.depth == 16 and self.format in ("jpeg", "webp"):
            raise UserError(DEPTH_REFUSED)
        if not grants.well_formed(self.grant):
            raise UserError(GRANT_REFUSED)


# --- the inputs -----------------------------------------------------------------------------------


@dataclass
class ApplyPlan:
    """What the inputs expand to, before anything is queued (what the apply dialog shows)."""

    files: list[Path]
    skipped: list[Path] = field(default_factory=list)  # with their reasons in ``why``, in order
    why: list[str] = field(default_factory=list)
    total_bytes: int = 0

    def skip(self, path: Path, reason: str) -> None:
        self.skipped.append(path)
        self.why.append(reason)

    @property
    def skipped_sentence(self) -> str:
        """'3 files skipped: not images', or with several reasons '3 files skipped: 2 not
        images, 1 not regular files (pipes, sockets or devices)'."""
        n = len(self.skipped)
        if not n:
            return ""
        counts = {r: self.why.count(r) for r in REASONS if r in self.why}
        head = f"{n} file{'s' if n != 1 else ''} skipped: "
        if len(counts) == 1:
            return head + next(iter(counts))
        return head + ", ".join(f"{c} {r}" for r, c in counts.items())

    def skipped_lines(self) -> list[str]:
        """One line per skipped file (its path, escaped), with its reason unless it is not an
        image."""
        return [shown_path(p) + ("" if r == NOT_IMAGE else f"  ({r})") for p, r in zip(self.skipped, self.why, strict=True)]


def _kind(path: Path) -> tuple[str | None, int]:
    """(None, size) for a regular file (links followed), else (the reason it is skipped, 0)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (BROKEN_LINK if os.path.islink(path) else UNREADABLE), 0
    except OSError:
        return UNREADABLE, 0
    if stat.S_ISREG(st.st_mode):
        return None, st.st_size
    return NOT_REGULAR, 0


def plan_apply(
    inputs: list[str | os.PathLike[str]], *, recursive: bool = False, out: str | os.PathLike[str] | None = None, both: bool = False
) -> ApplyPlan:
    """Expand files and folders into the photos to style (folders walked: their top level, or
    every level with ``recursive``; hidden files skipped silently, others that are not photos
    skipped and counted). A JPEG beside a camera RAW of the same name (RAW+JPEG) is skipped and
    counted as its twin: the RAW is the photo (``both`` keeps both). Raises UserError when an
    input does not exist or no photo is found."""
    from desktop.imaging.apply import PHOTO_SUFFIXES
    from desktop.imaging.raw_photos import jpeg_twins

    if not inputs:
        raise UserError("Name at least one photo or folder to apply the style to.")
    skip_dir = os.path.realpath(out) if out else None
    plan = ApplyPlan(files=[])
    seen: set[str] = set()
    sizes: dict[Path, int] = {}
    folders = 0

    def take(path: Path, size: int) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        plan.files.append(path)
        sizes[path] = size
        plan.total_bytes += size

    def consider(path: Path, named: bool) -> None:
        if not named and path.suffix.lower() not in PHOTO_SUFFIXES:
            plan.skip(path, NOT_IMAGE)
            return
        reason, size = _kind(path)
        if reason is None:
            take(path, size)
        else:
            plan.skip(path, reason)

    for raw in inputs:
        path = Path(raw).expanduser().absolute()
        refuse_too_long(path, "An input")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                raise UserError(f"{shown_path(path)} is a link to a file that is gone; name the photo itself.") from None
            raise UserError(f"{shown_path(path)} does not exist; check the name, or name another photo or folder.") from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise UserError(f"The path {shown_path(path)[:120]}… is too long for this computer; give a shorter one.") from None
            raise UserError(f"{shown_path(path)} cannot be read ({exc.strerror or exc}); check its permissions.") from None
        if stat.S_ISDIR(st.st_mode):
            folders += 1
            _walk(path, recursive, skip_dir, consider)
        else:
            consider(path, named=True)
    twins = set() if both else set(jpeg_twins(plan.files))
    if twins:
        plan.files = [p for p in plan.files if p not in twins]
        for twin in sorted(twins):
            plan.skip(twin, TWIN)
            plan.total_bytes -= sizes[twin]
    if not plan.files:
        raise UserError(_nothing_found(plan, len(inputs), folders, recursive))
    if len(plan.files) > MAX_ITEMS:
        raise UserError(f"That is {len(plan.files):,} photos; a batch holds at most {MAX_ITEMS:,}, so split it into several.")
    return plan


def _walk(path: Path, recursive: bool, skip_dir: str | None, consider: Callable[[Path, bool], None]) -> None:
    if recursive:
        walker = os.walk(path)
    else:
        try:
            names = [e.name for e in os.scandir(path) if not _is_dir(e)]
        except OSError:
            names = []
        walker = iter([(str(path), [], names)])
    for folder, dirs, names in walker:
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.realpath(os.path.join(folder, d)) != skip_dir)
        for name in sorted(names):
            if is_ours(name) or name.startswith("."):
                continue
            consider(Path(folder) / name, False)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _nothing_found(plan: ApplyPlan, inputs: int, folders: int, recursive: bool) -> str:
    if folders == inputs:
        where = "in the folder given" if inputs == 1 else "in the folders given"
    else:
        where = "in the files given" if not folders else "in the files and folders given"
    deeper = "" if recursive or not folders else " (use --recursive / 'Include subfolders' to look inside subfolders)"
    why = f" ({plan.skipped_sentence})" if plan.skipped else ""
    return f"No photos were found {where}{deeper}{why}; name JPEG, PNG, TIFF, WebP, HEIC, AVIF or camera RAW files."


def check_output_folder(out: str | os.PathLike[str]) -> Path:
    """The output folder as a full path; refused (one sentence) when it cannot be written. A
    folder that does not exist yet is made when the job starts."""
    path = Path(out).expanduser().absolute()
    refuse_too_long(path, "The output folder")
    shown = shown_path(path)
    try:
        if path.exists() and not path.is_dir():
            raise UserError(f"The output folder {shown} is a file; name a folder for the styled photos.")
        probe = path
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
        writable = probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UserError("The output folder's path is too long for this computer; choose a shorter one.") from None
        raise UserError(f"The output folder {shown} cannot be used ({exc.strerror or exc}); choose another folder.") from None
    if not writable:
        raise UserError(f"The output folder {shown} cannot be written to; choose a folder you can write to.")
    return path


def default_output_folder(style_name: str, first_input: str | os.PathLike[str]) -> Path:
    """A new folder named after the style beside the first input's folder."""
    first = Path(first_input).expanduser().absolute()
    folder = first if first.is_dir() else first.parent
    base = folder.parent / file_stem(style_name, "Styled")
    candidate, n = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name} ({n})")
        n += 1
    return candidate


def name_template_refusal(template: str) -> str | None:
    """The one sentence refusing an output name template, or None (``template``)."""
    return naming.refusal(template)


def example_output_name(template: str | None, first_input: str | os.PathLike[str], style_name: str, fmt: str) -> str:
    """The name the first photo of a batch queued today would get (what the Apply dialog shows
    under its name template); ``template`` None or empty: the photo's own name."""
    import time

    stem = naming.render(template, str(first_input), style_name, 0, naming.day_of(time.time())) if template else None
    return output_name(str(first_input), fmt, stem=stem)


# --- queuing --------------------------------------------------------------------------------------


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
    depth: int | None = None,
    colour_space: str = "srgb",
    strip_location: bool = False,
    recursive: bool = False,
    both: bool = False,
    plan: ApplyPlan | None = None,
    grain: float | None = None,
    grain_size: str | None = None,
    vignette: float | None = None,
    name: str | None = None,
) -> tuple[ApplyPayload, list[str]]:
    """Check everything; the payload (with its key and grant) and the inputs as stored."""
    from desktop.library.reading import Library

    info = Library(runtime.db, runtime.paths).find(style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file; make the style again, then apply it.")
    plan = plan or plan_apply(inputs, recursive=recursive, out=out, both=both)
    folder = check_output_folder(out) if out is not None else default_output_folder(info.name, plan.files[0])
    library = runtime.paths.library  # inside it, paths are stored relative: every machine finds them
    fields = {
        "style": info.id,
        "out": relative_to_library(folder, library),
        "format": format,
        "quality": quality,
        "long_edge": long_edge,
        "strength": strength,
        "keep_metadata": keep_metadata,
        **({"depth": depth} if depth is not None else {}),
        **({"colour_space": colour_space} if colour_space != "srgb" else {}),
        **({"strip_location": True} if strip_location else {}),
        "count": len(plan.files),
        **{k: value for k, value in (("grain", grain), ("grain_size", grain_size), ("vignette", vignette), ("name", name)) if value is not None},
    }
    options = convert(ApplyPayload, fields, JOB_TYPE, ApplyPayload.REFUSALS)  # refused before the key is made
    if options.depth == 16 and options.format in ("jpeg", "webp"):
        raise UserError(DEPTH_REFUSED)
    recipe = recipe_for(info, options.strength, **options.levels())
    keyed = msgspec.structs.replace(options, key=batch_key(info.id, recipe, options.to_dict()))
    keyed = msgspec.structs.replace(keyed, style_name=info.name)  # after the key: a rename keeps it
    stored = [relative_to_library(p, library) for p in plan.files]
    # signed as the handler reads it back: the model's dict, every field given
    payload = msgspec.structs.replace(keyed, grant=sign_batch(library, keyed.to_dict(), stored))
    payload.check()
    return payload, stored


def enqueue_apply(runtime: Any, style: str | int, inputs: list[str | os.PathLike[str]], **options: Any) -> int:
    """Check everything, then queue a new batch with its items; returns the job id. Blocking
    (walks folders): call it off the GUI thread. Raises UserError with nothing created.
    ``options``: out, format, quality, long_edge, strength, keep_metadata, depth, colour_space,
    strip_location, recursive, both,
    plan, grain, grain_size, vignette, name (the output name template)."""
    payload, stored = _front_door(runtime, style, inputs, **options)
    return runtime.engine.enqueue_batch(JOB_TYPE, payload.to_dict(), stored)


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
    ``resume``), that batch is resumed instead of queueing a second one; a run of it whose
    process is gone (killed) is queued again at once."""
    payload, stored = _front_door(runtime, style, inputs, **options)
    store = ItemStore(runtime.db)
    found = unfinished_batch(store, JOB_TYPE, payload.key or "", stored)  # the front door always sets it
    if found is None:
        return Started(runtime.engine.enqueue_batch(JOB_TYPE, payload.to_dict(), stored))
    job_id, status = found
    if status == "running":
        try:  # its process is gone (killed): queued again now, not at the next heartbeat
            runtime.engine.recover()
        except Exception:  # noqa: BLE001 - a work pool's heartbeat recovers it shortly
            log.debug("Could not recover job %d now", job_id, exc_info=True)
    row = runtime.engine.get(job_id)
    if row is None or row.status not in ("queued", "running"):  # it ended meanwhile (or ran out of attempts)
        return Started(runtime.engine.enqueue_batch(JOB_TYPE, payload.to_dict(), stored))
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
