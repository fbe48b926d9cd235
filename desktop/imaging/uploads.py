"""Keeping a copy of a user's reference image, addressed by its content.

The original bytes are stored (not a re-encode), named ``<sha256>.<ext>``, so the same photo
dropped twice is stored once. Nothing is written until the bytes decode as an image, and the
file appears whole or not at all (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from desktop.imaging.intake import EXTENSIONS, LoadedImage, load_image, read_image_bytes


def store_upload(source: str | os.PathLike | bytes, uploads_dir: Path) -> Path:
    """Validate ``source`` and store its original bytes in ``uploads_dir``; return the stored path.

    Raises ``ImageRefused`` (before anything is written) when it is not a usable image.
    """
    return store_upload_loaded(source, uploads_dir)[0]


def store_upload_loaded(
    source: str | os.PathLike | bytes, uploads_dir: Path
) -> tuple[Path, LoadedImage]:
    """``store_upload`` that also returns the decoded image, so callers need not decode twice."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        loaded = load_image(data)
    else:
        name = Path(os.fspath(source)).name
        data = read_image_bytes(source)  # path and size checks happen before reading
        loaded = load_image(data, name=name)
    digest = hashlib.sha256(data).hexdigest()
    target = Path(uploads_dir) / f"{digest}.{EXTENSIONS.get(loaded.format, 'img')}"
    if target.is_file() and target.stat().st_size == len(data):
        return target, loaded
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target, loaded
