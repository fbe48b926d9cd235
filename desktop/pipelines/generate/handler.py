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
import shutil
from pathlib import Path
from typing import Any

from desktop.errors import UserError
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register
from desktop.jobs.work_folders import make_work_folder
from desktop.library.reading import style_of_job
from desktop.library.writing import NewStyle, commit_new_style
from desktop.pipelines.generate.edit import edit_plan_work
from desktop.pipelines.generate.previews import REFERENCE, plan_previews, sample_index
from desktop.pipelines.generate.request import JOB_TYPE, GeneratePayload, default_name
from desktop.pipelines.generate.work import (
    check_fal_image_work,
    check_reference_work,
    finish_work,
    plan_work,
    render_preview_work,
    render_reference_work,
)
from desktop.pipelines.generate.workers import Workers

FAL_BATCH = 4


@register(JOB_TYPE, title="Generate style", retry_safe=True, payload=GeneratePayload)
async def generate_style(ctx: JobContext, payload: GeneratePayload) -> dict[str, Any]:
    """Idempotent: a style is keyed by its job (a unique index on ``styles.job_id``), so a run
    after a crash that came between the style's commit and the job's end returns that style."""
    paths = ctx.services["paths"]
    db = ctx.services["db"]
    settings = ctx.services["settings"]
    existing = await asyncio.to_thread(style_of_job, db, ctx.id)
    if existing is not None:
        ctx.log.info("style %d was already saved by an earlier attempt of this job", existing)
        return {"table": "styles", "id": existing}
    reference, original = payload.reference, payload.original
    if reference is not None or original is not None:
        from desktop.imaging.uploads import resolve_reference

        found = {"home": paths.library, "uploads_dir": paths.uploads_dir}
        reference = str(resolve_reference(reference, **found)) if reference is not None else None
        original = str(resolve_reference(original, **found)) if original is not None else None
    work = make_work_folder(paths.tmp_dir, ctx.id, ctx.attempt)
    try:
        return await _generate(ctx, payload, reference, original, paths, db, settings, work)
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


async def _generate(
    ctx: JobContext,
    payload: GeneratePayload,
    reference_path: str | None,
    original_path: str | None,
    paths: Any,
    db: Any,
    settings: Any,
    work: Path,
) -> dict[str, Any]:
    from desktop.generators.prompts import PromptEndpoint, build_prompt

    step = _Progress(ctx)
    description = payload.description
    backend = payload.backend
    count = payload.previews
    size = payload.size
    seed = payload.seed or 1
    strength = payload.strength
    workers = Workers(ctx, work)

    if reference_path:
        step(0.02, "Checking reference image")
        await workers.one(check_reference_work, reference_path)

    if reference_path and original_path:
        step(0.04, "Checking the original photo")
        await workers.one(check_reference_work, original_path)
        step(0.08, "Learning the look of your edit")
        planned = await workers.one(edit_plan_work, description, reference_path, original_path, seed, strength, str(work))
    else:
        step(0.08, "Analysing colours" if reference_path else "Reading the description")
        planned = await workers.one(plan_work, description, reference_path, seed, strength)
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
        # a style learned from an edit shows itself first on the photo as it was before the edit
        own_photo = original_path or reference_path
        preview_sources = await asyncio.to_thread(plan_previews, own_photo, count, seed)
        count = len(preview_sources)
        calls = [
            (render_reference_work, plan, own_photo, size, str(work), i)
            if source == REFERENCE
            else (render_preview_work, plan, sample_index(source), size, str(work), i)
            for i, source in enumerate(preview_sources)
        ]

        def announce(done: int, total: int) -> None:
            step(0.2 + 0.7 * done / total, f"Rendering preview {done + 1} of {total}", flush=True)

    # The .cube file and the quality figures need no preview: made beside them, by whichever
    # worker is free.
    title = payload.name or description
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
    name = payload.name or default_name(description)
    new = NewStyle(name=name, description=description, generator=backend, params=params, images=images,
                   prompt=prompt, reference=reference_path, analysis=analysis)
    style_id = await asyncio.to_thread(commit_new_style, db, paths, work, new, job_id=ctx.id, fence=ctx.verify_owned)
    ctx.log.info("saved style %d", style_id)
    return {"table": "styles", "id": style_id}


def _stage_downloads(raw: list[bytes], work: Path) -> list[str]:
    """The downloaded images as files in the work folder (a worker reads a path, not megabytes
    of pickled bytes); the worker removes each once it has read it."""
    staged = []
    for i, data in enumerate(raw):
        path = work / f".download-{i + 1}"
        path.write_bytes(data)
        staged.append(str(path))
    return staged


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
