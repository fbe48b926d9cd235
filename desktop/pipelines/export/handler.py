"""The ``style.export`` job: a style pack, a ``.cube`` or a HaldCLUT PNG written where a person
asked (checked by the payload's grant before anything is opened).

Every export goes through ``desktop.files.OutputFile``: its bytes go to a new file with a random
name beside the target (created exclusively, never through a link planted there), are flushed,
synced and checked on disk, and only then is the file linked into place, never over an existing
file unless the person agreed to replace it (the grant says so). A cancel, a failure or a full
disk leaves nothing. Exports are for sharing: they get the person's usual permissions (0o666
less the umask).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.errors import UserError
from desktop.files import OutputFile
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register
from desktop.pipelines.export.request import (
    EXPORT,
    EXPORT_PAYLOAD,
    ExportLutPayload,
    ExportPackPayload,
    ExportPayload,
    export_overwrites,
)
from desktop.text import shown_path

SHARED_MODE = 0o666  # what a person exports: their umask decides


@register(EXPORT, title="Export styles", retry_safe=True, payload=EXPORT_PAYLOAD)
async def export_styles(ctx: JobContext, payload: ExportPayload) -> dict[str, Any]:
    overwrite = export_overwrites(ctx.services["paths"].library, payload)  # before anything is opened
    out = Path(payload.out)
    if ctx.attempt > 1 and not overwrite and out.is_file() and out.stat().st_mtime >= ctx.row.created_at:
        # an earlier attempt of this job finished the file and then lost its process
        return _export_result(payload, out)
    if os.path.lexists(out) and not overwrite:
        raise UserError(f"{shown_path(out)} already exists; choose another name, or delete it first.")
    if isinstance(payload, ExportPackPayload):
        await _export_pack(ctx, payload, out, overwrite)
    else:
        await _export_lut(ctx, payload, out, overwrite)
    return _export_result(payload, out)


def _export_result(payload: ExportPayload, out: Path) -> dict[str, Any]:
    styles = list(payload.styles) if isinstance(payload, ExportPackPayload) else [payload.style]
    return {"table": "styles", "id": styles[0], "styles": styles, "out": str(out), "bytes": out.stat().st_size}


async def _export_pack(ctx: JobContext, payload: ExportPackPayload, out: Path, overwrite: bool) -> None:
    from desktop import __version__
    from desktop.exchange.pack import PackWriter
    from desktop.library.reading import Library

    library = Library(ctx.services["db"], ctx.services["paths"])
    ids = payload.styles
    n = len(ids)
    with OutputFile(out, overwrite=overwrite, mode=SHARED_MODE) as output:
        writer = PackWriter(output.file)
        try:
            for i, style_id in enumerate(ids):
                ctx.progress(i / n, f"Packing {i + 1} of {n} styles")
                info = await ctx.run_in_thread(library.require, style_id)
                entry = await ctx.run_in_thread(_pack_style, writer, info, i + 1, payload.with_reference)
                writer.add_style(entry)
            ctx.progress(1.0, "Writing the manifest")
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            await ctx.run_in_thread(writer.finish, app_version=__version__, created=now)
        except BaseException:
            writer.abort()
            raise
        ctx.check()  # the last moment a cancel can stop it
        # not ctx.run_in_thread: a cancel arriving now must not leave a placed file unreported
        await asyncio.to_thread(output.commit)


def _pack_style(writer: Any, info: Any, index: int, with_reference: bool) -> dict[str, Any]:
    from desktop.exchange.pack import content_hash, file_json
    from desktop.jobs.model import iso
    from desktop.library.reading import stored_strength

    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file any more; make the style again, then export it.")
    if not info.images:
        raise UserError(f"Style {info.id} has no previews; make the style again, then export it.")
    folder = f"styles/{index}"
    cube = writer.add_file(info.lut_path, f"{folder}/style.cube")
    previews = []
    for k, img in enumerate(info.images, 1):
        image = writer.add_file(img.path, f"{folder}/preview-{k}{img.path.suffix.lower()}")
        thumb = writer.add_file(img.thumb_path, f"{folder}/thumb-{k}{img.thumb_path.suffix.lower()}")
        previews.append({"image": file_json(image), "thumb": file_json(thumb), "width": img.width, "height": img.height, "_sha": image.sha256})
    reference = None
    if with_reference and info.reference_path is not None and info.reference_path.is_file():
        reference = file_json(writer.add_file(info.reference_path, f"{folder}/reference{info.reference_path.suffix.lower()}"))
    params = info.params if isinstance(info.params, dict) else {}
    analysis = info.analysis if isinstance(info.analysis, dict) else None
    digest = content_hash(cube.sha256, [p.pop("_sha") for p in previews])
    return {
        "name": info.name,
        "description": info.description,
        "prompt": info.prompt,
        "palette": (analysis or {}).get("palette"),
        "strength": stored_strength(params),
        "looks": [x for x in params.get("looks", []) if isinstance(x, str)] if isinstance(params.get("looks"), list) else [],
        "effects": [x for x in params.get("effects", []) if isinstance(x, str)] if isinstance(params.get("effects"), list) else [],
        "generator": info.generator,
        "created": iso(info.created_at),
        "params": params,
        "analysis": analysis,
        "content_hash": digest,
        "files": {"cube": file_json(cube), "previews": previews, "reference": reference},
    }


async def _export_lut(ctx: JobContext, payload: ExportLutPayload, out: Path, overwrite: bool) -> None:
    from desktop import __version__
    from desktop.exchange.cube import read_cube, write_cube
    from desktop.exchange.hald import write_hald
    from desktop.library.reading import Library

    library = Library(ctx.services["db"], ctx.services["paths"])
    info = await ctx.run_in_thread(library.require, payload.style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file any more; make the style again, then export it.")
    ctx.progress(0.1, "Reading the colour grade")
    lut = await ctx.run_in_thread(read_cube, info.lut_path)
    ctx.check()  # the file is written (and placed) in one step from here
    notes = export_notes(lut.comments, info.params)
    if payload.format == "hald":
        ctx.progress(0.4, "Writing the HaldCLUT (level 8, 512x512)")
        notes.append(f"Exported by Style Studio {__version__} as a HaldCLUT (level 8) from style {info.id}")
        await asyncio.to_thread(write_hald, out, lut.to_pillow(), title=info.name, notes=notes, overwrite=overwrite, mode=SHARED_MODE)
        return
    size = payload.size
    assert size is not None  # a .cube's size was checked (17, 33 or 65) when its payload was parsed
    ctx.progress(0.4, f"Writing the .cube ({size} points a side)")
    notes.append(f"Exported by Style Studio {__version__} at {size} points a side from style {info.id}")
    await asyncio.to_thread(write_cube, out, lut, info.name, size=size, notes=notes, overwrite=overwrite, mode=SHARED_MODE)


def export_notes(comments: Iterable[str], params: Any) -> list[str]:
    """The notes an exported LUT carries: the style's own .cube comments (its provenance), and
    always its strength: the style file's "Strength: N%" line, or the style's stored strength
    when its file has none (made by an older version)."""
    from desktop.library.reading import stored_strength

    notes = [c for c in comments if c and not c.startswith(("Created by Style Studio", "Exported by"))]
    if not any(c.startswith("Strength:") for c in notes):
        notes.insert(0, f"Strength: {round(stored_strength(params if isinstance(params, dict) else None))}%")
    return notes
