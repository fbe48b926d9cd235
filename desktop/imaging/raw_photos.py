"""Camera RAW photos (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF, SRW...) through LibRaw
(``rawpy``): recognised by their content, checked from the header before anything is
unpacked, and developed the same way for every photo of a batch.

**The default development** (``DEVELOPMENT``), what a darktable or Lightroom user expects of an
untouched RAW, and the same for every photo, so a batch does not flicker:

* the camera's own (as-shot) white balance;
* no automatic brightening (LibRaw's per-photo auto-brightness is off); instead one fixed
  exposure of +0.7 EV (darktable's default), with highlights kept when brightening;
* blown highlights clipped to neutral white after the white balance, never turned magenta
  (LibRaw's "clip" mode; its "blend" mode would darken every photo by its own white balance's
  spread, so two photos of one batch shot under different light would differ in exposure);
* the camera's orientation; sRGB primaries and the sRGB tone curve out;
* AHD demosaicing; at half size (each 2x2 block one pixel, no demosaicing: several times
  faster) when the half-size picture is still at least as big as asked (``draft_size``).

**Limits**, as for every picture (``intake``): the file is at most 100 MB (read once, from the
one descriptor ``source_files`` opened); the picture LibRaw's header declares must be at most
100 megapixels, checked before anything is unpacked; a file LibRaw cannot parse or unpack
(cut off, damaged) is refused with one sentence.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from PIL import Image

from desktop.imaging.refusals import ImageRefused, refuse

if TYPE_CHECKING:
    import numpy as np

RAW_SUFFIXES = frozenset(
    {".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".raf", ".orf", ".rw2", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl"}
)
EXPOSURE_EV = 0.7
# makers whose TIFF-based RAW files (IFD0 a preview, the sensor data in a sub-directory) we
# name by maker; any TIFF with a DNGVersion tag is a DNG
_MAKERS = (
    (b"NIKON", "NEF"),
    (b"SONY", "ARW"),
    (b"PENTAX", "PEF"),
    (b"RICOH", "PEF"),
    (b"SAMSUNG", "SRW"),
    (b"CANON", "CR2"),
)
_CFA = (32803, 34892)  # PhotometricInterpretation: colour filter array, linear raw
_MAX_TAGS = 4096


DEVELOPMENT: dict[str, Any] = {
    "use_camera_wb": True,
    "use_auto_wb": False,
    "no_auto_bright": True,
    "exp_shift": 2**EXPOSURE_EV,
    "exp_preserve_highlights": 1.0,
    "gamma": (2.4, 12.92),  # the sRGB curve (LibRaw's default is BT.709's)
    "user_flip": None,  # the camera's orientation
}


class NotRaw(ImageRefused):
    """LibRaw does not know the file: for a TIFF only guessed to be a RAW (a camera's make and
    sub-directories, no DNG or CR2 marker, no RAW name), the caller reads it as a TIFF."""


def guessed(kind: str, head: bytes, suffix: str) -> bool:
    """Whether ``raw_kind`` only guessed ``kind`` from a TIFF's tags (a camera-made TIFF with
    sub-directories may be a plain picture): no DNG or CR2 marker, no RAW extension."""
    return head[:4] in (b"II*\x00", b"MM\x00*") and kind not in ("DNG", "CR2") and suffix.lower() not in RAW_SUFFIXES


@dataclass(frozen=True)
class RawHeader:
    width: int  # upright
    height: int
    flip: int  # LibRaw's: 0 none, 3 180 degrees, 5 90 counter-clockwise, 6 90 clockwise


def raw_kind(head: bytes, fh: IO[bytes] | None = None, suffix: str = "") -> str | None:
    """What camera RAW format ``head`` (a file's first bytes) is, by its content ("DNG", "CR2",
    "CR3", "NEF", "ARW", "RAF", "ORF", "RW2", "PEF", "SRW", or "RAW" for another TIFF-based
    one), or None when it is not a RAW file. ``fh`` lets a TIFF's first directory be read (a
    DNG or a NEF is a TIFF); ``suffix`` (the name's extension) only breaks the tie for a TIFF
    whose tags say nothing either way."""
    if head[4:12] == b"ftypcrx ":
        return "CR3"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "RAF"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\x00":
        return "RW2"
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    if head[8:10] == b"CR":
        return "CR2"
    tags = _first_directory(fh, head[:2] == b"II") if fh is not None else {}
    if 50706 in tags:  # DNGVersion
        return "DNG"
    make = tags.get(271, b"").upper()
    photometric = tags.get(262, b"")
    if (330 in tags and make) or photometric in _CFA:  # SubIFDs of a camera, or sensor data
        return next((kind for maker, kind in _MAKERS if make.startswith(maker)), "RAW")
    if suffix.lower() in RAW_SUFFIXES and not tags:
        return suffix.lstrip(".").upper()
    return None


def _first_directory(fh: IO[bytes], little: bool) -> dict[int, Any]:
    """The tags of a TIFF's first directory we look at: Make's text (271), Photometric's value
    (262), and the presence of the others. Reads a few kilobytes; never raises."""
    order = "<" if little else ">"
    found: dict[int, Any] = {}
    try:
        fh.seek(4)
        (offset,) = struct.unpack(order + "I", fh.read(4))
        fh.seek(offset)
        (count,) = struct.unpack(order + "H", fh.read(2))
        if not 0 < count <= _MAX_TAGS:
            return {}
        table = fh.read(12 * count)
        for i in range(len(table) // 12):
            tag, kind, n = struct.unpack(order + "HHI", table[i * 12 : i * 12 + 8])
            value = table[i * 12 + 8 : i * 12 + 12]
            if tag == 262 and kind == 3:
                (found[tag],) = struct.unpack(order + "H", value[:2])
            elif tag == 271 and kind == 2 and 0 < n <= 64:
                if n > 4:
                    (where,) = struct.unpack(order + "I", value)
                    here = fh.tell()
                    fh.seek(where)
                    value = fh.read(n)
                    fh.seek(here)
                found[tag] = value[:n].split(b"\x00")[0].strip()
            else:
                found[tag] = True
    except (OSError, ValueError, struct.error):
        return {}
    finally:
        try:
            fh.seek(0)
        except (OSError, ValueError):
            pass
    return found


_DATA_TAGS = {273: 279, 324: 325}  # strip and tile offsets -> their byte counts
_TYPE_SIZES = {3: 2, 4: 4, 13: 4}  # SHORT, LONG, IFD
_MAX_DIRECTORIES = 64


def cut_off(data: bytes) -> bool:
    """Whether a TIFF-based RAW (DNG, NEF, ARW, CR2, PEF, SRW...) names image data beyond its
    end: a file cut short (a copy from the card interrupted). Follows the first directories and
    their sub-directories; anything it cannot follow says "not cut off" (LibRaw judges then).
    Checked before LibRaw is asked, which would print its complaint on the terminal."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or data[2:4] not in (b"*\x00", b"\x00*"):
        return False
    end = len(data)
    todo = [struct.unpack_from(order + "I", data, 4)[0]]
    seen: set[int] = set()
    try:
        while todo and len(seen) < _MAX_DIRECTORIES:
            offset = todo.pop()
            if offset in seen or not 8 <= offset < end - 2:
                continue
            seen.add(offset)
            (count,) = struct.unpack_from(order + "H", data, offset)
            values: dict[int, tuple[int, ...]] = {}
            for i in range(min(count, _MAX_TAGS)):
                at = offset + 2 + 12 * i
                if at + 12 > end:
                    return True  # the directory itself is cut
                tag, kind, n = struct.unpack_from(order + "HHI", data, at)
                if (tag in _DATA_TAGS or tag in _DATA_TAGS.values() or tag == 330) and kind in _TYPE_SIZES and n <= 1 << 16:
                    size = _TYPE_SIZES[kind]
                    where = at + 8 if n * size <= 4 else struct.unpack_from(order + "I", data, at + 8)[0]
                    if where + n * size > end:
                        return True
                    code = order + ("H" if size == 2 else "I") * n
                    values[tag] = struct.unpack_from(code, data, where)
            for offsets_tag, counts_tag in _DATA_TAGS.items():
                starts, sizes = values.get(offsets_tag, ()), values.get(counts_tag, ())
                if any(start + size > end for start, size in zip(starts, sizes, strict=False)):
                    return True
            todo.extend(values.get(330, ()))
            next_at = offset + 2 + 12 * count
            if next_at + 4 <= end:
                todo.append(struct.unpack_from(order + "I", data, next_at)[0])
    except struct.error:
        return False
    return False


def _damaged(label: str, kind: str) -> ImageRefused:
    return refuse(
        label,
        f"the camera RAW file ({kind}) is damaged, incomplete or from a camera LibRaw does not know; "
        "copy it from the card again, or export it as a JPEG or TIFF from your photo editor and try that",
    )


def _opened(data: bytes, label: str, kind: str, max_pixels: int) -> Any:
    """A ``rawpy.RawPy`` with ``data``'s header parsed (nothing unpacked), checked."""
    import io

    import rawpy

    if cut_off(data):
        raise refuse(
            label,
            f"the camera RAW file ({kind}) is incomplete (it ends before its picture does); "
            "copy it from the card again and try the new copy",
        )
    raw = rawpy.RawPy()
    try:
        raw.open_buffer(io.BytesIO(data))
        sizes = raw.sizes
    except rawpy.LibRawFileUnsupportedError as exc:
        raw.close()
        raise NotRaw(
            refuse(
                label,
                f"it looks like a camera RAW file ({kind}) that LibRaw cannot read; export it as a "
                "JPEG or TIFF from your photo editor and try that",
            ).args[0]
        ) from exc
    except (rawpy.LibRawError, OSError, ValueError) as exc:
        raw.close()
        raise _damaged(label, kind) from exc
    w, h = int(sizes.width), int(sizes.height)
    declared = max(w * h, int(sizes.raw_width) * int(sizes.raw_height))
    if w <= 0 or h <= 0:
        raw.close()
        raise _damaged(label, kind)
    if declared > max_pixels:
        raw.close()
        raise refuse(
            label,
            f"it is {w:,} x {h:,} pixels ({declared / 1e6:,.0f} megapixels), over the 100 megapixel "
            "limit; export a smaller copy from your photo editor and try that",
        )
    return raw


def raw_header(data: bytes, label: str, kind: str, max_pixels: int) -> RawHeader:
    """The upright size LibRaw's header declares (checked, nothing unpacked)."""
    raw = _opened(data, label, kind, max_pixels)
    try:
        sizes = raw.sizes
        w, h, flip = int(sizes.width), int(sizes.height), int(sizes.flip)
    finally:
        raw.close()
    return RawHeader(*((h, w) if flip in (5, 6) else (w, h)), flip)


def develop(
    data: bytes,
    label: str,
    kind: str,
    max_pixels: int,
    draft_size: tuple[int, int] | None = None,
    bits: int = 8,
) -> tuple[np.ndarray, tuple[int, int]]:
    """``data`` (a RAW file's bytes) developed as ``DEVELOPMENT`` says: upright sRGB pixels,
    a (height, width, 3) array of ``bits`` (8 or 16) a channel, and the full upright size.
    ``draft_size`` (its larger side is a long edge) decodes at half size when that still
    reaches it."""
    import rawpy

    raw = _opened(data, label, kind, max_pixels)
    try:
        sizes = raw.sizes
        w, h = int(sizes.width), int(sizes.height)
        full = (h, w) if int(sizes.flip) in (5, 6) else (w, h)
        half = bool(draft_size) and max(w, h) // 2 >= max(draft_size or (0, 0))
        try:
            raw.unpack()
            pixels = raw.postprocess(
                half_size=half,
                output_bps=bits,
                highlight_mode=rawpy.HighlightMode.Clip,
                output_color=rawpy.ColorSpace.sRGB,
                **DEVELOPMENT,
            )
        except rawpy.LibRawUnsufficientMemoryError as exc:
            raise MemoryError(str(exc)) from exc
        except (rawpy.LibRawError, OSError, ValueError) as exc:
            raise _damaged(label, kind) from exc
    finally:
        raw.close()
    return pixels, full


def develop_image(
    data: bytes, label: str, kind: str, max_pixels: int, draft_size: tuple[int, int] | None = None
) -> tuple[Image.Image, tuple[int, int]]:
    """``develop`` at 8 bits, as an "RGB" image."""
    import numpy as np

    pixels, full = develop(data, label, kind, max_pixels, draft_size)
    return Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "RGB"), full


