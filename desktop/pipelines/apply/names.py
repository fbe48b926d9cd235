"""The names a batch (``style.apply``) writes in an output folder: the styled photos' names,
fitted to what a folder can hold, and the hidden temporary names a photo is written under before
it gets its own.

**Output names** are the input's stem (or what the batch's name template makes of it,
``template``) and the output format's extension; a name that is taken
gets " (2)", " (3)"... A name over 255 bytes (a long input name with a longer extension, or with
" (2)") is shortened, keeping the extension and the " (n)".

**Temporary names** are ``.stylestudio-<library>-<job>-<item>-<random>.part``: the library's
id (``grants.library_id``) and the job's id say whose it is, so a batch cleaning up after itself
(``sweep_temps``) removes only the temporary files of its own job in its own library, never
those of another library's job with the same number writing into the same folder; the random
part (new for each photo and run) makes the name unpredictable, so nothing can be planted there
in advance (the file is created exclusively, without following links, in any case).

``too_long`` finds a path component longer than a folder can hold (given by a person: refused
with a sentence before anything is made).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from desktop.errors import UserError
from desktop.files import NAME_MAX, fit_name, is_temp_name, name_bytes
from desktop.text import shown_path

TEMP_PREFIX = ".stylestudio-"
TEMP_SUFFIX = ".part"


def output_name(input_path: str, fmt: str, n: int = 1, stem: str | None = None, depth: int | None = None) -> str:
    """The ``n``-th name for the output of ``input_path`` (1: its own; else with " (n)"):
    ``stem`` (what the batch's name template made, ``template.render``) or the input's own,
    with the output format's extension (``depth`` 16: "same" is PNG or TIFF)."""
    from desktop.imaging.apply import output_suffix

    suffix = output_suffix(input_path, fmt, depth)
    tail = suffix if n == 1 else f" ({n}){suffix}"
    return fit_name(stem or Path(input_path).stem, tail)


def batch_tag(library_id: str, job_id: int) -> str:
    """What every temporary name of one job of one library starts with (after the prefix)."""
    return f"{library_id}-{job_id}-"


def temp_name(out: Path, tag: str, position: int) -> Path:
    """A new hidden, unpredictable file name for photo ``position`` of the batch ``tag``."""
    return out / f"{TEMP_PREFIX}{tag}{position}-{secrets.token_hex(8)}{TEMP_SUFFIX}"


def temp_position(name: str, tag: str) -> int | None:
    """The item position in one of the batch ``tag``'s temporary names; None for any other
    name (another job's, another library's, a photo)."""
    prefix = f"{TEMP_PREFIX}{tag}"
    if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
        return None
    head = name[len(prefix) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def sweep_temps(out: Path, tag: str, keep: Iterable[int] = ()) -> int:
    """Remove the batch ``tag``'s temporary files but those of the items in ``keep`` (photos
    other workers are styling now); returns how many were removed."""
    kept = set(keep)
    try:
        entries = list(os.scandir(out))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        position = temp_position(entry.name, tag)
        if position is not None and position not in kept:
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def is_ours(name: str) -> bool:
    """A temporary file Style Studio writes (a batch's, or any ``OutputFile``'s)."""
    return (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)) or is_temp_name(name)


def too_long(path: str | os.PathLike[str]) -> str | None:
    """The first component of ``path`` longer than a folder can hold (``NAME_MAX`` bytes), or
    None."""
    for part in Path(path).parts:
        if name_bytes(part) > NAME_MAX:
            return part
    return None


def refuse_too_long(path: str | os.PathLike[str], what: str) -> None:
    """UserError (one sentence) when a path a person gave has a name no folder can hold."""
    part = too_long(path)
    if part is not None:
        shown = shown_path(part)
        short = shown if len(shown) <= 60 else shown[:40] + "…" + shown[-12:]
        raise UserError(
            f"{what} has a name of {name_bytes(part)} bytes ({short}), longer than the {NAME_MAX} bytes a folder can hold; "
            "give a shorter name."
        )
