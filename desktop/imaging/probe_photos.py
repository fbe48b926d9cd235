"""Photos ``stylestudio self-test`` reads back: a small camera RAW it makes (a DNG, a 12-bit
RGGB mosaic of two colours, written here byte by byte) and a small HEIC of the same picture
shipped in ``resources/probe/`` (the installer has libheif's decoder only: the HEVC encoder,
x265, is GPL and left out, so a HEIC cannot be made here), so an installation shows its RAW and
HEIC decoders (LibRaw through rawpy, libheif through pi-heif) are there and work. Headless: no
Qt."""

from __future__ import annotations

import struct
from pathlib import Path

WIDTH, HEIGHT = 64, 48
TOP, BOTTOM = (0.60, 0.30, 0.08), (0.08, 0.25, 0.60)  # orange over blue, linear light
WHITE = 4095
# XYZ (D65) to linear sRGB: the DNG says its sensor sees sRGB primaries
XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)

_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_SIZES = {_BYTE: 1, _ASCII: 1, _SHORT: 2, _LONG: 4, _RATIONAL: 8, _SRATIONAL: 8}


def _mosaic() -> bytes:
    rows = []
    for y in range(HEIGHT):
        colour = TOP if y < HEIGHT // 2 else BOTTOM
        row = []
        for x in range(WIDTH):
            channel = (0 if x % 2 == 0 else 1) if y % 2 == 0 else (1 if x % 2 == 0 else 2)  # RGGB
            row.append(round(colour[channel] * WHITE))
        rows.append(struct.pack(f"<{WIDTH}H", *row))
    return b"".join(rows)


def _value(kind: int, values: tuple[object, ...] | bytes) -> bytes:
    if kind == _ASCII or kind == _BYTE:
        return bytes(values)  # type: ignore[arg-type]
    if kind == _SHORT:
        return struct.pack(f"<{len(values)}H", *values)
    if kind == _LONG:
        return struct.pack(f"<{len(values)}I", *values)
    pairs: list[int] = []
    for v in values:
        pairs += [round(float(v) * 10000), 10000]  # type: ignore[arg-type]
    return struct.pack(f"<{len(pairs)}{'i' if kind == _SRATIONAL else 'I'}", *pairs)


def dng_bytes() -> bytes:
    """A little-endian DNG 1.4 of ``WIDTH`` x ``HEIGHT``: uncompressed CFA data, camera white
    balance neutral, colour matrix for sRGB primaries."""
    pixels = _mosaic()
    tags: list[tuple[int, int, tuple[object, ...] | bytes]] = [
        (254, _LONG, (0,)),
        (256, _LONG, (WIDTH,)),
        (257, _LONG, (HEIGHT,)),
        (258, _SHORT, (16,)),
        (259, _SHORT, (1,)),
        (262, _SHORT, (32803,)),  # CFA
        (271, _ASCII, b"StyleStudio\0"),
        (272, _ASCII, b"SelfTest\0"),
        (273, _LONG, (0,)),  # strip offset: filled in below
        (274, _SHORT, (1,)),
        (277, _SHORT, (1,)),
        (278, _LONG, (HEIGHT,)),
        (279, _LONG, (len(pixels),)),
        (284, _SHORT, (1,)),
        (33421, _SHORT, (2, 2)),  # CFARepeatPatternDim
        (33422, _BYTE, bytes((0, 1, 1, 2))),  # CFAPattern: RGGB
        (50706, _BYTE, bytes((1, 4, 0, 0))),  # DNGVersion
        (50707, _BYTE, bytes((1, 1, 0, 0))),  # DNGBackwardVersion
        (50708, _ASCII, b"Style Studio SelfTest\0"),  # UniqueCameraModel
        (50710, _BYTE, bytes((0, 1, 2))),  # CFAPlaneColor
        (50714, _SHORT, (0,)),  # BlackLevel
        (50717, _SHORT, (WHITE,)),  # WhiteLevel
        (50721, _SRATIONAL, XYZ_TO_SRGB),  # ColorMatrix1
        (50728, _RATIONAL, (1.0, 1.0, 1.0)),  # AsShotNeutral
        (50778, _SHORT, (21,)),  # CalibrationIlluminant1: D65
    ]
    directory_at = 8
    directory_size = 2 + 12 * len(tags) + 4
    extra_at = directory_at + directory_size
    extra = bytearray()
    entries = []
    for tag, kind, values in tags:
        data = _value(kind, values)
        count = len(data) // _SIZES[kind]
        if len(data) <= 4:
            field = data.ljust(4, b"\0")
        else:
            field = struct.pack("<I", extra_at + len(extra))
            extra += data + (b"\0" if len(data) % 2 else b"")
        entries.append([tag, kind, count, field])
    pixels_at = extra_at + len(extra)
    for entry in entries:
        if entry[0] == 273:
            entry[3] = struct.pack("<I", pixels_at)
    out = bytearray(b"II*\0" + struct.pack("<I", directory_at))
    out += struct.pack("<H", len(entries))
    for tag, kind, count, field in entries:
        out += struct.pack("<HHI", tag, kind, count) + field
    out += struct.pack("<I", 0)
    out += extra
    out += pixels
    return bytes(out)


def write_probe_photos(folder: Path) -> tuple[Path, Path]:
    """Write ``probe.dng`` and copy the shipped ``probe.heic`` into ``folder``; their paths."""
    import shutil

    from desktop.resources import resources_dir

    folder.mkdir(parents=True, exist_ok=True)
    dng = folder / "probe.dng"
    dng.write_bytes(dng_bytes())
    heic = folder / "probe.heic"
    shutil.copyfile(resources_dir() / "probe" / "probe.heic", heic)
    return dng, heic


def read_back(path: Path) -> tuple[tuple[int, int], tuple[int, int, int], tuple[int, int, int]]:
    """Decode a probe photo as a batch would; its size and the colours of its top and bottom
    halves (the middle pixel of each)."""
    from desktop.imaging.intake import load_image

    image = load_image(path).image.convert("RGB")
    w, h = image.size
    return image.size, image.getpixel((w // 2, h // 4)), image.getpixel((w // 2, 3 * h // 4))  # type: ignore[return-value]


def check_probe_photos(folder: Path) -> str:
    """Write and read back the probe photos; one line on success. Raises ValueError with one
    sentence when a decoder gets the picture wrong (and whatever the decoder raises when it is
    missing or broken)."""
    dng, heic = write_probe_photos(folder)
    said = []
    for path, label in ((dng, "a camera RAW (DNG) through LibRaw"), (heic, "a HEIC through libheif")):
        size, top, bottom = read_back(path)
        if size != (WIDTH, HEIGHT) and size != (WIDTH // 2, HEIGHT // 2):
            raise ValueError(f"{label} decoded as {size[0]}x{size[1]}, not {WIDTH}x{HEIGHT}")
        if not (top[0] > top[2] + 40 and bottom[2] > bottom[0] + 40):
            raise ValueError(f"{label} decoded with the wrong colours (top {top}, bottom {bottom}; orange over blue expected)")
        said.append(label)
    return "read " + " and ".join(said)
