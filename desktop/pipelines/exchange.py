"""``style.export`` and ``style.import``: style packs and LUT files, as jobs.

Front doors (the window, the command line) call ``enqueue_export_pack``,
``enqueue_export_lut`` and ``enqueue_import`` (blocking but quick: they check the styles and
files, then queue; nothing is created when they refuse). A finished import's new style ids are
``imported_ids(row.result_dict())``; the styles it skipped (already in the library, by content
hash) are ``result["skipped"]``.

Export writes ``.<name>.stylestudio-<job>.part`` beside the target and renames it into place
at the end (never over an existing file unless the front door asked for it): a cancel or a
failure leaves no half-written file. Import stages every file under ``tmp/job-<id>-...``, reads
and checks all of it, then inserts the rows and moves the folders into place in one
transaction: a pack of 5 styles whose 4th is damaged adds nothing.

An import's ``path`` is relative to the library folder when the file lies inside it (so a worker
on another machine, which maps the shared folder elsewhere, finds it too), else absolute: the
file is not copied into the library at enqueue (a pack may be gigabytes), so a file outside the
library folder can be imported only by a machine that sees it at that path, and another one
says so in the job's error.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.config import from_library, is_library_relative, relative_to_library
from desktop.errors import UserError
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register

EXPORT = "style.export"
IMPORT = "style.import"
KINDS = ("pack", "cube", "hald")
CUBE_SIZES = (17, 33, 65)
EXPORT_KEYS = ("kind", "styles", "style", "format", "size", "out", "with_reference", "overwrite")
IMPORT_KEYS = ("path", "kind")
PART = ".stylestudio-"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- payloads -------------------------------------------------------------------------------


def validate_export(payload: dict[str, Any]) -> None:
    from desktop.exchange import limits

    unknown = sorted(str(k) for k in payload if k not in EXPORT_KEYS)
    if unknown:
        raise UserError(f"A style.export payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(EXPORT_KEYS)}.")
    out = payload.get("out")
    if not isinstance(out, str) or not out.strip() or not os.path.isabs(out):
        raise UserError("The export's target must be a full path, like /home/me/styles.stylepack.")
    for key in ("with_reference", "overwrite"):
        if not isinstance(payload.get(key, False), bool):
            raise UserError(f"{key} must be true or false.")
    kind = payload.get("kind")
    if kind == "pack":
        styles = payload.get("styles")
        if not isinstance(styles, list) or not styles or not all(_is_int(s) and s >= 1 for s in styles):
            raise UserError("A pack names its styles by id, a list of whole numbers like [3, 5].")
        if len(styles) > limits.MAX_STYLES or len(set(styles)) != len(styles):
            raise UserError(f"A pack holds 1 to {limits.MAX_STYLES:,} different styles.")
    elif kind == "lut":
        if not _is_int(payload.get("style")) or payload["style"] < 1:
            raise UserError("The style must be given by its id, a whole number like 3.")
        fmt = payload.get("format")
        if fmt not in ("cube", "hald"):
            raise UserError(f"There is no LUT format '{str(fmt)[:40]}'; use cube or hald.")
        size = payload.get("size")
        if fmt == "cube" and size not in CUBE_SIZES:
            raise UserError("A .cube is exported at 17, 33 or 65 points a side.")
        if fmt == "hald" and size is not None:
            raise UserError("A HaldCLUT is always level 8 (512x512 pixels); leave the size out.")
    else:
        raise UserError("An export is a 'pack' of styles or one style's 'lut'.")


def validate_import(payload: dict[str, Any]) -> None:
    unknown = sorted(str(k) for k in payload if k not in IMPORT_KEYS)
    if unknown:
        raise UserError(f"A style.import payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(IMPORT_KEYS)}.")
    path = payload.get("path")
    if not isinstance(path, str) or not path.strip() or not (os.path.isabs(path) or is_library_relative(path)):
        raise UserError("The file to import must be a full path, like /home/me/look.cube.")
    if payload.get("kind") not in KINDS:
        raise UserError("An import is a 'pack', a 'cube' or a 'hald' file.")


# --- front doors ------------------------------------------------------------------------------


def check_target(out: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """The export's target as a full path; refused when it exists (unless ``overwrite``), is a
    folder, or its folder is missing or cannot be written."""
    path = Path(out).expanduser().absolute()
    if path.is_dir():
        raise UserError(f"{path} is a folder; name the file to write, like {path / 'styles.stylepack'}.")
    if os.path.lexists(path) and not overwrite:
        raise UserError(f"{path} already exists; choose another name, or delete it first.")
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"The folder {folder} does not exist; create it first or choose another place.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"The folder {folder} cannot be written to; choose a folder you can write to.")
    return path


def _require_style(runtime: Any, style: int | str) -> Any:
    from desktop.pipelines.style_apply import find_style

    info = find_style(runtime, style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file; make the style again, then export it.")
    return info


def enqueue_export_pack(runtime: Any, style_ids: list[int | str], out: str | os.PathLike[str], with_reference: bool = False, *, overwrite: bool = False) -> int:
    """Queue a ``.stylepack`` of ``style_ids`` (ids or exact names) written to ``out``; returns
    the job id. Raises UserError, with nothing queued, when a style or the target is refused."""
    ids: list[int] = []
    for s in style_ids:
        info = _require_style(runtime, s)
        if not info.images:
            raise UserError(f"Style {info.id} has no previews; make the style again, then export it.")
        if info.id not in ids:
            ids.append(info.id)
    target = check_target(out, overwrite=overwrite)
    payload = {"kind": "pack", "styles": ids, "out": str(target), "with_reference": bool(with_reference), "overwrite": overwrite}
    return runtime.engine.enqueue(EXPORT, payload)


def enqueue_export_lut(runtime: Any, style_id: int | str, fmt: str, size: int | None, out: str | os.PathLike[str], *, overwrite: bool = False) -> int:
    """Queue one style's LUT as ``fmt`` ``cube`` (``size`` 17, 33 or 65; None: 33) or ``hald``
    (level 8; ``size`` must be None), written to ``out``; returns the job id."""
    info = _require_style(runtime, style_id)
    if fmt == "cube" and size is None:
        size = 33
    target = check_target(out, overwrite=overwrite)
    payload = {"kind": "lut", "style": info.id, "format": fmt, "size": size, "out": str(target), "overwrite": overwrite}
    if fmt == "hald":
        payload.pop("size")
    return runtime.engine.enqueue(EXPORT, payload)


def import_kind(path: Path) -> str:
    """What a file to import is, by its first bytes (and name): pack, cube or hald. Raises
    UserError with one sentence when it is none of them."""
    from desktop.exchange import limits
    from desktop.imaging.intake import sniff

    if not path.exists():
        raise UserError(f"{path} does not exist; check the name.")
    if not path.is_file():
        raise UserError(f"{path} is not a file; name a .stylepack, a .cube or a HaldCLUT .png.")
    size = path.stat().st_size
    if size > max(limits.MAX_PACK_BYTES, limits.MAX_CUBE_BYTES):
        raise UserError(f"{path.name} is {size / 1024**3:.1f} GB, too big to be a style pack or a LUT.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise UserError(f"Can't read {path.name} ({exc.strerror or exc}); check that it is readable.") from exc
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "pack"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "hald"
    upper = head.upper()
    if path.suffix.lower() == ".cube" or b"LUT_3D_SIZE" in upper or b"LUT_1D_SIZE" in upper:
        return "cube"
    found = sniff(head)
    what = f" (it looks like {found[1] if found[0] != 'image' else 'a ' + found[1] + ' image'})" if found else ""
    raise UserError(
        f"{path.name} is not a style pack, a .cube LUT or a HaldCLUT PNG{what}; import .stylepack, .cube or .png files."
    )


def enqueue_import(runtime: Any, paths: list[str | os.PathLike[str]]) -> list[int]:
    """Queue one ``style.import`` job per file; returns their ids in order. Every file is
    checked first (exists, readable, a pack, a .cube or a PNG), so nothing is queued when one
    is refused; the contents are checked by the job."""
    if not paths:
        raise UserError("Name at least one .stylepack, .cube or HaldCLUT .png file to import.")
    payloads = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        payload = {"path": relative_to_library(path, runtime.paths.library), "kind": import_kind(path)}
        validate_import(payload)
        payloads.append(payload)
    return [runtime.engine.enqueue(IMPORT, p) for p in payloads]


def imported_ids(result: dict[str, Any] | None) -> list[int]:
    """The new style ids of a finished ``style.import`` job's result (empty when none)."""
    ids = (result or {}).get("ids")
    return [int(i) for i in ids] if isinstance(ids, list) else []


