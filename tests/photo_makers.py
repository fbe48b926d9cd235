"""Real photo files in the formats people bring, made by the codecs themselves (no camera files
here): a DNG written as a camera writes one (a 12-bit Bayer mosaic with its CFA tags, colour
matrix, as-shot white balance and orientation), which LibRaw decodes; HEIC through libheif
(pillow-heif), AVIF through Pillow; 16-bit TIFF and PNG with known gradients; and the bad and
huge ones (a DNG cut off, a RAW or HEIC declaring 100+ megapixels, a 10,000-page TIFF, a HEIC
whose item table is broken)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

# the scene every DNG holds, in linear sRGB: an orange top half, a blue bottom half
ORANGE = (0.60, 0.30, 0.08)
BLUE = (0.08, 0.25, 0.60)
XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)


def _rationals(values: tuple[float, ...]) -> list[int]:
    out: list[int] = []
    for v in values:
        out += [int(round(v * 10000)), 10000]
    return out


def write_dng(
    path: Path,
    size: tuple[int, int] = (64, 48),
    *,
    orientation: int = 1,
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0),
    exposure: float = 1.0,
    clipped: bool = False,
    scene: np.ndarray | None = None,
) -> Path:
    """A DNG of ``size`` (width, height, stored) holding ORANGE over BLUE (or ``scene``, an
    (height, width, 3) array of linear light 0..1) as a 12-bit RGGB mosaic; ``white_balance``: the camera's as-shot neutral (the sensor's response to grey),
    which the mosaic is multiplied by, so the camera's white balance undoes it; ``exposure``
    scales the light; ``clipped``: the middle quarter of the top half is a blown highlight
    (every photosite at the white level)."""
    import tifffile

    w, h = size
    white = 4095
    if scene is None:
        scene = np.empty((h, w, 3))
        scene[: h // 2] = ORANGE
        scene[h // 2 :] = BLUE
    scene = scene * (np.asarray(white_balance) * exposure)
    if clipped:
        scene[h // 8 : 3 * h // 8, w // 4 : w // 2] = 1.0
    mosaic = np.empty((h, w), dtype=np.uint16)
    mosaic[0::2, 0::2] = scene[0::2, 0::2, 0] * white
    mosaic[0::2, 1::2] = scene[0::2, 1::2, 1] * white
    mosaic[1::2, 0::2] = scene[1::2, 0::2, 1] * white
    mosaic[1::2, 1::2] = scene[1::2, 1::2, 2] * white
    tags = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),
        (50708, "s", 0, "Style Studio TestCam", True),  # UniqueCameraModel
        (271, "s", 0, "StyleStudio", True),
        (272, "s", 0, "TestCam", True),
        (306, "s", 0, "2026:12:08 09:30:00", True),  # DateTime
        (274, "H", 1, orientation, True),
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50710, "B", 3, (0, 1, 2), True),  # CFAPlaneColor
        (50714, "H", 1, 0, True),  # BlackLevel
        (50717, "H", 1, white, True),  # WhiteLevel
        (50721, "2i", 9, _rationals(XYZ_TO_SRGB), True),  # ColorMatrix1: the sensor sees sRGB
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, _rationals(white_balance), True),  # AsShotNeutral
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, mosaic, photometric=32803, extratags=tags, metadata=None, subfiletype=0)
    return path


def declare_size(path: Path, width: int, height: int) -> Path:
    """Make a (little-endian, classic) TIFF's first directory declare ``width`` x ``height``
    without any more pixels behind it."""
    data = bytearray(path.read_bytes())
    (offset,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, offset)
    for i in range(count):
        at = offset + 2 + 12 * i
        tag, kind = struct.unpack_from("<HH", data, at)
        if tag in (256, 257):
            value = width if tag == 256 else height
            if kind == 3:
                struct.pack_into("<HHIHH", data, at, tag, 4, 1, 0, 0)  # widened to LONG
            struct.pack_into("<HHII", data, at, tag, 4, 1, value)
    path.write_bytes(bytes(data))
    return path


def gradient16(width: int = 256, height: int = 16) -> np.ndarray:
    """A smooth 16-bit RGB gradient: red rises left to right over the whole range, green
    falls, blue is 0x8080 (128 once at 8 bits)."""
    ramp = np.linspace(0, 65535, width).round().astype(np.uint16)
    rgb = np.empty((height, width, 3), dtype=np.uint16)
    rgb[..., 0] = ramp
    rgb[..., 1] = ramp[::-1]
    rgb[..., 2] = 0x8080
    return rgb


def write_tiff16(path: Path, pixels: np.ndarray | None = None, *, pages: int = 1) -> Path:
    import tifffile

    pixels = gradient16() if pixels is None else pixels
    path.parent.mkdir(parents=True, exist_ok=True)
    with tifffile.TiffWriter(path) as tif:
        for page in range(pages):
            tif.write(pixels if page == 0 else pixels // 2, photometric="rgb", metadata=None)
    return path


def write_png16(path: Path) -> Path:
    """A 16-bit greyscale PNG of the gradient's red ramp (Pillow writes 16-bit grey, "I;16")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(gradient16()[..., 0])).save(path)
    return path


