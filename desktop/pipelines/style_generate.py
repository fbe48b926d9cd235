"""``style.generate``: check the reference, analyse it, write a prompt, render previews with
the chosen generator, and save the style: whole, or not at all.

Files are written under ``tmp/job-<id>-...`` and moved into ``styles/<id>/`` in the same
transaction that inserts the rows; failure or cancel removes them.

The handler only coordinates (progress, the prompt, fal's HTTP calls, the commit): the CPU
work (checking and analysing the reference, the LUT, rendering the previews, their thumbnails,
the .cube file) runs in the shared process pool (``desktop.jobs.processes``), the previews
spread over its workers. A cancel is noticed within ``POLL`` seconds; a worker process that
dies is replaced and its step run again once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import shutil
from pathlib import Path
from typing import Any

from desktop.errors import UserError
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register
from desktop.jobs.work_folders import make_work_folder
from desktop.library.reading import style_of_job
from desktop.library.writing import MAX_NAME, commit_new_style
from desktop.text import clean_name

log = logging.getLogger(__name__)

JOB_TYPE = "style.generate"
BACKENDS = ("local", "fal")
MAX_PREVIEWS = 8
REFERENCE_DRAFT = (1024, 1024)  # analysis needs no more than this; big JPEGs decode faster
FAL_BATCH = 4


# --- enqueue (front doors) ------------------------------------------------------------------


def default_name(description: str) -> str:
    """A style's name made from its description: its first words, without control or format
    characters (a terminal escape, a right-to-left override); "Untitled style" if none are left."""
    words = clean_name(description, limit=len(description)).split(" ")
    name = " ".join(words[:8])
    if len(name) > 48:
        name = name[:45].rstrip(" ,;") + "..."
    elif len(words) > 8:
        name = name.rstrip(" ,;") + "..."
    return name[:1].upper() + name[1:] if name else "Untitled style"


KNOWN_KEYS = ("description", "name", "backend", "previews", "size", "seed", "reference", "strength")
MAX_DESCRIPTION = 2000
MAX_SEED = 2**31 - 1
SIZES = (64, 4096)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_payload(payload: dict[str, Any]) -> None:
    """The whole ``style.generate`` payload, checked at enqueue: one sentence per refusal.

    The reference is checked by shape here (``uploads/<name>``: this check does not know the
    data folder); ``enqueue_style`` and the handler also resolve it by real path."""
    from desktop.imaging.uploads import check_reference_name

    unknown = sorted(str(k) for k in payload if k not in KNOWN_KEYS)
    if unknown:
        raise UserError(
            f"A style.generate payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(KNOWN_KEYS)}."
        )
    description = payload.get("description")
    if not isinstance(description, str) or not description.strip():
        raise UserError("The description is empty; describe the style in a few words, like 'warm film grain'.")
    if len(description) > MAX_DESCRIPTION:
        raise UserError(f"The description is {len(description)} characters long; keep it under {MAX_DESCRIPTION}.")
    name = payload.get("name")
    if name is not None and not isinstance(name, str):
        raise UserError("The name must be text, like \"Warm film\", or left out.")
    if name is not None and len(name) > MAX_NAME:
        raise UserError(f"The name is {len(name)} characters long; keep it under {MAX_NAME}.")
    backend = payload.get("backend", "local")
    if not isinstance(backend, str) or backend not in BACKENDS:
        shown = backend if isinstance(backend, str) else json.dumps(backend)[:40]
        raise UserError(f"There is no generator '{shown[:40]}'; use 'local' or 'fal'.")
    previews = payload.get("previews", 4)
    if not _is_int(previews) or not 1 <= previews <= MAX_PREVIEWS:
        raise UserError("The number of previews must be a whole number from 1 to 8.")
    size = payload.get("size", 768)
    if not _is_int(size) or not SIZES[0] <= size <= SIZES[1]:
        raise UserError("The preview size must be a whole number of pixels from 64 to 4096.")
    seed = payload.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= MAX_SEED):
        raise UserError(f"The seed must be a whole number from 0 to {MAX_SEED}, or left out.")
    strength = payload.get("strength")
    if strength is not None and (not _is_int(strength) or not 0 <= strength <= 100):
        raise UserError("The strength must be a whole number from 0 to 100 (per cent), or left out.")
    reference = payload.get("reference")
    if reference is not None:
        check_reference_name(reference)


def enqueue_style(
    runtime: Any,
    description: str,
    *,
    reference: str | os.PathLike[str] | bytes | None = None,
    name: str | None = None,
    backend: str | None = None,
    previews: int | None = None,
    size: int | None = None,
    seed: int | None = None,
    strength: int | None = None,
) -> int:
    """Check and copy the reference into the library, then queue the job; returns its id.

    Blocking (decodes the image, copies the file): call it off the GUI thread. Raises
    UserError, with nothing written and no job made, when the input is refused."""
    from desktop.config import fal_key
    from desktop.imaging.uploads import reference_name, resolve_reference, store_upload

    settings = runtime.settings
    payload: dict[str, Any] = {
        "description": description.strip(),
        # cleaned at the door (control and format characters out); a name too long is refused below
        "name": clean_name(name or "", limit=len(name or "")) or default_name(description),
        "backend": backend or settings.generator,
        "previews": previews if previews is not None else settings.preview_count,
        "size": size if size is not None else settings.preview_size,
        "seed": seed if seed is not None else random.randrange(1, 2**31),
        "reference": None,
    }
    if strength is not None:
        payload["strength"] = strength
    validate_payload(payload)
    if payload["backend"] == "fal" and not fal_key():
        raise UserError(
            "No fal key is set; add it in Settings or set the FAL_KEY environment variable, "
            "or use the local generator."
        )
    if reference is not None:
        paths = runtime.paths
        stored = store_upload(reference, paths.uploads_dir)
        payload["reference"] = reference_name(stored)
        resolve_reference(payload["reference"], home=paths.library, uploads_dir=paths.uploads_dir)
    return runtime.engine.enqueue(JOB_TYPE, payload)


# --- the handler ----------------------------------------------------------------------------


@register(JOB_TYPE, title="Generate style", retry_safe=True, validate=validate_payload)
async def generate_style(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Idempotent: a style is keyed by its job (a unique index on ``styles.job_id``), so a run
    after a crash that came between the style's commit and the job's end returns that style."""
    paths = ctx.services["paths"]
    db = ctx.services["db"]
    settings = ctx.services["settings"]
    existing = await asyncio.to_thread(style_of_job, db, ctx.id)
    if existing is not None:
        ctx.log.info("style %d was already saved by an earlier attempt of this job", existing)
        return {"table": "styles", "id": existing}
    # Rows queued by older versions, or written around the engine, get the same checks.
    validate_payload({**payload, "reference": None})
    reference = payload.get("reference")
    if reference is not None:
        from desktop.imaging.uploads import resolve_reference

        if not isinstance(reference, str):
            raise UserError("The reference must be text naming an uploaded image; make the style again with the image.")
        reference = str(resolve_reference(reference, home=paths.library, uploads_dir=paths.uploads_dir))
    work = make_work_folder(paths.tmp_dir, ctx.id, ctx.attempt)
    try:
        return await _generate(ctx, {**payload, "reference": reference}, paths, db, settings, work)
    finally:  # also after LeaseLost: the half-made files go, and the error goes on up
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