# --- export ---------------------------------------------------------------------------------


def _part_name(out: Path, job_id: int) -> Path:
    return out.with_name(f".{out.name}{PART}{job_id}.part")


def _place(temp: Path, out: Path, overwrite: bool) -> None:
    """Give ``temp`` the name ``out``: never over an existing file unless ``overwrite``."""
    if overwrite:
        os.replace(temp, out)
        return
    try:
        os.link(temp, out)
    except FileExistsError:
        raise UserError(f"{out} appeared while it was being exported; choose another name, or delete it first.") from None
    except OSError:
        if os.path.lexists(out):
            raise UserError(f"{out} appeared while it was being exported; choose another name, or delete it first.") from None
        os.replace(temp, out)  # no hard links here (FAT, some network shares)
        return
    os.unlink(temp)


@register(EXPORT, title="Export styles", retry_safe=True, validate=validate_export)
async def export_styles(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    validate_export(payload)
    out = Path(payload["out"])
    overwrite = bool(payload.get("overwrite", False))
    if ctx.attempt > 1 and not overwrite and out.is_file() and out.stat().st_mtime >= ctx.row.created_at:
        # an earlier attempt of this job finished the file and then lost its process
        return _export_result(payload, out)
    if os.path.lexists(out) and not overwrite:
        raise UserError(f"{out} already exists; choose another name, or delete it first.")
    temp = _part_name(out, ctx.id)
    try:
        if payload["kind"] == "pack":
            await _export_pack(ctx, payload, temp)
        else:
            await _export_lut(ctx, payload, temp)
        ctx.check()
        await asyncio.to_thread(_place, temp, out, overwrite)
    finally:
        temp.unlink(missing_ok=True)
    return _export_result(payload, out)


def _export_result(payload: dict[str, Any], out: Path) -> dict[str, Any]:
    styles = payload["styles"] if payload["kind"] == "pack" else [payload["style"]]
    return {"table": "styles", "id": styles[0], "styles": styles, "out": str(out), "bytes": out.stat().st_size}


async def _export_pack(ctx: JobContext, payload: dict[str, Any], temp: Path) -> None:
    from desktop import __version__
    from desktop.exchange.pack import PackWriter
    from desktop.library import Library

    library = Library(ctx.services["db"], ctx.services["paths"])
    ids: list[int] = payload["styles"]
    n = len(ids)
    with open(temp, "wb") as fh:
        writer = PackWriter(fh)
        try:
            for i, style_id in enumerate(ids):
                ctx.progress(i / n, f"Packing {i + 1} of {n} styles")
                info = await ctx.run_in_thread(library.require, style_id)
                entry = await ctx.run_in_thread(_pack_style, writer, info, i + 1, bool(payload.get("with_reference")))
                writer.add_style(entry)
            ctx.progress(1.0, "Writing the manifest")
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            await ctx.run_in_thread(writer.finish, app_version=__version__, created=now)
        except BaseException:
            writer.abort()
            raise


def _pack_style(writer: Any, info: Any, index: int, with_reference: bool) -> dict[str, Any]:
    from desktop.exchange.pack import content_hash, file_json
    from desktop.jobs.model import iso
    from desktop.pipelines.style_apply import style_strength

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
        "strength": style_strength(params),
        "looks": [x for x in params.get("looks", []) if isinstance(x, str)] if isinstance(params.get("looks"), list) else [],
        "effects": [x for x in params.get("effects", []) if isinstance(x, str)] if isinstance(params.get("effects"), list) else [],
        "generator": info.generator,
        "created": iso(info.created_at),
        "params": params,
        "analysis": analysis,
        "content_hash": digest,
        "files": {"cube": file_json(cube), "previews": previews, "reference": reference},
    }


