"""HaldCLUT PNG: a 3D LUT stored as an image, read by darktable, RawTherapee, G'MIC and
ImageMagick (``-hald-clut``).

A level-L Hald image is L^3 x L^3 pixels holding an L^2-point cube: pixel k (row-major) is the
output for input (r, g, b) = (k mod n, k / n mod n, k / n^2) / (n - 1), n = L^2, red varying
fastest. We write level 8 (512 x 512 pixels, 64 points a side, 8 bits per channel) by running
the identity Hald image through the style's LUT with Pillow, the same code that applies the
style to photos. We read any level from 2 to 16; the picture goes through image intake first.
"""

from __future__ import annotations

import io
import os
import tempfile
from array import array
from pathlib import Path

from PIL import Image, ImageFilter

from desktop.exchange import limits
from desktop.imaging.cube_files import Lut
from desktop.imaging.lut import CubeError

WRITE_LEVEL = 8


def identity_image(level: int = WRITE_LEVEL) -> Image.Image:
    """The identity Hald image of ``level`` (8 bits per channel, values rounded)."""
    n = level * level
    side = level**3
    steps = [round(i * 255 / (n - 1)) for i in range(n)]
    reds = bytes(v for r in steps for v in (r, 0, 0))
    data = bytearray()
    for b in steps:
        for g in steps:
            row = bytearray(reds)
            row[1::3] = bytes([g]) * n
            row[2::3] = bytes([b]) * n
            data += row
    return Image.frombytes("RGB", (side, side), bytes(data))


def hald_image(lut: ImageFilter.Color3DLUT, level: int = WRITE_LEVEL) -> Image.Image:
    return identity_image(level).filter(lut)


def write_hald(path: str | os.PathLike[str], lut: ImageFilter.Color3DLUT, level: int = WRITE_LEVEL) -> Path:
    """Write the HaldCLUT PNG of ``lut``; the file appears whole or not at all."""
    path = Path(path)
    image = hald_image(lut, level)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hald-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, "PNG", compress_level=6)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def level_of(size: tuple[int, int]) -> int | None:
    """The Hald level of an image of ``size``, or None when it is not a Hald image."""
    w, h = size
    if w != h:
        return None
    lo, hi = limits.HALD_LEVELS
    for level in range(lo, hi + 1):
        if level**3 == w:
            return level
    return None


def read_hald(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> Lut:
    """A HaldCLUT image (any level 2..16) as a 3D table; raises a UserError (one sentence)
    when intake refuses the picture or it is not a Hald image."""
    from desktop.imaging.intake import check_image_file, load_image

    label = name or (Path(os.fspath(source)).name if not isinstance(source, bytes) else "image")
    size = check_image_file(source, name=label)  # header only: a wrong shape is refused early
    level = level_of(size)
    if level is None:
        sides = ", ".join(f"{lv**3}" for lv in range(limits.HALD_LEVELS[0], limits.HALD_LEVELS[1] + 1))
        raise CubeError(
            f'The image "{label}" is {size[0]}x{size[1]} pixels, not a HaldCLUT (a square of side {sides}); '
            "export the LUT from its tool as a HaldCLUT PNG or a .cube file."
        )
    image = load_image(source if isinstance(source, bytes) else os.fspath(source), name=label).image
    n = level * level
    scale = 1 / 255
    table = array("d", [v * scale for v in image.tobytes()])
    assert len(table) == 3 * n**3
    return Lut(3, n, table, Path(label).stem)


def hald_bytes(lut: ImageFilter.Color3DLUT, level: int = WRITE_LEVEL) -> bytes:
    buf = io.BytesIO()
    hald_image(lut, level).save(buf, "PNG")
    return buf.getvalue()
