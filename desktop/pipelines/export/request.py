"""``style.export``, the front doors' side: the payload (``ExportPackPayload`` or
``ExportLutPayload``, by its ``kind``), the export's target, and queuing a
pack or a LUT (blocking but quick: the styles and the target are checked, then queued; nothing
is created when they refuse). The only module of this slice the window and the command line
import.

A job touches a file outside the library only when a front door checked that a person asked
for it: the front door signs what it checked with the library's key (``desktop.grants``) and
puts the signature in the payload as ``grant``; the handler checks it before it opens
anything. An export's grant covers its whole payload (target, styles, format: the model's
fields as ``to_dict`` gives them, so the front door and the handler sign the same) under the
purpose ``export``, or ``export-overwrite`` when the person agreed to replace the target (the
window's save dialog asks). A payload written by hand (``stylestudio jobs enqueue``, or a row
put in a shared database) has no valid grant: its job fails with one sentence and writes
nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from desktop import grants
from desktop.errors import UserError
from desktop.pipelines.payload_checks import check_grant_shape, check_name_lengths, grant_refusal
from desktop.pipelines.payload_model import Payload, PayloadUnion, Refusal
from desktop.text import shown_path

EXPORT = "style.export"
CUBE_SIZES = (17, 33, 65)
MAX_STYLE_ID = 2**63 - 1
EXPORT_GRANT = "export"
EXPORT_OVERWRITE_GRANT = "export-overwrite"  # the person agreed to replace the target
NOT_GRANTED_EXPORT = (
    "This export was not asked for in Style Studio's window or command line, so nothing was written; "
    "export again with File › Export… or 'stylestudio export'."
)
REFUSALS: dict[str, Refusal] = {
    "kind": "An export is a 'pack' of styles or one style's 'lut'.",
    "out": "The export's target must be a full path, like /home/me/styles.stylepack.",
    "with_reference": "with_reference must be true or false.",
    "styles": "A pack names its styles by id, a list of whole numbers like [3, 5].",
    "style": "The style must be given by its id, a whole number like 3.",
    "format": lambda fmt: f"There is no LUT format '{str(fmt)[:40]}'; use cube or hald.",
    "size": "A .cube is exported at 17, 33 or 65 points a side.",
    "grant": grant_refusal("export"),
}
StyleId = Annotated[int, Meta(ge=1, le=MAX_STYLE_ID)]


class _Export(Payload):
    """What every export has: its target and the grant a front door signed for it."""

    JOB_TYPE: ClassVar[str] = EXPORT
    REFUSALS: ClassVar[dict[str, Refusal]] = REFUSALS

    out: str
    grant: str | None = None  # None only until the front door signs it

    def check(self) -> None:
        if not self.out.strip() or not os.path.isabs(self.out):
            raise UserError(str(REFUSALS["out"]))
        self.check_kind()
        check_grant_shape(self.grant, "export")

    def check_kind(self) -> None:
        """The rules of this kind of export that types cannot say."""

    def signed(self) -> dict[str, Any]:
        """The fields the grant covers: the whole payload but the grant."""
        fields = self.to_dict()
        fields.pop("grant", None)
        return fields


class ExportPackPayload(_Export, tag_field="kind", tag="pack", kw_only=True):
    """A ``.stylepack`` of ``styles`` (ids, in order) written to ``out``."""

    styles: Annotated[list[StyleId], Meta(min_length=1)]
    with_reference: bool = False  # each style's reference photo too, when it has one

    def check_kind(self) -> None:
        from desktop.exchange import limits

        if len(self.styles) > limits.MAX_STYLES or len(set(self.styles)) != len(self.styles):
            raise UserError(f"A pack holds 1 to {limits.MAX_STYLES:,} different styles.")


class ExportLutPayload(_Export, tag_field="kind", tag="lut", kw_only=True, omit_defaults=True):
    """One style's LUT as a ``.cube`` (``size`` 17, 33 or 65 points a side) or a HaldCLUT PNG
    (always level 8: no size), written to ``out``."""

    style: StyleId
    format: Literal["cube", "hald"]
    size: int | None = None

    def check_kind(self) -> None:
        if self.format == "cube" and self.size not in CUBE_SIZES:
            raise UserError(str(REFUSALS["size"]))
        if self.format == "hald" and self.size is not None:
            raise UserError("A HaldCLUT is always level 8 (512x512 pixels); leave the size out.")


ExportPayload = ExportPackPayload | ExportLutPayload


# the ``style.export`` payload: a pack or a LUT, by its ``kind`` (its ``parse`` raises
# UserError with one sentence when it is refused)
EXPORT_PAYLOAD = PayloadUnion(ExportPayload, EXPORT, REFUSALS)


def export_overwrites(library: str | os.PathLike[str], payload: ExportPayload) -> bool:
    """Whether the export may replace its target: checks the payload's grant first (raises
    ``grants.NotGranted`` with one sentence when no front door signed this payload)."""
    fields = payload.signed()
    if grants.is_granted(library, payload.grant, EXPORT_GRANT, **fields):
        return False
    if grants.is_granted(library, payload.grant, EXPORT_OVERWRITE_GRANT, **fields):
        return True
    raise grants.NotGranted(NOT_GRANTED_EXPORT)


EXTENSIONS = {None: ".stylepack", "cube": ".cube", "hald": ".png"}  # per --format


def with_extension(out: str, fmt: str | None) -> str:
    """``out`` ending with the extension its format needs (``one`` -> ``one.stylepack``; a
    name that already ends with it, in any case, is kept as it is)."""
    suffix = EXTENSIONS[fmt]
    return out if out.lower().endswith(suffix) or out.endswith(("/", os.sep)) else out + suffix


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
    from desktop.library.reading import Library

    info = Library(runtime.db, runtime.paths).find(style)
    if info.lut_path is None or not info.lut_path.is_file():
        raise UserError(f"Style {info.id} has no colour grade file; make the style again, then export it.")
    return info


def _enqueue_export(runtime: Any, payload: ExportPayload, overwrite: bool) -> int:
    purpose = EXPORT_OVERWRITE_GRANT if overwrite else EXPORT_GRANT
    grant = grants.sign(runtime.paths.library, purpose, **payload.signed())
    return runtime.engine.enqueue(EXPORT, msgspec.structs.replace(payload, grant=grant).to_dict())


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
    payload = ExportPackPayload(styles=ids, out=str(target), with_reference=bool(with_reference))
    return _enqueue_export(runtime, payload, overwrite)


def enqueue_export_lut(runtime: Any, style_id: int | str, fmt: str, size: int | None, out: str | os.PathLike[str], *, overwrite: bool = False) -> int:
    """Queue one style's LUT as ``fmt`` ``cube`` (``size`` 17, 33 or 65; None: 33) or ``hald``
    (level 8; ``size`` must be None), written to ``out``; returns the job id."""
    info = _require_style(runtime, style_id)
    if fmt == "cube" and size is None:
        size = 33
    target = check_target(out, overwrite=overwrite)
    payload = ExportLutPayload(style=info.id, format=fmt, size=size, out=str(target))  # checked whole at enqueue
    return _enqueue_export(runtime, payload, overwrite)