async def _export_lut(ctx: JobContext, payload: dict[str, Any], temp: Path) -> None:
    from desktop import __version__
    from desktop.exchange.hald import write_hald
    from desktop.imaging.cube_files import read_cube, write_cube
    from desktop.library import Library

    library = Library(ctx.services["db"], ctx.services["paths"])
    info = await ctx.run_in_thread(library.require, int(payload["style"]))
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file any more; make the style again, then export it.")
    ctx.progress(0.1, "Reading the colour grade")
    lut = await ctx.run_in_thread(read_cube, info.lut_path)
    if payload["format"] == "hald":
        ctx.progress(0.4, "Writing the HaldCLUT (level 8, 512x512)")
        await ctx.run_in_thread(write_hald, temp, lut.to_pillow())
        return
    size = int(payload["size"])
    ctx.progress(0.4, f"Writing the .cube ({size} points a side)")
    notes = [c for c in lut.comments if c and not c.startswith(("Created by Style Studio", "Exported by"))]
    notes.append(f"Exported by Style Studio {__version__} at {size} points a side from style {info.id}")
    await ctx.run_in_thread(write_cube, temp, lut, info.name, size=size, notes=notes)


# --- import ---------------------------------------------------------------------------------


@register(IMPORT, title="Import styles", retry_safe=True, validate=validate_import)
async def import_styles(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Idempotent: the first style an import adds carries the job's id (``styles.job_id``); a
    run after a crash that came after the commit finds it and reports the styles again."""
    from desktop.pipelines.style_generate import style_of_job

    validate_import(payload)
    paths = ctx.services["paths"]
    db = ctx.services["db"]
    source = from_library(payload["path"], paths.library, "The file to import")
    existing = await asyncio.to_thread(style_of_job, db, ctx.id)
    if existing is not None and payload["kind"] != "pack":
        return {"table": "styles", "id": existing, "ids": [existing], "skipped": [], "file": source.name}
    if not source.is_file():
        if not os.path.isabs(payload["path"]):
            raise UserError(f"{payload['path']} is no longer in the library folder ({paths.library}); import it again from where it is now.")
        raise UserError(
            f"{source} is not there on {socket.gethostname()}: it was moved, or it is on another computer. "
            "Import it again from where it is now, or put it in the library folder so every machine sees it."
        )
    work = paths.tmp_dir / f"job-{ctx.id}-{ctx.attempt}-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True)
    try:
        if payload["kind"] == "pack":
            return await _import_pack(ctx, source, work, already=existing)
        return await _import_lut(ctx, source, payload["kind"], work)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


async def _import_lut(ctx: JobContext, source: Path, kind: str, work: Path) -> dict[str, Any]:
    from desktop.exchange.hald import read_hald
    from desktop.exchange.pack import sha256_file
    from desktop.generators.local import StylePlan, render_preview
    from desktop.imaging.cube_files import read_cube, write_cube
    from desktop.imaging.lut import provenance
    from desktop.imaging.thumbnails import save_preview, save_thumbnail
    from desktop.pipelines.style_generate import _commit_style, _save_pair, first_sample

    settings = ctx.services["settings"]
    ctx.progress(0.05, f"Reading {source.name}")
    lut = await ctx.run_in_thread(read_cube if kind == "cube" else read_hald, source)
    digest = await ctx.run_in_thread(sha256_file, source)
    unit = await ctx.run_in_thread(lut.to_unit)
    grade = unit.to_pillow()
    name = " ".join((lut.title or source.stem).split())[:200] or "Imported LUT"
    description = f"Colour grade imported from {source.name}"
    seed = int(digest[:8], 16) % (2**31 - 1) + 1
    count, size = int(settings.preview_count), int(settings.preview_size)
    plan = StylePlan(lut=grade, looks=[], seed=seed, analysis=None, description=description, strength=1.0)
    first = first_sample(seed)
    images = []
    for i in range(count):
        ctx.progress(0.15 + 0.75 * i / count, f"Rendering preview {i + 1} of {count}")
        img = await ctx.run_in_thread(render_preview, plan, first + i, size=size)
        images.append(await ctx.run_in_thread(_save_pair, img, work, i, size, save_preview, save_thumbnail))
    ctx.progress(0.92, "Saving style")
    what = f"{lut.size}-point {'3D' if lut.dimensions == 3 else '1D'} {'HaldCLUT' if kind == 'hald' else '.cube'}"
    notes = provenance(description=description, generator="imported", strength=1.0, in_cube=[f"the {what} {source.name}"])
    notes.append(f"Imported from: {source.name} (SHA-256 {digest})")
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
        "in_cube": [f"the {what} {source.name}"],
        "source": {"file": source.name, "format": kind, "dimensions": lut.dimensions, "size": lut.size, "sha256": digest},
    }
    style_id = await asyncio.to_thread(
        _commit_style,
        ctx.services["db"],
        ctx.services["paths"],
        work,
        name=name,
        description=description,
        prompt="",
        generator="imported",
        reference=None,
        analysis=None,
        params=params,
        images=images,
        job_id=ctx.id,
        fence=ctx.verify_owned,
    )
    ctx.log.info("imported %s as style %d", source.name, style_id)
    return {"table": "styles", "id": style_id, "ids": [style_id], "skipped": [], "file": source.name}


@dataclass
class _Staged:
    style: Any  # PackStyle
    folder: Path
    images: list[tuple[str, str, int, int]] = field(default_factory=list)  # preview, thumb names
    reference: tuple[Path, str] | None = None  # staged file, name in uploads/


async def _import_pack(ctx: JobContext, source: Path, work: Path, *, already: int | None) -> dict[str, Any]:
    from desktop.exchange.pack import open_pack

    db, paths = ctx.services["db"], ctx.services["paths"]
    ctx.progress(0.02, f"Checking {source.name}")
    reader = await ctx.run_in_thread(open_pack, source)
    try:
        styles = reader.manifest.styles
        n = len(styles)
        present = await ctx.run_in_thread(_present_by_hash, db, paths, styles)
        if already is not None:  # an earlier attempt committed these: report them
            ids = [present[s.content_hash] for s in styles if s.content_hash in present]
            return {"table": "styles", "id": already, "ids": ids, "skipped": [], "file": source.name}
        staged: list[_Staged] = []
        skipped = []
        for i, style in enumerate(styles):
            ctx.progress(0.05 + 0.85 * i / n, f"Checking {i + 1} of {n} styles")
            if style.content_hash in present:
                skipped.append({"name": style.name, "id": present[style.content_hash]})
                ctx.log.info("'%s' is already in the library as style %d; skipped", style.name, present[style.content_hash])
                continue
            staged.append(await ctx.run_in_thread(_stage, reader, style, work / str(i + 1)))
    finally:
        reader.close()
    ctx.check()  # the last moment a cancel can stop it
    ids: list[int] = []
    if staged:
        ctx.progress(0.95, f"Saving {len(staged)} style{'s' if len(staged) != 1 else ''}")
        ids = await asyncio.to_thread(_commit_pack, db, paths, staged, ctx.id, ctx.verify_owned)
    first = ids[0] if ids else (skipped[0]["id"] if skipped else None)
    if skipped:
        ctx.progress(1.0, f"Imported {len(ids)} of {n} styles; {len(skipped)} already in the library")
        ctx.flush()
    return {"table": "styles", "id": first, "ids": ids, "skipped": skipped, "file": source.name}


def _present_by_hash(db: Any, paths: Any, styles: Any) -> dict[str, int]:
    """The library's styles whose content hash is one of the pack's: by .cube size first (one
    stat each), then the hash of the few whose size matches."""
    from sqlalchemy import select

    from desktop.db.models import Style, StyleImage
    from desktop.exchange.pack import content_hash, sha256_file
    from desktop.library import RealPaths

    wanted = {s.content_hash for s in styles}
    sizes = {s.cube.bytes for s in styles}
    with db.read_session() as s:
        rows = s.execute(select(Style.id, Style.lut_path).where(Style.lut_path.is_not(None)).order_by(Style.id)).all()
    real = RealPaths()
    root = real(os.path.abspath(paths.styles_dir)).rstrip(os.sep) + os.sep
    library = os.path.abspath(paths.library)
    found: dict[str, int] = {}
    for style_id, lut_path in rows:
        cube = real(os.path.join(library, lut_path))
        if not cube.startswith(root):
            continue
        try:
            if os.stat(cube).st_size not in sizes:
                continue
        except OSError:
            continue
        with db.read_session() as s:
            previews = list(s.scalars(select(StyleImage.path).where(StyleImage.style_id == style_id).order_by(StyleImage.position)))
        try:
            files = [real(os.path.join(library, p)) for p in previews]
            if not all(f.startswith(root) for f in files):
                continue
            digest = content_hash(sha256_file(cube), [sha256_file(f) for f in files])
        except OSError:
            continue
        if digest in wanted:
            found.setdefault(digest, style_id)
    return found


def _stage(reader: Any, style: Any, folder: Path) -> _Staged:
    """Read, check and write one style's files under ``folder`` (names of our own choosing)."""
    from desktop.imaging.cube_files import parse_cube_bytes
    from desktop.imaging.intake import EXTENSIONS, load_image

    folder.mkdir(parents=True)
    staged = _Staged(style, folder)
    cube = reader.read(style.cube)
    parse_cube_bytes(cube, f"{reader.label}: {style.cube.path}")  # a grade we can apply, or refused
    (folder / "style.cube").write_bytes(cube)
    for k, p in enumerate(style.previews, 1):
        names = []
        for ref, stem in ((p.image, "preview"), (p.thumb, "thumb")):
            data = reader.read(ref)
            loaded = load_image(data, name=f"{reader.label}: {ref.path}")
            name = f"{stem}-{k}.{EXTENSIONS[loaded.format]}"
            (folder / name).write_bytes(data)
            names.append(name)
        staged.images.append((names[0], names[1], p.width, p.height))
    if style.reference is not None:
        data = reader.read(style.reference)
        loaded = load_image(data, name=f"{reader.label}: {style.reference.path}", draft_size=(256, 256))
        ref_name = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[loaded.format]}"
        (folder / ".reference").write_bytes(data)
        staged.reference = (folder / ".reference", ref_name)
    return staged


