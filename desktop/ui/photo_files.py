"""The photo files the window offers in its file dialogs and takes from a drop: every format
the intake reads (JPEG, PNG, TIFF, WebP, GIF, BMP, HEIC/HEIF, AVIF and camera RAW). Widgets do
not import ``desktop.imaging``, so the list is written here; tests/imaging/test_photo_formats.py
holds it equal to the intake's (``desktop.imaging.apply.PHOTO_SUFFIXES``). What a file really
is, is still decided by its content when it is read."""

from __future__ import annotations

PHOTO_SUFFIXES = (
    ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".heic", ".heif", ".hif", ".avif",
    ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf",
    ".rw2", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl",
)


def name_filter(title: str = "Photos") -> str:
    """A file dialog's filter: every photo file (both cases: some platforms' dialogs match
    case-sensitively, and cameras write IMG_0001.CR2), then all files."""
    patterns = " ".join(f"*{s} *{s.upper()}" for s in PHOTO_SUFFIXES)
    return f"{title} ({patterns});;All files (*)"
