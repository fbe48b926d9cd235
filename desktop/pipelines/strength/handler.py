"""``style.strength``: change how strongly a saved style grades, after it was made.

The style's ``params`` keep the grade it was built from (``grade``) and its effects
(``effect_looks``), so the job rebuilds the LUT at the new strength, re-writes the style's
``.cube`` (its provenance says the strength), re-renders the previews of a local style over the
photos they were rendered over, re-measures the style's quality, and stores the strength.

Nothing half-made: the new previews and thumbnails are rendered under ``tmp/job-<id>-...`` in
worker processes and moved into the style's folder under new names (so every cache keyed by
path, like the gallery's thumbnails, sees them as new) inside the transaction that points the
rows at them; the ``.cube`` is replaced in place (its path stays the same for the tools that
use it) in that transaction too, and put back if the commit fails. The old previews are removed
after the commit. A run again after a crash finds ``params["strength_job"]`` equal to its job id
and only tidies up.
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
from desktop.library.writing import (
    commit_strength,
    remove_old_previews,
    remove_unreferenced_previews,
)
from desktop.pipelines.strength.request import (
    JOB_TYPE,
    StrengthPayload,
    not_adjustable,
    params_with_levels,
)
from desktop.pipelines.strength.sources import preview_sources, source_path
from desktop.pipelines.strength.work import quality_at, render_preview_files


@register(JOB_TYPE, title="Change style strength", retry_safe=True, payload=StrengthPayload)
async def change_strength(ctx: JobContext, payload: StrengthPayload) -> dict[str, Any]:
    from desktop.library.reading import Library

    paths = ctx.services["paths"]
    db = ctx.services["db"]
    style_id, strength = payload.style, payload.strength
    result = {"table": "styles", "id": style_id, "strength": strength}
    library = Library(db, paths)
    style = await asyncio.to_thread(library.require, style_id)
    if style.params.get("strength_job") == ctx.id:
        ctx.log.info("style %d already has the strength of this job; tidying up only", style_id)
        await asyncio.to_thread(remove_unreferenced_previews, db, style_id, style.folder)
        return result
    reason = not_adjustable(style)
    if reason:
        raise UserError(reason)
    work = make_work_folder(paths.tmp_dir, ctx.id, ctx.attempt)
    try:
        await _change(ctx, style, strength, work, db, payload.levels())
    finally:  # also after a cancel or LeaseLost: the half-made files go
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return result


async def _change(ctx: JobContext, style: Any, strength: int, work: Path, db: Any, levels: dict[str, Any]) -> None:
    from desktop.exchange.cube import write_pillow_lut
    from desktop.imaging.grade import build_lut
    from desktop.jobs import processes
    from desktop.resources import sample_photos

    params = params_with_levels(style.params, **levels)  # what the previews render
    changed = {k: params[k] for k in (*levels, "effect_looks", "effects")} if levels else None
    ctx.progress(0.05, f"Re-writing the .cube at {strength} %")
    notes = await ctx.run_in_thread(_provenance, style, strength, params)
    lut = await ctx.run_in_thread(_lut_at, params["grade"], strength, build_lut)
    await ctx.run_in_thread(write_pillow_lut, work / "style.cube", lut, style.name, notes=notes)

    images: list[tuple[int, str, str, int, int]] = []  # position, preview name, thumb name, w, h
    if params.get("backend", style.generator) == "local" and style.images:
        samples = sample_photos()
        sources = preview_sources(params, len(style.images), samples)
        seed = int(params.get("seed") or 1)
        total = len(style.images)
        for i, image in enumerate(style.images):
            ctx.progress(0.1 + 0.75 * i / total, f"Rendering preview {i + 1} of {total}")
            source = source_path(sources[i], style.reference_path, samples) if i < len(sources) else None
            if source is None or not source.is_file():
                ctx.log.warning("preview %d of style %d: its photo %s is gone; left as it was", i + 1, style.id, sources[i:i + 1])
                continue
            size = max(image.width, image.height) or int(params.get("size") or 768)
            preview = f"preview-{image.position + 1}.j{ctx.id}.jpg"
            thumb = f"thumb-{image.position + 1}.j{ctx.id}.webp"
            w, h = await processes.run(
                render_preview_files, params, str(source), size, strength, seed + i, str(work / preview), str(work / thumb)
            )
            ctx.check()
            images.append((image.position, preview, thumb, w, h))
    quality = None
    if style.analysis and isinstance(params.get("quality"), dict):
        ctx.progress(0.88, "Measuring the match to the reference")
        quality = await processes.run(quality_at, params, style.analysis, style.description, strength)
    ctx.progress(0.95, "Saving the style")
    ctx.check()  # the last moment a cancel can stop it
    # Not ctx.run_in_thread: a cancel arriving during the commit must not undo a saved change.
    old = await asyncio.to_thread(
        commit_strength, db, style, work, strength=strength, images=images, quality=quality, job_id=ctx.id,
        fence=ctx.verify_owned, changed=changed,
    )
    await asyncio.to_thread(remove_old_previews, style.folder, old)
    ctx.log.info("style %d now grades at %d %%", style.id, strength)


def _lut_at(grade: dict[str, Any], strength: int, build_lut: Any) -> Any:
    from desktop.imaging.grade import GradeStats

    try:
        return build_lut(GradeStats.from_dict(grade), strength=strength / 100)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise UserError(
            "The colour grade stored with this style is damaged, so its strength cannot be changed; "
            "make the style again, or import it again from its pack."
        ) from exc


def _provenance(style: Any, strength: int, params: dict[str, Any]) -> list[str]:
    """The new .cube's comment lines: as a new style's, at the new strength (and with the
    effects of ``params``). The reference's hash comes from the reference file, or from the old
    .cube when the file is gone."""
    from desktop.exchange.cube import provenance

    reference = None
    if style.reference_path is not None and style.reference_path.is_file():
        reference = style.reference_path.read_bytes()
    lines = provenance(
        description=style.description,
        generator=params.get("backend", style.generator),
        strength=strength / 100,
        reference=reference,
        in_cube=params.get("in_cube") or (),
        effects=params.get("effects") or (),
    )
    if reference is None and style.lut_path is not None and style.lut_path.is_file():
        with open(style.lut_path, encoding="ascii", errors="replace") as fh:
            old = next((ln[2:].rstrip("\n") for ln in fh if ln.startswith("# Reference SHA-256:")), None)
        if old:
            lines = [old if ln.startswith("Reference SHA-256:") else ln for ln in lines]
    return lines