class _Progress:
    """Progress that only goes up, with the stage's message."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.value = 0.0

    def __call__(self, fraction: float, message: str, *, flush: bool = False) -> None:
        self.value = max(self.value, fraction)
        self.ctx.progress(self.value, message)
        if flush:  # a message the user must get to see, even if the next stage follows at once
            self.ctx.flush()


async def _generate(ctx: JobContext, payload: dict[str, Any], paths: Any, db: Any, settings: Any, work: Path) -> dict[str, Any]:
    from desktop.generators.prompts import PromptEndpoint, build_prompt

    step = _Progress(ctx)
    description: str = payload["description"]
    backend: str = payload.get("backend", "local")
    count: int = int(payload.get("previews", 4))
    size: int = int(payload.get("size", 768))
    seed: int = int(payload.get("seed") or 1)
    reference_path = payload.get("reference")
    strength = payload.get("strength")
    workers = _Workers(ctx, work)

    if reference_path:
        step(0.02, "Checking reference image")
        await workers.one(check_reference_work, reference_path)

    step(0.08, "Analysing colours" if reference_path else "Reading the description")
    planned = await workers.one(plan_work, description, reference_path, seed, None if strength is None else int(strength))
    plan: dict[str, Any] = planned["plan"]
    analysis = plan.get("analysis")

    step(0.15, "Writing prompt")
    endpoint = None
    if settings.prompt_base_url:
        from desktop.config import PROMPT_KEY_NAME, get_secret

        endpoint = PromptEndpoint(
            base_url=settings.prompt_base_url,
            model=settings.prompt_model,
            api_key=get_secret(PROMPT_KEY_NAME, "STYLESTUDIO_PROMPT_KEY"),
        )
    prompt, note = await build_prompt(description, analysis, endpoint=endpoint)
    if note:
        step(0.2, note, flush=True)
        ctx.log.warning("%s", note)
    ctx.check()

    if backend == "fal":
        raw = await _fal_images(ctx, step, prompt, reference_path, count, seed, settings)
        sources = await asyncio.to_thread(_stage_downloads, raw, work)
        calls = [(check_fal_image_work, src, f"fal image {i + 1}", str(work), i, size) for i, src in enumerate(sources)]

        def announce(done: int, total: int) -> None:
            step(0.85 + 0.05 * done / total, f"Checking image {done + 1} of {total}", flush=True)

    else:
        # The reference itself, styled, comes first; then sample photos, each once, starting on a
        # different one per style (by its seed), so gallery cards differ.
        preview_sources = await asyncio.to_thread(plan_previews, reference_path, count, seed)
        count = len(preview_sources)
        calls = [
            (render_reference_work, plan, reference_path, size, str(work), i)
            if source == REFERENCE
            else (render_preview_work, plan, _sample_index(source), size, str(work), i)
            for i, source in enumerate(preview_sources)
        ]

        def announce(done: int, total: int) -> None:
            step(0.2 + 0.7 * done / total, f"Rendering preview {done + 1} of {total}", flush=True)

    # The .cube file and the quality figures need no preview: made beside them, by whichever
    # worker is free.
    title = payload.get("name") or description
    saved, (finished,) = await workers.together(
        workers.all(calls, announce), workers.all([(finish_work, plan, str(work), title, backend, reference_path)])
    )
    images = [(Path(r["preview"]), Path(r["thumb"]), r["width"], r["height"]) for r in saved]
    step(0.92, "Saving style")
    look: dict[str, Any] = finished["look"]
    ctx.log.info("its images were made by worker process(es) %s", ", ".join(str(pid) for pid in sorted(workers.pids)))
    ctx.check()  # the last moment a cancel can stop it: after this the style exists
    params = {
        "seed": seed,
        "size": size,
        "previews": count,
        "backend": backend,
        "looks": plan.get("look_names", []),
        **look,
    }
    if backend != "fal":
        params["preview_sources"] = preview_sources
    # Not ctx.run_in_thread: a cancel arriving during the commit must not turn a saved style
    # into a "canceled" job. The lease is checked inside the commit's transaction instead.
    style_id = await asyncio.to_thread(
        commit_new_style,
        db,
        paths,
        work,
        name=payload.get("name") or default_name(description),
        description=description,
        prompt=prompt,
        generator=backend,
        reference=reference_path,
        analysis=analysis,
        params=params,
        images=images,
        job_id=ctx.id,
        fence=ctx.verify_owned,
    )
    ctx.log.info("saved style %d", style_id)
    return {"table": "styles", "id": style_id}


REFERENCE = "reference"  # a preview source: the style's own reference photo


def plan_previews(reference_path: str | None, count: int, seed: int) -> list[str]:
    """What a local style's previews are rendered over, in order: ``"reference"`` first when
    there is one, then bundled sample photos by file name, each at most once (a sample that is
    the reference itself is left out), starting at ``first_sample(seed)``. So there are at most
    1 + the number of samples, whatever ``count`` asks."""
    import hashlib

    from desktop.resources import sample_photos

    samples = sample_photos()
    skip: set[str] = set()
    if reference_path:
        digest = hashlib.sha256(Path(reference_path).read_bytes()).hexdigest()
        skip = {p.name for p in samples if hashlib.sha256(p.read_bytes()).hexdigest() == digest}
    first = first_sample(seed)
    ordered = [samples[(first + i) % len(samples)].name for i in range(len(samples))] if samples else []
    sources = ([REFERENCE] if reference_path else []) + [name for name in ordered if name not in skip]
    return sources[: max(1, count)]


def _sample_index(name: str) -> int:
    from desktop.resources import sample_photos

    return [p.name for p in sample_photos()].index(name)


def first_sample(seed: int) -> int:
    """Which bundled sample photo a style's first preview is rendered over."""
    from desktop.resources import sample_photos

    return seed % max(1, len(sample_photos()))


