"""Keeping a copy of a user's reference image, addressed by its content.

The original bytes are stored (not a re-encode), named ``<sha256>.<ext>``, so the same photo
dropped twice is stored once. Nothing is written until the bytes decode as an image, and the
file appears whole or not at all (``desktop.files.write_output``). The original is read through
``read_image_bytes``: opened once, only when it is a regular file, never blocking on a pipe.

A job's payload names its reference relative to the data folder (``uploads/<name>``), so a
library folder mounted at another path on another machine still finds it; before the file is
opened, its real path (symlinks followed) must lie inside the uploads folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from desktop.errors import UserError
from desktop.files import write_output
from desktop.imaging.intake import EXTENSIONS, LoadedImage, load_image, read_image_bytes

UPLOADS_FOLDER = "uploads"  # Paths.uploads_dir is <home>/uploads
MAX_NAME = 255
_REFERENCE_HELP = (
    "name one like 'uploads/<name>.jpg', or let 'stylestudio generate --reference FILE' copy the file there"
)


def store_upload(source: str | os.PathLike | bytes, uploads_dir: Path) -> Path:
    """Validate ``source`` and store its original bytes in ``uploads_dir``; return the stored path.

    Raises ``ImageRefused`` (before anything is written) when it is not a usable image.
    """
    return store_upload_loaded(source, uploads_dir)[0]


# The upload is checked by decoding every pixel; the picture it returns only needs to be big
# enough for a look (the job decodes the stored copy again), which halves the peak memory.
CHECK_DRAFT = (1024, 1024)


def store_upload_loaded(
    source: str | os.PathLike | bytes, uploads_dir: Path
) -> tuple[Path, LoadedImage]:
    """``store_upload`` that also returns the decoded image, so callers need not decode twice."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        loaded = load_image(data, draft_size=CHECK_DRAFT)
    else:
        name = Path(os.fspath(source)).name
        data = read_image_bytes(source)  # path and size checks happen before reading
        loaded = load_image(data, name=name, draft_size=CHECK_DRAFT)
    digest = hashlib.sha256(data).hexdigest()
    target = Path(uploads_dir) / f"{digest}.{EXTENSIONS.get(loaded.format, 'img')}"
    if target.is_file() and target.stat().st_size == len(data):
        return target, loaded
    target.parent.mkdir(parents=True, exist_ok=True)
    # whole or not at all: a random temporary name (O_EXCL|O_NOFOLLOW), synced and checked on
    # disk (a full disk is a DiskFullError, nothing left), then put in place (the same bytes
    # under the same name: replacing a damaged copy is what we want)
    write_output(target, data, overwrite=True, mode=0o600, prefix="upload")
    return target, loaded


def reference_name(stored: Path) -> str:
    """How a payload names a stored upload: ``uploads/<name>``, relative to the data folder."""
    return f"{UPLOADS_FOLDER}/{stored.name}"


def check_reference_name(reference: object) -> str:
    """Refuse, by its shape alone, a reference that does not name a file directly inside the
    uploads folder (an absolute path, ``..``, a sub-folder, a hidden or temporary file)."""
    if not isinstance(reference, str):
        raise UserError(f"The reference must be text naming an image in the library's uploads folder; {_REFERENCE_HELP}.")
    folder, sep, name = reference.partition("/")
    if (
        folder != UPLOADS_FOLDER
        or not sep
        or not name
        or len(name) > MAX_NAME
        or name.startswith(".")
        or any(c in name for c in "/\\\x00")
    ):
        shown = reference if len(reference) <= 80 else reference[:77] + "..."
        raise UserError(f"The reference '{shown}' is not a file in the library's uploads folder; {_REFERENCE_HELP}.")
    return name


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """True when ``path``'s real path (symlinks followed) lies strictly inside ``folder``'s."""
    real = os.path.realpath(path)
    root = os.path.realpath(folder)
    return real != root and real.startswith(root.rstrip(os.sep) + os.sep)


def resolve_reference(reference: str, *, home: Path, uploads_dir: Path) -> Path:
    """The real path of a payload's reference, checked to be a file inside ``uploads_dir``.

    ``uploads/<name>`` is read relative to ``home``; an absolute path (jobs queued by older
    versions) is accepted only when it, too, leads into the uploads folder. Raises UserError."""
    if os.path.isabs(reference):
        candidate = Path(reference)
    else:
        check_reference_name(reference)
        candidate = Path(home) / reference
    real = Path(os.path.realpath(candidate))
    if not is_inside(real, uploads_dir):
        raise UserError(
            f"The reference '{reference}' points outside the library's uploads folder, so Style Studio "
            "did not open it; make the style again with the image."
        )
    if not real.is_file():
        raise UserError(
            f"The reference image {reference} is no longer in the library; make the style again with the image."
        )
    return real
