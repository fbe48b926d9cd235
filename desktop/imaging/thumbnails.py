"""Writing the small images the gallery and style detail show.

Thumbnails are WebP (long edge 256, quality 82). Previews are JPEG quality 90 with no chroma
subsampling (4:4:4) so halftone dots and pixel-art edges stay crisp; a ``.webp`` or ``.png``
path is honoured. Both are library files (private, 0600) written through
``desktop.files.save_image``: an unpredictable temporary name created exclusively, every byte
written through Python, flushed, synced and checked on disk, and only then moved into place, so
a full disk raises ``DiskFullError`` and leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from desktop.files import save_image

THUMBNAIL_EDGE = 256


def save_thumbnail(img: Image.Image, path: str | os.PathLike, size: int = THUMBNAIL_EDGE) -> Path:
    """Write ``img`` as a WebP whose long edge is ``size`` (never enlarged); return the path."""
    thumb = _rgb(img).copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _save(thumb, Path(path), "WEBP", quality=82, method=4)


def save_preview(img: Image.Image, path: str | os.PathLike) -> Path:
    """Write a full preview: JPEG q90 4:4:4 by default, WebP/PNG when the suffix asks; return the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".webp":
        return _save(_rgb(img), path, "WEBP", quality=90, method=4)
    if suffix == ".png":
        return _save(_rgb(img), path, "PNG", compress_level=6)
    return _save(_rgb(img), path, "JPEG", quality=90, subsampling=0, optimize=False)


def _rgb(img: Image.Image) -> Image.Image:
    return img if img.mode == "RGB" else img.convert("RGB")


def _save(img: Image.Image, path: Path, fmt: str, **params: object) -> Path:
    """Replaces an older file of that name (a preview made again), as ``os.replace`` does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_image(img, path, fmt, overwrite=True, mode=0o600, **params)