# --- what runs in the worker processes ------------------------------------------------------
#
# The CPU work (decoding, analysis, the LUT, rendering, encoding) runs in the shared process
# pool (``desktop.jobs.processes``) so it never holds the window's interpreter lock. What crosses
# the process boundary is small: paths, the plan as a dict (``StylePlan.to_dict``: the LUT is
# rebuilt from its grade, exactly), and dicts back. Each function records ``os.getpid()`` in its
# result, so the handler can log which processes did the work.

_PLAN_CACHE: dict[str, Any] = {}
_REFERENCE_CACHE: dict[tuple[str, int, int], Any] = {}


def _reference_image(path: str) -> Any:
    """The reference, decoded at analysis size; the last one is kept, so the analysis that
    follows the check on the same worker does not decode it again."""
    from desktop.imaging.intake import load_image

    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    img = _REFERENCE_CACHE.get(key)
    if img is None:
        img = load_image(path, draft_size=REFERENCE_DRAFT).image
        _REFERENCE_CACHE.clear()
        _REFERENCE_CACHE[key] = img
    return img


def _plan_of(plan: dict[str, Any]) -> Any:
    """The ``StylePlan`` for a plan dict (the LUT is built once per worker and plan)."""
    from desktop.generators import local

    key = json.dumps(plan, sort_keys=True)
    found = _PLAN_CACHE.get(key)
    if found is None:
        found = local.StylePlan.from_dict(plan)
        if len(_PLAN_CACHE) >= 4:
            _PLAN_CACHE.clear()
        _PLAN_CACHE[key] = found
    return found


