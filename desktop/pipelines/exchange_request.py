"""The front doors of ``style.export`` and ``style.import``: payload checks, and the functions
the window and the command line call to queue an export or an import (blocking but quick: they
check the styles and files, then queue; nothing is created when they refuse).

A job touches a file outside the library only when a front door checked that a person asked
for it: the front door signs what it checked with the library's key (``desktop.grants``) and
puts the signature in the payload as ``grant``; the handler checks it before it opens
anything. An export's grant covers its whole payload (target, styles, format) under the purpose
``export``, or ``export-overwrite`` when the person agreed to replace the target (the window's
save dialog asks); an import's covers the file and its kind. A payload written by hand
(``stylestudio jobs enqueue``, or a row put in a shared database) has no valid grant: its job
fails with one sentence and neither writes nor reads a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from desktop import grants
from desktop.config import is_library_relative, relative_to_library
from desktop.errors import UserError
from desktop.files import NAME_MAX, name_bytes
from desktop.text import shown_path

EXPORT = "style.export"
IMPORT = "style.import"
KINDS = ("pack", "cube", "hald")
CUBE_SIZES = (17, 33, 65)
EXPORT_KEYS = ("kind", "styles", "style", "format", "size", "out", "with_reference", "grant")
IMPORT_KEYS = ("path", "kind", "grant")
EXPORT_GRANT = "export"
EXPORT_OVERWRITE_GRANT = "export-overwrite"  # the person agreed to replace the target
IMPORT_GRANT = "import"
NOT_GRANTED_EXPORT = (
    "This export was not asked for in Style Studio's window or command line, so nothing was written; "
    "export again with File › Export… or 'stylestudio export'."
)
NOT_GRANTED_IMPORT = (
    "This import was not asked for in Style Studio's window or command line, so the file was not opened; "
    "import it again with File › Import… or 'stylestudio import'."
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_grant_shape(payload: dict[str, Any], kind: str) -> None:
    if not grants.well_formed(payload.get("grant")):
        raise UserError(
            f"A style.{kind} payload carries the grant its front door signs; "
            f"{kind} with 'stylestudio {kind}' or the window instead of writing the payload by hand."
        )


# --- payloads -------------------------------------------------------------------------------


def validate_export(payload: dict[str, Any]) -> None:
    from desktop.exchange import limits

    unknown = sorted(str(k) for k in payload if k not in EXPORT_KEYS)
    if unknown:
        raise UserError(f"A style.export payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(EXPORT_KEYS)}.")
    out = payload.get("out")
    if not isinstance(out, str) or not out.strip() or not os.path.isabs(out):
        raise UserError("The export's target must be a full path, like /home/me/styles.stylepack.")
    if not isinstance(payload.get("with_reference", False), bool):
        raise UserError("with_reference must be true or false.")
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
    _check_grant_shape(payload, "export")


def validate_import(payload: dict[str, Any]) -> None:
    unknown = sorted(str(k) for k in payload if k not in IMPORT_KEYS)
    if unknown:
        raise UserError(f"A style.import payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(IMPORT_KEYS)}.")
    path = payload.get("path")
    if not isinstance(path, str) or not path.strip() or not (os.path.isabs(path) or is_library_relative(path)):
        raise UserError("The file to import must be a full path, like /home/me/look.cube.")
    if payload.get("kind") not in KINDS:
        raise UserError("An import is a 'pack', a 'cube' or a 'hald' file.")
    _check_grant_shape(payload, "import")


def _signed(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "grant"}


def export_overwrites(library: str | os.PathLike[str], payload: dict[str, Any]) -> bool:
    """Whether the export may replace its target: checks the payload's grant first (raises
    ``grants.NotGranted`` with one sentence when no front door signed this payload)."""
    fields = _signed(payload)
    token = payload.get("grant")
    if grants.is_granted(library, token, EXPORT_GRANT, **fields):
        return False
    if grants.is_granted(library, token, EXPORT_OVERWRITE_GRANT, **fields):
        return True
    raise grants.NotGranted(NOT_GRANTED_EXPORT)


def check_import_granted(library: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    if not grants.is_granted(library, payload.get("grant"), IMPORT_GRANT, path=payload["path"], kind=payload["kind"]):
        raise grants.NotGranted(NOT_GRANTED_IMPORT)


# --- front doors ------------------------------------------------------------------------------


def check_name_lengths(path: Path) -> None:
    """Refuse (one sentence) a path with a part longer than a file name may be (255 bytes)."""
    for part in path.parts:
        if name_bytes(part) > NAME_MAX:
            shown = shown_path(part)
            raise UserError(
                f"The name {shown[:60]}… is {name_bytes(part):,} bytes long, over the {NAME_MAX} a file or folder name may have; "
                "choose a shorter name."
            )


def check_target(out: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """The export's target as a full path; refused when a part of it is too long, it exists
    (unless ``overwrite``), is a folder, or its folder is missing or cannot be written."""
    path = Path(out).expanduser().absolute()
    check_name_lengths(path)
    shown = shown_path(path)
    if path.is_dir():
        raise UserError(f"{shown} is a folder; name the file to write, like {shown_path(path / 'styles.stylepack')}.")
    if os.path.lexists(path) and not overwrite:
        raise UserError(f"{shown} already exists; choose another name, or delete it first.")
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"The folder {shown_path(folder)} does not exist; create it first or choose another place.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"The folder {shown_path(folder)} cannot be written to; choose a folder you can write to.")
    return path


def _require_style(runtime: Any, style: int | str) -> Any:
    from desktop.pipelines.style_apply import find_style

    info = find_style(runtime, style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file; make the style again, then export it.")
    return info


def _enqueue_export(runtime: Any, payload: dict[str, Any], overwrite: bool) -> int:
    purpose = EXPORT_OVERWRITE_GRANT if overwrite else EXPORT_GRANT
    payload["grant"] = grants.sign(runtime.paths.library, purpose, **payload)
    return runtime.engine.enqueue(EXPORT, payload)


def enqueue_export_pack(runtime: Any, style_ids: list[int | str], out: str | os.PathLike[str], with_reference: bool = False, *, overwrite: bool = False) -> int:
    """Queue a ``.stylepack`` of ``style_ids`` (ids or exact names) written to ``out``; returns
    the job id. ``overwrite``: the person agreed to replace ``out`` (the save dialog asked).
    Raises UserError, with nothing queued, when a style or the target is refused."""
    ids: list[int] = []
    for s in style_ids:
        info = _require_style(runtime, s)
        if not info.images:
            raise UserError(f"Style {info.id} has no previews; make the style again, then export it.")
        if info.id not in ids:
            ids.append(info.id)
    target = check_target(out, overwrite=overwrite)
    payload = {"kind": "pack", "styles": ids, "out": str(target), "with_reference": bool(with_reference)}
    return _enqueue_export(runtime, payload, overwrite)


def enqueue_export_lut(runtime: Any, style_id: int | str, fmt: str, size: int | None, out: str | os.PathLike[str], *, overwrite: bool = False) -> int:
    """Queue one style's LUT as ``fmt`` ``cube`` (``size`` 17, 33 or 65; None: 33) or ``hald``
    (level 8; ``size`` must be None), written to ``out``; returns the job id."""
    info = _require_style(runtime, style_id)
    if fmt == "cube" and size is None:
        size = 33
    target = check_target(out, overwrite=overwrite)
    payload: dict[str, Any] = {"kind": "lut", "style": info.id, "format": fmt, "size": size, "out": str(target)}
    if fmt == "hald":
        payload.pop("size")
    return _enqueue_export(runtime, payload, overwrite)


def import_kind(path: Path) -> str:
    """What a file to import is, by its first bytes (and name): pack, cube or hald. Raises
    UserError with one sentence when it is none of them."""
    from desktop.exchange import limits
    from desktop.imaging.intake import sniff

    check_name_lengths(path)
    shown, name = shown_path(path), shown_path(path.name)
    if not path.exists():
        raise UserError(f"{shown} does not exist; check the name.")
    if not path.is_file():
        raise UserError(f"{shown} is not a file; name a .stylepack, a .cube or a HaldCLUT .png.")
    size = path.stat().st_size
    if size > max(limits.MAX_PACK_BYTES, limits.MAX_CUBE_BYTES):
        raise UserError(f"{name} is {size / 1024**3:.1f} GB, too big to be a style pack or a LUT.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise UserError(f"Can't read {name} ({exc.strerror or exc}); check that it is readable.") from exc
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "pack"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "hald"
    upper = head.upper()
    if path.suffix.lower() == ".cube" or b"LUT_3D_SIZE" in upper or b"LUT_1D_SIZE" in upper:
        return "cube"
    if upper.startswith((b"\xff\xfe", b"\xfe\xff")) and (b"L\x00U\x00T\x00_" in upper or b"\x00L\x00U\x00T\x00_" in upper):
        return "cube"  # UTF-16 text with its byte order mark
    found = sniff(head)
    what = f" (it looks like {found[1] if found[0] != 'image' else 'a ' + found[1] + ' image'})" if found else ""
    raise UserError(
        f"{name} is not a style pack, a .cube LUT or a HaldCLUT PNG{what}; import .stylepack, .cube or .png files."
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
        payload["grant"] = grants.sign(runtime.paths.library, IMPORT_GRANT, path=payload["path"], kind=payload["kind"])
        validate_import(payload)
        payloads.append(payload)
    return [runtime.engine.enqueue(IMPORT, p) for p in payloads]


def imported_ids(result: dict[str, Any] | None) -> list[int]:
    """The new style ids of a finished ``style.import`` job's result (empty when none)."""
    ids = (result or {}).get("ids")
    return [int(i) for i in ids] if isinstance(ids, list) else []
