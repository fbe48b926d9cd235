"""Safe image loading: every picture the app reads from a user or a server comes through here.

``load_image`` returns a fully decoded sRGB ``RGB`` image or raises ``ImageRefused`` with one
sentence that names the file and says what to do. Limits are checked before any pixel is
decoded: the file size from ``stat`` (before reading), the pixel count from the header (before
``load``). A decompression bomb is never decoded.

A path is opened once (``source_files.open_picture``: regular files only, never blocking on a
pipe or a device) and everything is read from that one descriptor. Pillow's warnings about a
picture (broken EXIF...) go to the log, not the terminal (``decode_warnings``).
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from PIL import Image, ImageFile

from desktop.imaging.decode_warnings import decoding
from desktop.imaging.deep_files import DeepPicture, is_deep
from desktop.imaging.deep_files import load as deep_load
from desktop.imaging.heif_photos import HEADER_BYTES, declared_size, heif_kind
from desktop.imaging.raw_photos import (
    NotRaw,
    camera_exif,
    develop,
    develop_image,
    guessed,
    raw_header,
    raw_kind,
)
from desktop.imaging.refusals import (
    MAX_FILE_BYTES,
    ImageRefused,
    check_byte_count,
    label_of,
    os_refusal,
    refuse,
)
from desktop.imaging.source_files import open_picture
from desktop.imaging.srgb_bands import SIDEWAYS, to_srgb
from desktop.imaging.tiff_layout import page_count, unsupported_layout, unsupported_model

__all__ = ["MAX_FILE_BYTES", "ImageRefused", "LoadedImage", "check_image_file", "load_deep", "load_image", "read_image_bytes", "sniff"]

MAX_PIXELS = 100_000_000
MAX_PAGES = 1000  # a TIFF with more is a document or a trap, not a photo

# Pillow's own guard: warn above MAX_PIXELS, raise above twice that. We turn the warning into
# an exception too (process-wide, on purpose: nothing in this app should decode a bomb), and
# check width x height ourselves before decoding anyway.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF")
RAW_FORMATS = ("DNG", "CR2", "CR3", "NEF", "ARW", "RAF", "ORF", "RW2", "PEF", "SRW", "RAW")
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
    "HEIF": "heic",
    "AVIF": "avif",
    **{kind: kind.lower() for kind in RAW_FORMATS},
}
_CHOOSE = "choose a JPEG, PNG, TIFF, WebP, HEIC, AVIF or camera RAW photo instead"


@dataclass
class LoadedImage:
    image: Image.Image  # RGB, sRGB, fully decoded, upright
    format: str  # Pillow's format name, e.g. "JPEG"
    size: tuple[int, int]  # full-resolution size, upright (before any draft reduction)
    # with ``keep_alpha``: the alpha channel ("L", upright, the size of ``image``) of a picture
    # that has one, its colours in ``image`` left as stored (not composited over white)
    alpha: Image.Image | None = None
    exif: Image.Exif | None = None  # as stored (orientation not reset), None when there is none
    dpi: tuple[float, float] | None = None
    warnings: list[str] = field(default_factory=list)  # what Pillow warned about (logged too)
    profile: bytes | None = None  # the ICC profile the file had (its pixels are now sRGB)


def load_image(
    source: str | os.PathLike | bytes,
    *,
    draft_size: tuple[int, int] | None = None,
    name: str | None = None,
    keep_alpha: bool = False,
) -> LoadedImage:
    """Decode ``source`` (a path or the file's bytes) into an upright sRGB RGB image.

    ``draft_size`` asks for a smaller picture that stays at least that big: JPEG decodes at
    1/2, 1/4 or 1/8 scale, and any format is then reduced by a whole factor while it is
    converted (every pixel is still decoded, so a damaged file is still refused). ``name``
    labels bytes in error sentences. ``keep_alpha``: a transparent picture's colours are kept
    as stored and its alpha comes back in ``alpha`` (else it is composited over white). Peak
    memory is the decoded image plus the result (see ``srgb_bands``), never a chain of
    full-size copies.
    """
    label = label_of(source, name)
    with decoding(label) as seen:
        with _opened(source, label) as (fh, head):
            suffix = _suffix(source, name)
            kind = raw_kind(head, fh, suffix)
            loaded = None
            if kind is not None:
                try:
                    loaded = _develop(fh, label, kind, draft_size)
                except NotRaw:
                    if not guessed(kind, head, suffix):
                        raise
                    fh.seek(0)  # a camera-made TIFF that is not a RAW: read as a TIFF
            if loaded is None:
                loaded = _decode(fh, head, label, draft_size, keep_alpha)
        loaded.warnings = list(seen)
    return loaded


def load_deep(
    source: str | os.PathLike, *, draft_size: tuple[int, int] | None = None, raw: bool = False
) -> DeepPicture | None:
    """A 16-bit RGB(A) TIFF or PNG (``deep_files``), or with ``raw`` a camera RAW developed at
    16 bits, after the same checks as ``load_image``; None for any other photo (its 8-bit road
    is ``load_image``). ``draft_size`` only lets a RAW decode at half size."""
    label = label_of(source, None)
    with decoding(label), _opened(source, label) as (fh, head):
        suffix = _suffix(source, None)
        kind = raw_kind(head, fh, suffix)
        if kind is not None:
            if not raw:
                return None
            data = _read_all(fh, label)
            try:
                pixels, _full = develop(data, label, kind, MAX_PIXELS, draft_size, bits=16)
            except NotRaw:
                return None
            except MemoryError as exc:
                raise refuse(label, "there is not enough memory to open it; close other apps or use a smaller copy") from exc
            return DeepPicture(pixels, None, camera_exif(data), None, kind)
        fh.seek(0)
        if not is_deep(head, fh):
            return None
        data = _read_all(fh, label)
    _open(io.BytesIO(data), head, label)  # the header's checks: pixel count, pages, damage
    return deep_load(data, label)


def check_image_file(
    source: str | os.PathLike | bytes, *, name: str | None = None
) -> tuple[int, int]:
    """Validate a file from its header only (no decode) and return its upright (width, height).

    Cheap enough for a drop zone; ``load_image`` still decodes fully and may refuse later.
    """
    label = label_of(source, name)
    with decoding(label), _opened(source, label) as (fh, head):
        suffix = _suffix(source, name)
        kind = raw_kind(head, fh, suffix)
        if kind is not None:
            try:
                header = raw_header(_read_all(fh, label), label, kind, MAX_PIXELS)
                return header.width, header.height
            except NotRaw:
                if not guessed(kind, head, suffix):
                    raise
                fh.seek(0)
        im = _open(fh, head, label)
        return _upright_size(im.size, _orientation(im))


def _suffix(source: object, name: str | None) -> str:
    """The extension of the name a picture goes by (only a tie-breaker: content decides)."""
    if name:
        return os.path.splitext(name)[1]
    if isinstance(source, str | os.PathLike):
        return os.path.splitext(os.fspath(source))[1]  # type: ignore[arg-type]
    return ""


def _read_all(fh: IO[bytes], label: str) -> bytes:
    """The whole file from its one descriptor (its size was checked when it was opened)."""
    try:
        data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise os_refusal(exc, label) from exc
    check_byte_count(len(data), label)
    return data


def _develop(
    fh: IO[bytes], label: str, kind: str, draft_size: tuple[int, int] | None
) -> LoadedImage:
    """A camera RAW file developed the batch's one way (``raw_photos.DEVELOPMENT``)."""
    data = _read_all(fh, label)
    try:
        image, full = develop_image(data, label, kind, MAX_PIXELS, draft_size)
    except MemoryError as exc:
        raise refuse(
            label, "there is not enough memory to open it; close other apps or use a smaller copy"
        ) from exc
    return LoadedImage(image=image, format=kind, size=full, exif=camera_exif(data))


@contextmanager
def _opened(source: str | os.PathLike | bytes, label: str) -> Iterator[tuple[IO[bytes], bytes]]:
    """``source`` as a stream to decode from, with its first 4096 bytes (to sniff the format):
    bytes after the size check, a path opened once (``open_picture``) and closed after."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        check_byte_count(len(data), label)
        yield io.BytesIO(data), data[:4096]
        return
    with open_picture(source, label) as fh:
        try:
            head = fh.read(4096)
            fh.seek(0)
        except OSError as exc:
            raise os_refusal(exc, label, source) from exc
        yield fh, head


def read_image_bytes(path: str | os.PathLike, *, name: str | None = None) -> bytes:
    """Read a file's bytes after the path and size checks (nothing over MAX_FILE_BYTES is read)."""
    label = label_of(path, name)
    with open_picture(path, label) as fh:
        try:
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise os_refusal(exc, label, path) from exc
    check_byte_count(len(data), label)
    return data


def _too_many_pixels(
    label: str, size: tuple[int, int] | None, exc: Exception | None = None
) -> ImageRefused:
    if size is None:
        # Pillow refused from the header; its message carries the pixel count.
        found = re.search(r"\((\d+) pixels\)", str(exc or ""))
        what = f"it is {int(found.group(1)) / 1e6:,.0f} megapixels" if found else "it is too large"
    else:
        w, h = size
        what = f"it is {w:,} x {h:,} pixels ({w * h / 1e6:,.0f} megapixels)"
    return refuse(label, f"{what}, over the 100 megapixel limit; save a smaller copy and try that")


# -- decoding --------------------------------------------------------------------------------


def _open(fh: IO[bytes], head: bytes, label: str) -> Image.Image:
    """Open (header only) and check format and pixel count. Never decodes pixels."""
    _check_container(fh, head, label)
    try:
        im = Image.open(fh, formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(label, None, exc) from exc
    except Image.UnidentifiedImageError as exc:
        raise _unidentified(head, label, fh) from exc
    except Exception as exc:  # noqa: BLE001 - any header parsing failure is a damaged file
        raise _damaged(label, fh=fh) from exc
    w, h = im.size
    if w <= 0 or h <= 0:
        raise _damaged(label)
    if w * h > MAX_PIXELS:
        raise _too_many_pixels(label, im.size)
    return im


def _check_container(fh: IO[bytes], head: bytes, label: str) -> None:
    """What a HEIC, an AVIF or a TIFF declares, checked before any decoder is asked: the
    largest image a HEIC or AVIF names, and how many pages a TIFF has."""
    if heif_kind(head) is not None:
        try:
            declared = declared_size(fh.read(HEADER_BYTES))
            fh.seek(0)
        except OSError as exc:
            raise os_refusal(exc, label) from exc
        if declared is not None and declared[0] * declared[1] > MAX_PIXELS:
            raise _too_many_pixels(label, declared)
    elif head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        if page_count(fh, MAX_PAGES) > MAX_PAGES:
            raise refuse(
                label,
                f"it is a TIFF of more than {MAX_PAGES:,} pages (a document or a scan, not a photo); "
                "save the page you want as its own file and try that",
            )


def _decode(
    fh: IO[bytes],
    head: bytes,
    label: str,
    draft_size: tuple[int, int] | None,
    keep_alpha: bool = False,
) -> LoadedImage:
    im = _open(fh, head, label)
    fmt = im.format or "unknown"
    full_size = im.size
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone switched it on; truncated files must fail here
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        if draft_size and fmt == "JPEG":
            dw, dh = draft_size
            if _orientation(im) in SIDEWAYS:  # stored sideways: ask for the sideways size
                dw, dh = dh, dw
            im.draft("RGB", (dw, dh))
        im.load()  # before reading EXIF: PNG's getexif() may load, and must not hide an error
        orientation = _orientation(im)
        exif, dpi = _metadata(im)
        profile = im.info.get("icc_profile") or None
        factor = _reduce_factor(im.size, draft_size, orientation)
        converted, alpha = to_srgb(im, orientation, factor, keep_alpha=keep_alpha)
        if converted is not im:
            im.close()  # frees the decoded pixels before the final RGB copy is made
        rgb = converted if converted.mode == "RGB" else _to_rgb(converted)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(label, full_size) from exc
    except MemoryError as exc:
        raise refuse(
            label, "there is not enough memory to open it; close other apps or use a smaller copy"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - truncated data, bad checksums, decoder errors
        raise _damaged(label) from exc
    if rgb is im and getattr(im, "is_animated", False):
        rgb = rgb.copy()  # a multi-frame file would keep using the handle we are about to close
    return LoadedImage(
        image=rgb,
        format=fmt,
        size=_upright_size(full_size, orientation),
        alpha=alpha,
        exif=exif,
        dpi=dpi,
        profile=profile if isinstance(profile, bytes) else None,
    )


def _metadata(im: Image.Image) -> tuple[Image.Exif | None, tuple[float, float] | None]:
    """The picture's EXIF (None when it has none or it cannot be read) and DPI."""
    try:
        exif = im.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF never stops a picture from loading
        exif = None
    dpi: Any = im.info.get("dpi")
    try:
        dpi = (float(dpi[0]), float(dpi[1])) if dpi else None
    except (TypeError, ValueError, IndexError):
        dpi = None
    return (exif if exif else None), dpi


def _to_rgb(im: Image.Image) -> Image.Image:
    rgb = im.convert("RGB")
    im.close()
    return rgb


def _orientation(im: Image.Image) -> int:
    """EXIF orientation (1 = upright). Never decodes pixels: a PNG whose eXIf chunk comes after
    the image data only reports it once loaded."""
    if im.format == "PNG" and "exif" not in im.info and getattr(im, "tile", None):
        return 1
    try:
        return int(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - broken EXIF never stops a picture from loading
        return 1


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in SIDEWAYS else size


def _reduce_factor(
    size: tuple[int, int], draft_size: tuple[int, int] | None, orientation: int
) -> int:
    """The largest whole factor that keeps the upright image at least ``draft_size``."""
    if not draft_size:
        return 1
    w, h = _upright_size(size, orientation)
    dw, dh = (max(1, int(d)) for d in draft_size)
    return max(1, min(w // dw, h // dh))


# -- naming what we found -------------------------------------------------------------------

_NOT_IMAGES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg audio or video file"),
    (b"fLaC", "a FLAC audio file"),
    (b"SQLite format 3", "a database file"),
    (b"{\\rtf", "a rich-text document"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
)
_OTHER_IMAGES = (
    (b"8BPS", "a Photoshop document (PSD)"),
    (b"\x00\x00\x01\x00", "a Windows icon (ICO)"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 image"),
    (b"qoif", "a QOI image"),
    (b"\x76\x2f\x31\x01", "an OpenEXR image"),
)
_OURS = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """Guess what a file is from its first bytes: ("image", "PNG") for a format we read,
    ("other-image", description) or ("not-image", description); None when unknown."""
    for magic, fmt in _OURS:
        if head.startswith(magic):
            return "image", fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "WebP"
    for magic, what in _NOT_IMAGES:
        if head.startswith(magic):
            return "not-image", what
    for magic, what in _OTHER_IMAGES:
        if head.startswith(magic):
            return "other-image", what
    if head[4:8] == b"ftyp":
        heif = heif_kind(head)
        if heif is not None:
            return "image", heif
        if head[8:12] == b"crx ":
            return "image", "CR3"
        return "not-image", "a video file"
    raw = raw_kind(head)
    if raw is not None:
        return "image", raw
    if head[:4] == b"RIFF":
        kind = {b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}.get(
            head[8:12], "a RIFF media file"
        )
        return "not-image", kind
    text = _as_text(head)
    if text is not None:
        lowered = text.lstrip().lower()
        if lowered.startswith("<svg") or (lowered.startswith("<?xml") and "<svg" in lowered):
            return "other-image", "an SVG drawing"
        if lowered.startswith(("<!doctype html", "<html")):
            return "not-image", "a web page (HTML)"
        return "not-image", "a text file"
    if head.startswith(b"BM"):
        return "image", "BMP"
    return None


def _as_text(head: bytes) -> str | None:
    sample = head[:1024]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = sample[: len(sample) // 2 * 2].decode("utf-16", errors="replace")
    elif b"\x00" in sample:
        return None
    else:
        try:
            text = sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 3:  # a bad byte, not just a character cut in half
                return None
            text = sample[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if text and printable / len(text) > 0.95 else None


def _unidentified(head: bytes, label: str, fh: IO[bytes] | None = None) -> ImageRefused:
    found = sniff(head)
    if found is None:
        return refuse(label, f"it is not in an image format Style Studio can read; {_CHOOSE}")
    kind, what = found
    if kind == "image":
        return _damaged(label, what, fh=fh)
    if kind == "other-image":
        return refuse(
            label,
            f"it looks like {what}, which Style Studio can't read; export it as a JPEG or PNG and try again",
        )
    return refuse(label, f"it looks like {what}, not an image; {_CHOOSE}")


def _damaged(label: str, fmt: str | None = None, *, fh: IO[bytes] | None = None) -> ImageRefused:
    """A file that looks like a format we read but does not decode: damaged, unless it is a
    valid TIFF in a colour model (or sample layout) Pillow does not read."""
    layout = unsupported_layout(fh) if fh is not None else None
    if layout is not None:
        return refuse(label, unsupported_model(layout))
    what = f"the {fmt} file" if fmt else "the file"
    return refuse(
        label,
        f"{what} is damaged or incomplete; download or export the image again and try the new copy",
    )