JPEG_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe"})


def jpeg_twins(paths: list[Path]) -> list[Path]:
    """The JPEGs among ``paths`` that have a camera RAW twin among them: the same folder and
    the same name but for the extension, any case (``IMG_0042.CR2`` and ``IMG_0042.JPG``, as
    a camera set to RAW+JPEG writes them). In order; judged by name only."""
    raws = {(p.parent, p.stem.casefold()) for p in paths if p.suffix.lower() in RAW_SUFFIXES}
    return [p for p in paths if p.suffix.lower() in JPEG_SUFFIXES and (p.parent, p.stem.casefold()) in raws]


# what a styled photo carries from its RAW: who and what took it, when, with which settings
_KEPT_TAGS = (270, 271, 272, 305, 306, 315, 33432)  # description, make, model, software, date, artist, copyright
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_NOT_KEPT_EXIF = (0x927C, 0xA005)  # the maker note (offsets into the RAW), the interoperability pointer


def camera_exif(data: bytes) -> Image.Exif | None:
    """The EXIF of a TIFF-based RAW (DNG, NEF, ARW, CR2, PEF, SRW): the camera, the date, the
    exposure settings and lens (the Exif directory, less the maker note) and the location (the
    GPS directory), without the RAW's own layout and colour tags. None when there is none or it
    cannot be read (CR3, RAF, ORF and RW2 keep theirs elsewhere)."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    try:
        found = Image.Exif()
        found.load(data)
        kept = Image.Exif()
        for tag in _KEPT_TAGS:
            if tag in found:
                kept[tag] = found[tag]
        settings = {k: v for k, v in found.get_ifd(_EXIF_IFD).items() if k not in _NOT_KEPT_EXIF}
        if settings:
            kept.get_ifd(_EXIF_IFD).update(settings)
        place = found.get_ifd(_GPS_IFD)
        if place:
            kept.get_ifd(_GPS_IFD).update(place)
        kept.tobytes()  # what cannot be written back is found now, not when the photo is saved
    except Exception:  # noqa: BLE001 - broken EXIF never stops a photo from being developed
        return None
    return kept if len(kept) else None
