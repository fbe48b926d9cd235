"""A ``.cube`` or HaldCLUT PNG imported as a new style: the grade read with limits (any size
2..256, resampled to the 65 points a side a style applies), previews rendered over the sample
photos, the style committed whole. Its name is the file's TITLE, else the file's name, cleaned
of control and format characters at the door (``desktop.text.clean_name``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from desktop.jobs.context import JobContext
from desktop.text import clean_name, shown_path

FALLBACK_NAME = "Imported LUT"


def style_name(title: str, file_name: str) -> str:
    """The new style's name: the LUT's title, else the file's name without its suffix."""
    return clean_name(title) or clean_name(Path(file_name).stem) or FALLBACK_NAME


async def import_lut(ctx: JobContext, source: Path, kind: str, work: Path) -> dict[str, Any]:
    from desktop.exchange.cube import provenance, read_cube, write_cube
    from desktop.exchange.hald import read_hald
    from desktop.exchange.pack import sha256_file
    from desktop.generators.local import StylePlan, render_preview
    from desktop.imaging.thumbnails import save_preview, save_thumbnail
    from desktop.library.writing import NewStyle, commit_new_style
    from desktop.pipelines.generate.previews import first_sample
    from desktop.pipelines.generate.work import save_pair
    from desktop.resources import sample_photos

    settings = ctx.services["settings"]
    label = shown_path(source.name)
    file_name = clean_name(source.name) or "a LUT file"
    ctx.progress(0.05, f"Reading {label}")
    lut = await ctx.run_in_thread(read_cube if kind == "cube" else read_hald, source, name=label)
    digest = await ctx.run_in_thread(sha256_file, source)
    unit = await ctx.run_in_thread(lut.to_unit)
    grade = unit.to_pillow()
    name = style_name(lut.title, source.name)
    description = f"Colour grade imported from {file_name}"
    seed = int(digest[:8], 16) % (2**31 - 1) + 1
    count, size = int(settings.preview_count), int(settings.preview_size)
    plan = StylePlan(lut=grade, looks=[], seed=seed, analysis=None, description=description, strength=1.0)
    first = first_sample(seed)
    samples = sample_photos()
    images = []
    for i in range(count):
        ctx.progress(0.15 + 0.75 * i / count, f"Rendering preview {i + 1} of {count}")
        img = await ctx.run_in_thread(render_preview, plan, first + i, size=size)
        images.append(await ctx.run_in_thread(save_pair, img, work, i, size, save_preview, save_thumbnail))
    ctx.progress(0.92, "Saving style")
    what = f"{lut.size}-point {'3D' if lut.dimensions == 3 else '1D'} {'HaldCLUT' if kind == 'hald' else '.cube'}"
    notes = provenance(description=description, generator="imported", strength=1.0, in_cube=[f"the {what} {file_name}"])
    notes.append(f"Imported from: {file_name} (SHA-256 {digest})")
    await ctx.run_in_thread(write_cube, work / "style.cube", unit, name, notes=notes)
    ctx.check()  # the last moment a cancel can stop it
    params = {
        "seed": seed,
        "size": size,
        "previews": count,
        "backend": "imported",
        "strength": 100,
        "looks": [],
        "effects": [],
        "words": [],
        "unknown_words": [],
        "in_cube": [f"the {what} {file_name}"],
        "preview_sources": [samples[(first + i) % len(samples)].name for i in range(count)] if samples else [],
        "source": {"file": file_name, "format": kind, "dimensions": lut.dimensions, "size": lut.size, "sha256": digest},
    }
    new = NewStyle(name=name, description=description, generator="imported", params=params, images=images)
    db, paths = ctx.services["db"], ctx.services["paths"]
    style_id = await asyncio.to_thread(commit_new_style, db, paths, work, new, job_id=ctx.id, fence=ctx.verify_owned)
    ctx.log.info("imported %s as style %d", label, style_id)
    return {"table": "styles", "id": style_id, "ids": [style_id], "skipped": [], "file": file_name}