def many_pages_tiff(path: Path, pages: int = 10_000) -> Path:
    """A classic TIFF of ``pages`` 4 x 4 grey pages (all sharing one strip), written by hand:
    about 150 bytes a page."""
    strip = bytes(range(0, 256, 16))
    entries = 8
    ifd_size = 2 + 12 * entries + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 8 + len(strip)) + strip)
    for page in range(pages):
        here = len(out)
        nxt = here + ifd_size if page < pages - 1 else 0
        out += struct.pack("<H", entries)
        for tag, kind, value in ((254, 4, 2), (256, 3, 4), (257, 3, 4), (258, 3, 8), (262, 3, 1), (273, 4, 8), (278, 3, 4), (279, 4, 16)):
            out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
        out += struct.pack("<I", nxt)
    path.write_bytes(bytes(out))
    return path


def heif_image(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Orange over blue, the DNG's scene in 8-bit sRGB."""
    w, h = size
    img = Image.new("RGB", size, (200, 150, 80))
    img.paste((60, 130, 200), (0, h // 2, w, h))
    return img


def write_heic(path: Path, size: tuple[int, int] = (64, 48), **save: object) -> Path:
    """A HEIC written by libheif's encoder (pillow-heif, a test dependency: the app reads HEICs
    through pi-heif, which has no encoder). Pillow's HEIF opener is left to the app's pi-heif,
    so the tests read what they write the way a user's install does."""
    import pillow_heif

    path.parent.mkdir(parents=True, exist_ok=True)
    pillow_heif.from_pillow(heif_image(size)).save(str(path), quality=90, **save)
    return path


def write_avif(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    heif_image(size).save(path, format="AVIF", quality=90)
    return path


def heif_declaring(path: Path, width: int, height: int) -> Path:
    """Make a HEIC's image spatial extents ("ispe") declare ``width`` x ``height``."""
    data = bytearray(path.read_bytes())
    at = data.find(b"ispe")
    while at >= 0:
        struct.pack_into(">II", data, at + 8, width, height)  # after the version and flags
        at = data.find(b"ispe", at + 4)
    path.write_bytes(bytes(data))
    return path


def break_item_table(path: Path) -> Path:
    """Overwrite a HEIC's item locations ("iloc") with nonsense: the item table names data
    that is not there."""
    data = bytearray(path.read_bytes())
    at = data.find(b"iloc")
    (size,) = struct.unpack_from(">I", data, at - 4)
    data[at + 4 : at - 4 + size] = b"\xff" * (size - 8)
    path.write_bytes(bytes(data))
    return path
