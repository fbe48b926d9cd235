"""``style.import``, the front doors' side: the payload (``ImportPayload``), what kind of file is imported, and
queuing one import per file (blocking but quick: every file is checked first, so nothing is
queued when one is refused). The only module of this slice the window and the command line
import.

A job touches a file outside the library only when a front door checked that a person asked
for it: the front door signs what it checked with the library's key (``desktop.grants``) and
puts the signature in the payload as ``grant``; the handler checks it before it opens
anything. An import's grant covers the file and its kind. A payload written by hand
(``stylestudio jobs enqueue``, or a row put in a shared database) has no valid grant: its job
fails with one sentence and does not open the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from desktop import grants
from desktop.config import is_library_relative, relative_to_library
from desktop.errors import UserError
from desktop.pipelines.payload_checks import check_grant_shape, check_name_lengths, grant_refusal
from desktop.pipelines.payload_model import Payload, Refusal
from desktop.text import shown_path

IMPORT = "style.import"
IMPORT_GRANT = "import"
NOT_GRANTED_IMPORT = (
    "This import was not asked for in Style Studio's window or command line, so the file was not opened; "
    "import it again with File › Import… or 'stylestudio import'."
)


class ImportPayload(Payload):
    """The ``style.import`` payload: one file (absolute, or relative to the library folder when
    it lies inside it), what kind of file it is, and the grant a front door signed for both."""

    JOB_TYPE: ClassVar[str] = IMPORT
    REFUSALS: ClassVar[dict[str, Refusal]] = {
        "path": "The file to import must be a full path, like /home/me/look.cube.",
        "kind": "An import is a 'pack', a 'cube' or a 'hald' file.",
        "grant": grant_refusal("import"),
    }

    path: str
    kind: Literal["pack", "cube", "hald"]
    grant: str | None = None  # checked in ``check``, after the path (its sentence says more)

    def check(self) -> None:
        if not self.path.strip() or not (os.path.isabs(self.path) or is_library_relative(self.path)):
            raise UserError(str(self.REFUSALS["path"]))
        check_grant_shape(self.grant, "import")


def check_import_granted(library: str | os.PathLike[str], payload: ImportPayload) -> None:
    if not grants.is_granted(library, payload.grant, IMPORT_GRANT, path=payload.path, kind=payload.kind):
        raise grants.NotGranted(NOT_GRANTED_IMPORT)


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


def check_import_content(path: Path, kind: str) -> None:
    """Refuse a file for what it holds before any job exists (the command line's door, so a
    refused file exits 2 as a refused reference does): a pack's entries, limits and manifest
    (zip-slip, links, bombs), a ``.cube``'s numbers, a HaldCLUT's pixels. Raises UserError (a
    PackError or CubeError) with the job's own sentence. Entries whose bytes lie about their
    size are still caught by the job, while it reads them."""
    if kind == "pack":
        from desktop.exchange.pack import open_pack

        open_pack(path, name=path.name).close()
    elif kind == "cube":
        from desktop.exchange.cube import read_cube

        read_cube(path, name=path.name)
    else:
        from desktop.exchange.hald import read_hald

        read_hald(path, name=path.name)


def enqueue_import(runtime: Any, paths: list[str | os.PathLike[str]]) -> list[int]:
    """Queue one ``style.import`` job per file, in one statement (``enqueue_many``); returns
    their ids in order. Every file is checked first (exists, readable, a pack, a .cube or a
    PNG), so nothing is queued when one is refused; the contents are checked by the job."""
    if not paths:
        raise UserError("Name at least one .stylepack, .cube or HaldCLUT .png file to import.")
    payloads = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        where, kind = relative_to_library(path, runtime.paths.library), import_kind(path)
        grant = grants.sign(runtime.paths.library, IMPORT_GRANT, path=where, kind=kind)
        payloads.append(ImportPayload.parse({"path": where, "kind": kind, "grant": grant}).to_dict())
    return runtime.engine.enqueue_many(IMPORT, payloads)


def imported_ids(result: dict[str, Any] | None) -> list[int]:
    """The new style ids of a finished ``style.import`` job's result (empty when none)."""
    ids = (result or {}).get("ids")
    return [int(i) for i in ids] if isinstance(ids, list) else []