def check_reference_work(reference_path: str) -> dict[str, Any]:
    """Worker: decode the reference (a damaged or refused file raises its UserError)."""
    _reference_image(reference_path)
    return {"pid": os.getpid()}


def plan_work(description: str, reference_path: str | None, seed: int, strength: int | None) -> dict[str, Any]:
    """Worker: analyse the reference, derive the grade (at ``strength`` per cent, or the
    default) and the looks."""
    from desktop.generators import local

    reference = _reference_image(reference_path) if reference_path else None
    strength_01 = local.DEFAULT_STRENGTH if strength is None else strength / 100
    plan = local.plan_style(description, reference, seed=seed, strength=strength_01)
    as_dict = plan.to_dict()
    _PLAN_CACHE[json.dumps(as_dict, sort_keys=True)] = plan
    return {"plan": as_dict, "pid": os.getpid()}


def render_preview_work(plan: dict[str, Any], sample: int, size: int, work: str, index: int) -> dict[str, Any]:
    """Worker: render preview ``index`` over sample photo ``sample`` and save it and its
    thumbnail in ``work``."""
    from desktop.generators import local

    img = local.render_preview(_plan_of(plan), sample, size=size)
    return _saved(img, Path(work), index, size)


def render_reference_work(plan: dict[str, Any], reference_path: str, size: int, work: str, index: int) -> dict[str, Any]:
    """Worker: render preview ``index`` over the style's own reference photo (long edge
    ``size``, effects seeded like a sample's) and save it and its thumbnail in ``work``."""
    from desktop.generators import local

    img = local.render_photo(_plan_of(plan), reference_path, index, size=size)
    return _saved(img, Path(work), index, size)


