"""Safe image loading: every picture the app reads from a user or a server comes through here.

``load_image`` returns a fully decoded sRGB ``RGB`` image or raises ``ImageRefused`` with one
sentence that names the file and says what to do. Limits are checked before any pixel is
decoded: the file size from ``stat`` (before reading), the pixel count from the header (before
``load``). A decompression bomb is never decoded.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFile

from desktop.errors import UserError

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_PIXELS = 100_000_000

# Pillow's own guard: warn above MAX_PIXELS, raise above twice that. We turn the warning into
# an exception too (process-wide, on purpose: nothing in this app should decode a bomb), and
# check width x height ourselves before decoding anyway.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
}
_CHOOSE = "choose a JPEG, PNG, WebP, GIF, BMP or TIFF image instead"

# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageRefused(UserError):
    """The input is not an image this app can safely use; ``str(err)`` says why and what to do."""


@dataclass
class LoadedImage:
    image: Image.Image  # RGB, sRGB, fully decoded, upright
    format: str  # Pillow's format name, e.g. "JPEG"
    size: tuple[int, int]  # full-resolution size, upright (before any draft reduction)


def load_image(
    source: str | os.PathLike | bytes,
    *,
    draft_size: tuple[int, int] | None = None,
    name: str | None = None,
) -> LoadedImage:
    """Decode ``source`` (a path or the file's bytes) into an upright sRGB RGB image.

    ``draft_size`` asks for a smaller picture that stays at least that big: JPEG decodes at
    1/2, 1/4 or 1/8 scale, and any format is then reduced by a whole factor while it is
    converted (every pixel is still decoded, so a damaged file is still refused). ``name``
    labels bytes in error sentences. Peak memory is the decoded image plus the result (see
    "conversion to upright sRGB" below), never a chain of full-size copies.
    """
    label = _label(source, name)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        _check_byte_count(len(data), label)
        return _decode(io.BytesIO(data), data[:4096], label, draft_size)
    _check_path(source, label)
    try:
        with open(source, "rb") as fh:
            head = fh.read(4096)
            fh.seek(0)
            return _decode(fh, head, label, draft_size)
    except OSError as exc:
        raise _os_refusal(exc, label) from exc


def check_image_file(
    source: str | os.PathLike | bytes, *, name: str | None = None
) -> tuple[int, int]:
    """Validate a file from its header only (no decode) and return its upright (width, height).

    Cheap enough for a drop zone; ``load_image`` still decodes fully and may refuse later.
    """
    label = _label(source, name)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        _check_byte_count(len(data), label)
        im = _open(io.BytesIO(data), data[:4096], label)
        return _upright_size(im.size, _orientation(im))
    _check_path(source, label)
    try:
        with open(source, "rb") as fh:
            head = fh.read(4096)
            fh.seek(0)
            im = _open(fh, head, label)
            return _upright_size(im.size, _orientation(im))
    except OSError as exc:
        raise _os_refusal(exc, label) from exc


def read_image_bytes(path: str | os.PathLike, *, name: str | None = None) -> bytes:
    """Read a file's bytes after the path and size checks (nothing over MAX_FILE_BYTES is read)."""
    label = _label(path, name)
    _check_path(path, label)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _os_refusal(exc, label) from exc
    _check_byte_count(len(data), label)
    return data


# -- checks before decoding ------------------------------------------------------------------


def _label(source: object, name: str | None) -> str:
    if name:
        return f'"{name}"'
    if isinstance(source, bytes | bytearray | memoryview):
        return "the image"
    return f'"{Path(os.fspath(source)).name or os.fspath(source)}"'


def _refuse(label: str, problem: str) -> ImageRefused:
    return ImageRefused(f"Can't open {label}: {problem}.")


def _check_path(path: str | os.PathLike, label: str) -> None:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _os_refusal(exc, label) from exc
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(label, "it is a folder, not an image; choose an image file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(label, "it is not a regular file; choose an image file saved on disk")
    _check_byte_count(st.st_size, label)


def _check_byte_count(n: int, label: str) -> None:
    if n == 0:
        raise _refuse(label, "the file is empty (0 bytes); export or download the image again")
    if n > MAX_FILE_BYTES:
        raise _refuse(
            label,
            f"the file is {n / (1024 * 1024):.0f} MB, over the 100 MB limit; "
            "save a smaller copy (for example a JPEG) and try that",
        )


def _os_refusal(exc: OSError, label: str) -> ImageRefused:
    if isinstance(exc, FileNotFoundError):
        return _refuse(
            label, "the file was not found; check that it still exists and choose it again"
        )
    if isinstance(exc, IsADirectoryError):
        return _refuse(label, "it is a folder, not an image; choose an image file inside it")
    if isinstance(exc, PermissionError):
        return _refuse(
            label,
            "permission to read the file was denied; copy it somewhere you can read and try again",
        )
    reason = exc.strerror or str(exc) or type(exc).__name__
    return _refuse(
        label, f"the file could not be read ({reason}); copy it to a local folder and try again"
    )


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
    return _refuse(label, f"{what}, over the 100 megapixel limit; save a smaller copy and try that")


# -- decoding --------------------------------------------------------------------------------


def _open(fh, head: bytes, label: str) -> Image.Image:
    """Open (header only) and check format and pixel count. Never decodes pixels."""
    try:
        im = Image.open(fh, formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(label, None, exc) from exc
    except Image.UnidentifiedImageError as exc:
        raise _unidentified(head, label) from exc
    except Exception as exc:  # noqa: BLE001 - any header parsing failure is a damaged file
        raise _damaged(label) from exc
    w, h = im.size
    if w <= 0 or h <= 0:
        raise _damaged(label)
    if w * h > MAX_PIXELS:
        raise _too_many_pixels(label, im.size)
    return im


def _decode(fh, head: bytes, label: str, draft_size: tuple[int, int] | None) -> LoadedImage:
    im = _open(fh, head, label)
    fmt = im.format or "unknown"
    full_size = im.size
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone switched it on; truncated files must fail here
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        if draft_size and fmt == "JPEG":
            dw, dh = draft_size
            if _orientation(im) in (5, 6, 7, 8):  # stored sideways: ask for the sideways size
                dw, dh = dh, dw
            im.draft("RGB", (dw, dh))
        im.load()  # before reading EXIF: PNG's getexif() may load, and must not hide an error
        orientation = _orientation(im)
        factor = _reduce_factor(im.size, draft_size, orientation)
        converted = _to_srgb(im, orientation, factor)
        if converted is not im:
            im.close()  # frees the decoded pixels before the final RGB copy is made
        rgb = converted if converted.mode == "RGB" else _to_rgb(converted)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(label, full_size) from exc
    except MemoryError as exc:
        raise _refuse(
            label, "there is not enough memory to open it; close other apps or use a smaller copy"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - truncated data, bad checksums, decoder errors
        raise _damaged(label) from exc
    if rgb is im and getattr(im, "n_frames", 1) > 1:
        rgb = rgb.copy()  # a multi-frame file would keep using the handle we are about to close
    return LoadedImage(image=rgb, format=fmt, size=_upright_size(full_size, orientation))


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
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _reduce_factor(
    size: tuple[int, int], draft_size: tuple[int, int] | None, orientation: int
) -> int:
    """The largest whole factor that keeps the upright image at least ``draft_size``."""
    if not draft_size:
        return 1
    w, h = _upright_size(size, orientation)
    dw, dh = (max(1, int(d)) for d in draft_size)
    return max(1, min(w // dw, h // dh))


# -- conversion to upright sRGB, a band of rows at a time ------------------------------------
#
# Peak memory of a decode is the decoded image plus the output, never a chain of full-size
# copies: every per-pixel step (16-bit scaling, alpha over white, ICC, reduction, EXIF
# rotation) runs on a band of about _BAND_BYTES and is pasted into one preallocated output.
# Grey pictures stay one byte a pixel ("L") until the decoded image has been freed; only then
# is the RGB copy made. Measured (tests/imaging/test_intake_memory.py): a 100-megapixel 16-bit
# grey PNG peaks near 0.5 GB (was 1.1 GB), an RGBA one near 0.8 GB (was 1.7 GB), and either
# decoded with ``draft_size=(1024, 1024)`` about the size of the decoded image alone.

_BAND_BYTES = 8 * 1024 * 1024


class _Plan:
    """What every band of one image needs, worked out once for the whole image."""

    def __init__(self, im: Image.Image) -> None:
        self.scale = 1.0
        if im.mode == "F":
            hi = im.getextrema()[1]
            self.scale = 255.0 if hi <= 1.0 else 1.0
        elif im.mode.startswith("I"):
            hi = im.getextrema()[1]
            # 16-bit data is scaled, not clipped; 8-bit values stored in I stay as they are.
            self.scale = 1 / 257 if hi > 255 else 1.0
        self._icc = im.info.get("icc_profile")
        self._transforms: dict[str, ImageCms.ImageCmsTransform | None] = {}

    def transform_for(self, mode: str) -> ImageCms.ImageCmsTransform | None:
        """The ICC transform to sRGB for bands in ``mode``, or None to convert plainly."""
        if mode not in self._transforms:
            self._transforms[mode] = self._build(mode)
        return self._transforms[mode]

    def _build(self, mode: str) -> ImageCms.ImageCmsTransform | None:
        if not self._icc or mode not in ("RGB", "CMYK", "L"):
            return None
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(self._icc))
            space = profile.profile.xcolor_space.strip()
            if {"RGB": "RGB", "CMYK": "CMYK", "L": "GRAY"}[mode] != space:
                return None
            if "srgb" in ImageCms.getProfileDescription(profile).lower():
                return None
            return ImageCms.buildTransform(profile, _SRGB, mode, "RGB")
        except Exception:  # noqa: BLE001 - a broken profile: fall back to a plain conversion
            return None


def _to_srgb(im: Image.Image, orientation: int, factor: int) -> Image.Image:
    """Any Pillow mode (CMYK, 16-bit, float, palette, with alpha) -> upright sRGB, alpha on
    white, reduced by ``factor``: RGB, or L for a grey picture (the caller makes it RGB).

    Returns ``im`` itself when it already is all that."""
    transpose = _ORIENTATION.get(orientation)
    plan = _Plan(im)
    if im.mode == "RGB" and transpose is None and factor == 1 and not plan.transform_for("RGB"):
        return im
    w, h = im.size
    bpp = max(1, len(im.getbands())) * (4 if im.mode in ("I", "F", "RGB", "RGBA") else 2)
    rows = max(factor, _BAND_BYTES // (w * bpp) // factor * factor)
    rw, rh = -(-w // factor), -(-h // factor)
    out: Image.Image | None = None
    for top in range(0, h, rows):
        band = _band_to_srgb(im.crop((0, top, w, min(h, top + rows))), plan)
        if factor > 1:
            band = band.reduce(factor)
        r0, r1 = top // factor, top // factor + band.height
        if transpose is not None:
            band = band.transpose(transpose)
        if out is None:
            size = (rh, rw) if orientation in (5, 6, 7, 8) else (rw, rh)
            out = Image.new(band.mode, size)
        out.paste(band, _band_origin(orientation, r0, r1, rw, rh))
    assert out is not None  # an image has at least one row
    return out


def _band_origin(orientation: int, r0: int, r1: int, rw: int, rh: int) -> tuple[int, int]:
    """Where rows ``r0..r1`` of a ``rw`` x ``rh`` image land once turned upright."""
    del rw  # every band spans the full width, which lands at 0 on the other axis
    if orientation in (3, 4):  # ROTATE_180, FLIP_TOP_BOTTOM
        return 0, rh - r1
    if orientation in (5, 8):  # TRANSPOSE, ROTATE_90
        return r0, 0
    if orientation in (6, 7):  # ROTATE_270, TRANSVERSE
        return rh - r1, 0
    return 0, r0  # upright, FLIP_LEFT_RIGHT


def _band_to_srgb(band: Image.Image, plan: _Plan) -> Image.Image:
    """One band, any mode -> sRGB as "RGB" or "L", alpha composited over white."""
    alpha = None
    mode = band.mode
    if (mode == "P" and "transparency" in band.info) or mode == "PA":
        band = band.convert("RGBA")
        mode = "RGBA"
    elif mode == "P":
        band = band.convert("RGB")
        mode = "RGB"
    if mode in ("RGBA", "RGBa", "LA", "La"):
        if mode in ("RGBa", "La"):
            band = band.convert("RGBA" if mode == "RGBa" else "LA")
        alpha = band.getchannel("A")
        band = band.convert("RGB" if band.mode == "RGBA" else "L")
        if alpha.getextrema() == (255, 255):
            alpha = None
    elif mode == "F":
        band = band.point(lambda v: v * plan.scale).convert("L")
    elif mode.startswith("I"):
        if mode != "I":
            band = band.convert("I")
        band = band.point(lambda v: v * plan.scale).convert("L")
    elif mode == "1":
        band = band.convert("L")
    transform = plan.transform_for(band.mode)
    if transform is not None:
        band = ImageCms.applyTransform(band, transform)
    elif band.mode not in ("RGB", "L"):
        band = band.convert("RGB")
    if alpha is not None:
        white = Image.new(band.mode, band.size, 255 if band.mode == "L" else (255, 255, 255))
        band = Image.composite(band, white, alpha)
    return band


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
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "other-image", "a HEIC/HEIF photo"
        if brand in (b"avif", b"avis"):
            return "other-image", "an AVIF image"
        return "not-image", "a video file"
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


def _unidentified(head: bytes, label: str) -> ImageRefused:
    found = sniff(head)
    if found is None:
        return _refuse(label, f"it is not in an image format Style Studio can read; {_CHOOSE}")
    kind, what = found
    if kind == "image":
        return _damaged(label, what)
    if kind == "other-image":
        return _refuse(
            label,
            f"it looks like {what}, which Style Studio can't read; export it as a JPEG or PNG and try again",
        )
    return _refuse(label, f"it looks like {what}, not an image; {_CHOOSE}")


def _damaged(label: str, fmt: str | None = None) -> ImageRefused:
    what = f"the {fmt} file" if fmt else "the file"
    return _refuse(
        label,
        f"{what} is damaged or incomplete; download or export the image again and try the new copy",
    )