def _commit_pack(db: Any, paths: Any, staged: list[_Staged], job_id: int, fence: Any) -> list[int]:
    """Insert every style's rows and move every folder (and reference) into place in one
    transaction: all or nothing. The first style carries the job's id."""
    import json

    from sqlalchemy import select

    from desktop.db.models import Style, StyleImage
    from desktop.pipelines.style_generate import _clear_leftover

    moved: list[tuple[Path, Path]] = []  # (final, staged) folders
    placed_refs: list[Path] = []
    now = time.time()
    try:
        with db.write_session() as s:
            fence(s)
            if s.scalar(select(Style.id).where(Style.job_id == job_id)) is not None:
                raise UserError("This import was already saved by an earlier attempt; run the import again to see its styles.")
            ids = []
            for n, st in enumerate(staged):
                ps = st.style
                reference_rel = None
                if st.reference is not None:
                    staged_ref, ref_name = st.reference
                    target = paths.uploads_dir / ref_name
                    if not target.is_file():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(staged_ref, target)
                        placed_refs.append(target)
                    reference_rel = f"uploads/{ref_name}"
                style = Style(
                    name=ps.name,
                    description=ps.description,
                    prompt=ps.prompt,
                    generator=ps.generator,
                    folder="",
                    reference_path=reference_rel,
                    lut_path=None,
                    analysis=json.dumps(ps.analysis) if ps.analysis else None,
                    params=json.dumps(ps.params),
                    job_id=job_id if n == 0 else None,
                    created_at=now - n * 1e-3,  # the pack's first style shows first
                )
                s.add(style)
                s.flush()
                final = paths.styles_dir / str(style.id)
                _clear_leftover(final)
                rel = f"styles/{style.id}"
                style.folder = rel
                style.lut_path = f"{rel}/style.cube"
                for position, (preview, thumb, w, h) in enumerate(st.images):
                    s.add(StyleImage(style_id=style.id, position=position, path=f"{rel}/{preview}", thumb_path=f"{rel}/{thumb}", width=w, height=h))
                (st.folder / ".reference").unlink(missing_ok=True)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(st.folder, final)
                moved.append((final, st.folder))
                ids.append(style.id)
        return ids
    except BaseException:
        for final, folder in moved:
            if final.exists() and not folder.exists():
                shutil.rmtree(final, ignore_errors=True)
        for ref in placed_refs:
            ref.unlink(missing_ok=True)
        raise
