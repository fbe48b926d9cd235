"""What a TIFF that Pillow cannot read says about itself (its colour model and how its
samples are stored, from the first directory of tags), so that a valid file in a colour model
Style Studio does not read (16-bit CIELab, 32-bit floating point, LogLuv...) is called that,
with what to do, instead of "damaged"."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

from PIL import TiffImagePlugin

_MODELS = {
    0: "greyscale",
    1: "greyscale",
    2: "RGB",
    3: "palette",
    4: "transparency mask",
    5: "CMYK",
    6: "YCbCr",
    8: "CIELab",
    9: "ICC Lab",
    10: "ITU Lab",
    32803: "camera raw (colour filter array)",
    32844: "LogL",
    32845: "LogLuv",
    34892: "camera raw (linear)",
}
_KINDS = {2: "signed whole-number", 3: "floating-point"}
_MAX_TAGS = 4096
_TAGS = {258: "bits", 262: "photometric", 277: "samples", 339: "sample_format"}


@dataclass(frozen=True)
class TiffLayout:
    photometric: int
    bits: tuple[int, ...]
    samples: int
    sample_format: int  # 1 unsigned, 2 signed, 3 floating point

    @property
    def model(self) -> str:
        return _MODELS.get(self.photometric, f"number {self.photometric}")


def read_layout(fh: IO[bytes]) -> TiffLayout | None:
    """The layout the first directory of a classic TIFF declares, or None when it cannot be
    read (not a TIFF, BigTIFF, cut off). Reads a few hundred bytes; never raises."""
    try:
        fh.seek(0)
        head = fh.read(8)
        order = {b"II*\x00": "<", b"MM\x00*": ">"}.get(head[:4])
        if order is None or len(head) < 8:
            return None
        (offset,) = struct.unpack(order + "I", head[4:8])
        fh.seek(offset)
        (count,) = struct.unpack(order + "H", fh.read(2))
        if not 0 < count <= _MAX_TAGS:
            return None
        table = fh.read(12 * count)
        found: dict[str, tuple[int, ...]] = {}
        for i in range(len(table) // 12):
            tag, kind, n = struct.unpack(order + "HHI", table[i * 12 : i * 12 + 8])
            if tag in _TAGS and kind in (3, 4) and 0 < n <= 16:
                found[_TAGS[tag]] = _values(fh, order, kind, n, table[i * 12 + 8 : i * 12 + 12])
    except (OSError, ValueError, struct.error):
        return None
    finally:
        try:
            fh.seek(0)
        except (OSError, ValueError):
            pass
    if "photometric" not in found:
        return None
    samples = found.get("samples", (1,))[0]
    return TiffLayout(
        photometric=found["photometric"][0],
        bits=found.get("bits", (1,)),
        samples=samples,
        sample_format=found.get("sample_format", (1,))[0],
    )


def pillow_reads(layout: TiffLayout) -> bool:
    """Whether Pillow reads this colour model at this depth (then a file that fails to open
    is damaged, not unsupported)."""
    known = {(key[1], key[4][:1], key[2][:1]) for key in TiffImagePlugin.OPEN_INFO}
    return (layout.photometric, layout.bits[:1], (layout.sample_format,)) in known


def unsupported_layout(fh: IO[bytes]) -> TiffLayout | None:
    """The layout of a TIFF whose colour model or depth Pillow does not read, else None."""
    layout = read_layout(fh)
    return layout if layout is not None and not pillow_reads(layout) else None


def _values(fh: IO[bytes], order: str, kind: int, n: int, inline: bytes) -> tuple[int, ...]:
    size = 2 if kind == 3 else 4
    code = order + ("H" if kind == 3 else "I") * n
    if n * size <= 4:
        return struct.unpack(code, inline[: n * size])
    (where,) = struct.unpack(order + "I", inline)
    fh.seek(where)
    return struct.unpack(code, fh.read(n * size))


def unsupported_model(layout: TiffLayout) -> str:
    """The refusal's problem for a valid TIFF Pillow cannot read (after "Can't open X: ")."""
    bits = sorted(set(layout.bits))
    depth = f"{bits[0]}-bit" if len(bits) == 1 else "/".join(map(str, bits)) + "-bit"
    kind = _KINDS.get(layout.sample_format, "")
    channels = f"{depth} {kind} channels".replace("  ", " ")
    if layout.photometric in (0, 1, 2):
        return (
            f"it stores its {layout.model} colours as {channels}, which Style Studio can't read; "
            "save it as an 8- or 16-bit RGB TIFF (or a JPEG) in your photo editor and try the new copy"
        )
    return (
        f"it uses the {layout.model} colour model ({channels}), which Style Studio can't read; "
        "convert it to RGB in your photo editor, save it, and try the new copy"
    )


def page_count(fh: IO[bytes], limit: int) -> int:
    """How many pages (directories) a TIFF has, counted up to ``limit + 1`` by following the
    chain of directory offsets (a few bytes read a page; nothing decoded). A chain that loops
    or leads outside the file ends the count where it breaks. Never raises."""
    count = 0
    try:
        fh.seek(0)
        head = fh.read(16)
        order = {b"II": "<", b"MM": ">"}.get(head[:2])
        if order is None:
            return 0
        big = struct.unpack(order + "H", head[2:4])[0] == 43
        if big:
            offset = struct.unpack(order + "Q", head[8:16])[0]
            entry, count_code, next_code = 20, "Q", "Q"
        else:
            offset = struct.unpack(order + "I", head[4:8])[0]
            entry, count_code, next_code = 12, "H", "I"
        seen: set[int] = set()
        while offset and offset not in seen and count <= limit:
            seen.add(offset)
            fh.seek(offset)
            raw = fh.read(struct.calcsize(count_code))
            if len(raw) < struct.calcsize(count_code):
                break
            (entries,) = struct.unpack(order + count_code, raw)
            fh.seek(offset + len(raw) + entries * entry)
            raw = fh.read(struct.calcsize(next_code))
            count += 1
            if len(raw) < struct.calcsize(next_code):
                break
            (offset,) = struct.unpack(order + next_code, raw)
    except (OSError, ValueError, struct.error, OverflowError):
        pass
    finally:
        try:
            fh.seek(0)
        except (OSError, ValueError):
            pass
    return count