def check_fal_image_work(source: str, name: str, work: str, index: int, size: int) -> dict[str, Any]:
    """Worker: check a downloaded image (staged at ``source``) and save it and its thumbnail."""
    from desktop.imaging.intake import load_image

    try:
        img = load_image(source, name=name).image
    finally:
        Path(source).unlink(missing_ok=True)
    return _saved(img, Path(work), index, size)


def finish_work(plan: dict[str, Any], work: str, title: str, generator: str, reference_path: str | None) -> dict[str, Any]:
    """Worker: what the style stores about its look (with the quality figures when it has a
    reference), and its ``.cube`` file written into ``work``."""
    from desktop.generators import local
    from desktop.imaging.lut import provenance, write_cube

    style = _plan_of(plan)
    look = style.style_params()
    if style.analysis is not None:
        look["quality"] = local.quality_figures(style)
    notes = provenance(
        description=style.description,
        generator=generator,
        strength=style.strength,
        reference=Path(reference_path).read_bytes() if reference_path else None,
        in_cube=look["in_cube"],
        effects=look["effects"],
    )
    write_cube(Path(work) / "style.cube", style.lut, title, notes=notes)
    return {"look": look, "pid": os.getpid()}


def save_pair(img: Any, work: Path, index: int, size: int, save_preview: Any, save_thumbnail: Any) -> tuple[Path, Path, int, int]:
    """Save ``img`` (resized to long edge ``size``) as preview ``index`` and its thumbnail."""
    from PIL import Image

    if max(img.size) != size:
        scale = size / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.LANCZOS)
    preview = save_preview(img, work / f"preview-{index + 1}.jpg")
    thumb = save_thumbnail(img, work / f"thumb-{index + 1}.webp")
    return preview, thumb, img.width, img.height


def _saved(img: Any, work: Path, index: int, size: int) -> dict[str, Any]:
    from desktop.imaging.thumbnails import save_preview, save_thumbnail

    preview, thumb, width, height = save_pair(img, work, index, size, save_preview, save_thumbnail)
    return {"preview": str(preview), "thumb": str(thumb), "width": width, "height": height, "pid": os.getpid()}


def _stage_downloads(raw: list[bytes], work: Path) -> list[str]:
    """The downloaded images as files in the work folder (a worker reads a path, not megabytes
    of pickled bytes); the worker removes each once it has read it."""
    staged = []
    for i, data in enumerate(raw):
        path = work / f".download-{i + 1}"
        path.write_bytes(data)
        staged.append(str(path))
    return staged


# --- the coordinator's side ------------------------------------------------------------------

POLL = 0.1  # seconds between looks at a cancel request while the workers render
IN_FLIGHT_WAIT = 1.0  # after a cancel, how long to let started renders end before leaving
WORKER_DEATHS = 2  # a task whose worker process died this often fails the job


class _Workers:
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


async def _fal_images(ctx: JobContext, step: _Progress, prompt: str, reference_path: str | None, count: int, seed: int, settings: Any) -> list[bytes]:
    from desktop.config import fal_key
    from desktop.generators.fal import FalClient, build_arguments

    key = fal_key()
    if not key:
        raise UserError("No fal key is set; add it in Settings or set the FAL_KEY environment variable.")
    reference = Path(reference_path).read_bytes() if reference_path else None
    mime = _mime_for(reference_path) if reference_path else None
    model = settings.fal_model_reference if reference else settings.fal_model_text
    results: list[bytes] = []
    async with FalClient(settings.fal_queue_url, key) as client:
        while len(results) < count:
            batch = min(FAL_BATCH, count - len(results))
            done = len(results)

            def on_message(message: str, done: int = done) -> None:
                step(0.25 + 0.6 * done / count, message)

            args = build_arguments(prompt, reference=reference, reference_mime=mime, num_images=batch, seed=seed + done)
            got = await client.run(model, args, on_message=on_message, check_canceled=ctx.check, sleep=ctx.sleep)
            if not got:
                raise UserError("fal.ai finished without returning any image; try again, or try another model in Settings.")
            results.extend(got[:batch])
    return results[:count]


def _mime_for(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff"}.get(suffix, "application/octet-stream")
