"""Which dropped files are for importing (style packs and LUTs) and which are photos.

A ``.stylepack`` or ``.cube`` is always an import (by its name: no disk read). A ``.png`` is an
import only when it is a HaldCLUT, decided by ``looks_like_hald`` (blocking: call it off the
GUI thread):

1. the header says a square of side L^3 for a level L from 2 to 12 (512 x 512 is level 8), the
   levels an import reads; a bigger square (4096 x 4096 is level 16) is not decoded here and
   counts as a photo (File > Import… says why such a HaldCLUT cannot be read);
2. read as the L^2-point cube it would hold (red fastest, then green, then blue), the picture
   changes *steadily* along each of the three axes: for each axis, on a grid of at most 16
   points a side, the channel that changes most along it moves one way (up for a grade, down
   for an inverted one) in at least 70 % of its total variation, by 8 levels (of 255) or more
   end to end on average.

Any grade a tool exports passes (an identity, a film look, black and white, an inversion); a
photo of the same size does not: its pixels, taken 64 apart and 8 rows apart in that order,
zig-zag. A file that cannot be read counts as a photo; the new-style dialog then says what is
wrong with it.
"""

from __future__ import annotations

import os
from pathlib import Path

IMPORT_SUFFIXES = (".stylepack", ".cube")
HALD_SUFFIXES = (".png",)
GRID = 16  # points a side of the sampled cube
STEADY = 0.7  # share of the variation along an axis that goes one way
MIN_RANGE = 8.0  # mean end-to-end change along an axis, in levels of 255


def is_import_name(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in IMPORT_SUFFIXES


def may_be_import(path: str | os.PathLike[str]) -> bool:
    """The name alone says it is, or may be (a .png), something to import."""
    return Path(path).suffix.lower() in IMPORT_SUFFIXES + HALD_SUFFIXES


def looks_like_hald(path: str | os.PathLike[str]) -> bool:
    """Blocking: ``path`` is a HaldCLUT picture (see the module's docstring)."""
    from PIL import Image

    from desktop.exchange.hald import level_of
    from desktop.exchange.limits import HALD_LEVELS
    from desktop.pipelines.preview.request import photo_size

    try:
        if not Path(path).is_file():
            return False
        size = photo_size(path)
        level = level_of(size)
        if level is None:
            return False
        if level > HALD_LEVELS[1]:
            return False  # not decoded; more likely a square photo (4096 x 4096) than a LUT we read
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        data = rgb.tobytes()
    except Exception:  # unreadable or refused by intake: a photo for the new-style dialog to judge
        return False
    return steady_cube(data, level * level)


def steady_cube(data: bytes, n: int) -> bool:
    """``data`` (RGB bytes of an n^3-point cube, red fastest) changes steadily along each axis."""
    step = max(1, (n - 1) // (GRID - 1))
    points = list(range(0, n, step))
    if points[-1] != n - 1:
        points.append(n - 1)

    def value(r: int, g: int, b: int, c: int) -> int:
        return data[3 * (r + n * (g + n * b)) + c]

    for axis in range(3):
        best_net = 0.0
        best_share = 0.0
        for c in range(3):
            net = 0
            total = 0
            lines = 0
            for u in points:
                for v in points:
                    line = []
                    for w in points:
                        rgb = [u, v, w]
                        rgb[axis], rgb[2] = rgb[2], rgb[axis]  # w runs along ``axis``
                        line.append(value(rgb[0], rgb[1], rgb[2], c))
                    diffs = [b - a for a, b in zip(line, line[1:], strict=False)]
                    net += sum(diffs)
                    total += sum(abs(d) for d in diffs)
                    lines += 1
            mean_net = abs(net) / lines
            if mean_net > best_net:
                best_net = mean_net
                best_share = abs(net) / total if total else 0.0
        if best_net < MIN_RANGE or best_share < STEADY:
            return False
    return True


def sort_drop(paths: list[str]) -> tuple[list[str], list[str]]:
    """Blocking: (files to import, the others) of a drop on the gallery."""
    imports: list[str] = []
    others: list[str] = []
    for p in paths:
        suffix = Path(p).suffix.lower()
        if suffix in IMPORT_SUFFIXES or (suffix in HALD_SUFFIXES and looks_like_hald(p)):
            imports.append(p)
        else:
            others.append(p)
    return imports, others
