"""A style pack imported: every style's files read from the pack and checked (the .cube, the
stored grade as apply and strength use it, each picture's size from its header before it is
decoded), written under the job's work folder, then committed together
(``desktop.library.writing.commit_pack``). A style already in the library (the same content hash)
is skipped and reported, also when another import of the same pack commits it meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.jobs.context import JobContext
from desktop.text import printable, shown_path


@dataclass
class Staged:
    style: Any  # PackStyle
    folder: Path
    images: list[tuple[str, str, int, int]] = field(default_factory=list)  # preview, thumb names
    reference: tuple[Path, str] | None = None  # staged file, name in uploads/


async def import_pack(ctx: JobContext, source: Path, work: Path, *, already: int | None) -> dict[str, Any]:
    from desktop.exchange.pack import open_pack
    from desktop.library.writing import commit_pack
    from desktop.pipelines.import_.present import present_by_hash

    db, paths = ctx.services["db"], ctx.services["paths"]
    label = shown_path(source.name)
    ctx.progress(0.02, f"Checking {label}")
    reader = await ctx.run_in_thread(open_pack, source, name=label)
    try:
        styles = reader.manifest.styles
        n = len(styles)
        present = await ctx.run_in_thread(present_by_hash, db, paths, styles)
        if already is not None:  # an earlier attempt committed these: report them
            ids = [present[s.content_hash] for s in styles if s.content_hash in present]
            return {"table": "styles", "id": already, "ids": ids, "skipped": [], "file": label}
        staged: list[Staged] = []
        skipped: list[dict[str, Any]] = []
        twins: list[Any] = []  # a style the pack holds twice: the second is skipped
        hashes: set[str] = set()
        for i, style in enumerate(styles):
            ctx.progress(0.05 + 0.85 * i / n, f"Checking {i + 1} of {n} styles")
            if style.content_hash in present:
                skipped.append({"name": style.name, "id": present[style.content_hash]})
                ctx.log.info("'%s' is already in the library as style %d; skipped", printable(style.name), present[style.content_hash])
                continue
            if style.content_hash in hashes:
                twins.append(style)
                continue
            hashes.add(style.content_hash)
            staged.append(await ctx.run_in_thread(stage_style, reader, style, work / str(i + 1)))
    finally:
        reader.close()
    ctx.check()  # the last moment a cancel can stop it
    ids: list[int] = []
    if staged:
        ctx.progress(0.95, f"Saving {len(staged)} style{'s' if len(staged) != 1 else ''}")
        new, late = await asyncio.to_thread(commit_pack, db, paths, staged, ctx.id, ctx.verify_owned)
        ids = list(new.values())
        for st in staged:
            if st.style.content_hash in late:  # another import of the same styles committed it first
                skipped.append({"name": st.style.name, "id": late[st.style.content_hash]})
                ctx.log.info("'%s' was imported meanwhile as style %d; skipped", printable(st.style.name), late[st.style.content_hash])
        known = {**new, **late}
        skipped += [{"name": t.name, "id": known[t.content_hash]} for t in twins if t.content_hash in known]
    first = ids[0] if ids else (skipped[0]["id"] if skipped else None)
    if skipped:
        ctx.progress(1.0, f"Imported {len(ids)} of {n} styles; {len(skipped)} already in the library")
        ctx.flush()
    return {"table": "styles", "id": first, "ids": ids, "skipped": skipped, "file": label}


def _write(path: Path, data: bytes) -> None:
    from desktop.files import write_output

    write_output(path, data)


def stage_style(reader: Any, style: Any, folder: Path) -> Staged:
    """Read, check and write one style's files under ``folder`` (names of our own choosing)."""
    from desktop.exchange import limits
    from desktop.exchange.cube import parse_cube_bytes
    from desktop.exchange.grade_check import params_problem
    from desktop.imaging.intake import EXTENSIONS, check_image_file, load_image
    from desktop.library.reading import stored_strength

    problem = params_problem(style.params, style.analysis, stored_strength(style.params))
    if problem:
        raise reader.bad(f"in style {style.index}, {problem}")
    folder.mkdir(parents=True)
    staged = Staged(style, folder)
    cube = reader.read(style.cube)
    parse_cube_bytes(cube, f"{reader.label}: {printable(style.cube.path)}")  # a grade we can apply, or refused
    _write(folder / "style.cube", cube)
    for k, p in enumerate(style.previews, 1):
        names = []
        for ref, stem, edge in ((p.image, "preview", limits.MAX_PREVIEW_EDGE), (p.thumb, "thumb", limits.MAX_THUMB_EDGE)):
            data = reader.read(ref)
            label = f"{reader.label}: {printable(ref.path)}"
            width, height = check_image_file(data, name=label)  # the header only
            if max(width, height) > edge:
                what = "preview" if stem == "preview" else "thumbnail"
                raise reader.bad(
                    f"the {what} {printable(ref.path)} is {width}x{height} pixels, larger than the {edge:,} pixels a side of the {what}s Style Studio makes"
                )
            loaded = load_image(data, name=label, draft_size=(256, 256))  # decodes: a damaged picture is refused
            name = f"{stem}-{k}.{EXTENSIONS[loaded.format]}"
            _write(folder / name, data)
            names.append(name)
        staged.images.append((names[0], names[1], p.width, p.height))
    if style.reference is not None:
        data = reader.read(style.reference)
        loaded = load_image(data, name=f"{reader.label}: {printable(style.reference.path)}", draft_size=(256, 256))
        ref_name = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[loaded.format]}"
        staged_ref = folder.parent / f"{folder.name}.reference"  # beside the style's folder, not in it
        _write(staged_ref, data)
        staged.reference = (staged_ref, ref_name)
    return staged
