"""The sentences with which a picture is refused: one sentence that names the file, says what
is wrong and what to do. Shared by the loader (``intake``) and the one place that opens a
picture's file (``source_files``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from desktop.errors import UserError
from desktop.text import shown_path

MAX_FILE_BYTES = 100 * 1024 * 1024


class ImageRefused(UserError):
    """The input is not an image this app can safely use; ``str(err)`` says why and what to do."""


def label_of(source: object, name: str | None) -> str:
    """How a sentence names the picture: its file name in quotes, or "the image" for bytes."""
    if name:
        return f'"{name}"'
    if isinstance(source, bytes | bytearray | memoryview):
        return "the image"
    return f'"{Path(os.fspath(source)).name or os.fspath(source)}"'  # type: ignore[arg-type]


def refuse(label: str, problem: str) -> ImageRefused:
    return ImageRefused(f"Can't open {label}: {problem}.")


def check_byte_count(n: int, label: str) -> None:
    if n == 0:
        raise refuse(label, "the file is empty (0 bytes); export or download the image again")
    if n > MAX_FILE_BYTES:
        raise refuse(
            label,
            f"the file is {n / (1024 * 1024):.0f} MB, over the 100 MB limit; "
            "save a smaller copy (for example a JPEG) and try that",
        )


def gone(path: str | os.PathLike[str], label: str) -> ImageRefused:
    """A name that leads nowhere: a link whose file is gone, or a file that is gone."""
    try:
        target = os.readlink(path)
    except OSError:
        target = None
    if target is not None:
        return refuse(
            label,
            f"it is a link to a file that no longer exists ({shown_path(target)}); "
            "put that file back or choose the photo itself",
        )
    return refuse(
        label,
        "the file no longer exists (it was moved, renamed or deleted); check its folder and choose it again",
    )


def not_regular(label: str, mode: int) -> ImageRefused:
    if stat.S_ISDIR(mode):
        return refuse(label, "it is a folder, not an image; choose an image file inside it")
    what = {
        stat.S_IFIFO: "a pipe (FIFO)",
        stat.S_IFCHR: "a device",
        stat.S_IFBLK: "a disk device",
        stat.S_IFSOCK: "a socket",
    }.get(stat.S_IFMT(mode), "not a regular file")
    return refuse(label, f"it is {what}, not a file with a picture in it; choose an image file saved on disk")


def os_refusal(exc: OSError, label: str, path: str | os.PathLike[str] | None = None) -> ImageRefused:
    if isinstance(exc, FileNotFoundError):
        return gone(path, label) if path is not None else gone("", label)
    if isinstance(exc, IsADirectoryError):
        return refuse(label, "it is a folder, not an image; choose an image file inside it")
    if isinstance(exc, PermissionError):
        return refuse(
            label,
            "permission to read the file was denied; copy it somewhere you can read and try again",
        )
    reason = exc.strerror or str(exc) or type(exc).__name__
    return refuse(
        label, f"the file could not be read ({reason}); copy it to a local folder and try again"
    )
