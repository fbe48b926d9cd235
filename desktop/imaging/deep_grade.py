"""A style's 3D LUT on float pixels: tetrahedral interpolation in numpy, strip by strip, so a
16-bit photo is graded at float precision (no 8-bit step) and memory stays bounded (the
interpolation's temporary arrays are those of one strip, never of the whole photo).

Tetrahedral (as DaVinci Resolve and OpenColorIO do) reads 4 of a cell's 8 corners: about twice
as fast as trilinear here. Pillow's 8-bit ``Color3DLUT`` filter is trilinear; on a style's
smooth LUT the two differ by well under one 8-bit level, so a 16-bit result reduced to 8 bits
agrees with the 8-bit road within one level (tested).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import ImageFilter

STRIP_PIXELS = 1 << 18  # pixels interpolated at once: ~30 MB of temporaries


def lut_table(lut: ImageFilter.Color3DLUT) -> np.ndarray:
    """The LUT's table, red fastest (Pillow's order), each entry padded to 4 float32 and seen
    as one 16-byte value: one gather fetches a whole entry (much faster than a (n, 3) one)."""
    if lut.channels != 3 or len(set(lut.size)) != 1:
        raise ValueError("only cubic 3-channel LUTs")
    table = np.asarray(lut.table, dtype=np.float32).reshape(-1, 3)
    padded = np.zeros((len(table), 4), dtype=np.float32)
    padded[:, :3] = table
    return padded.view(np.complex128).ravel()


def interpolate(rgb: np.ndarray, table: np.ndarray, size: int) -> np.ndarray:
    """``rgb`` (n, 3) float in 0..1 through the LUT ``table`` (``lut_table``): (n, 3) float32,
    by tetrahedral interpolation (4 of the cell's 8 corners: the path from its darkest corner
    to its brightest along the axes in the order of the fractions, largest first)."""
    x = np.clip(rgb, 0.0, 1.0, dtype=np.float32) * np.float32(size - 1)
    i0 = np.minimum(x.astype(np.int32), size - 2)
    f = x - i0
    base = i0[:, 0] + size * i0[:, 1] + size * size * i0[:, 2]
    fr, fg, fb = f[:, 0], f[:, 1], f[:, 2]
    f1 = np.maximum(np.maximum(fr, fg), fb)
    f3 = np.minimum(np.minimum(fr, fg), fb)
    f2 = fr + fg + fb - f1 - f3
    plane = size * size
    first = np.where((fr >= fg) & (fr >= fb), 1, np.where(fg >= fb, size, plane)).astype(np.int32)
    last = np.where((fr < fg) & (fr < fb), 1, np.where(fg < fb, size, plane)).astype(np.int32)
    top = base + (1 + size + plane)

    def corner(index: np.ndarray) -> np.ndarray:
        return table[index].view(np.float32).reshape(-1, 4)

    out = (1 - f1)[:, None] * corner(base)
    out += (f1 - f2)[:, None] * corner(base + first)
    out += (f2 - f3)[:, None] * corner(top - last)
    out += f3[:, None] * corner(top)
    return out[:, :3]


def grade(
    rgb: np.ndarray,
    table: np.ndarray,
    size: int,
    *,
    before: Callable[[np.ndarray], np.ndarray] | None = None,
    after: Callable[[np.ndarray], np.ndarray] | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``rgb`` (h, w, 3, any numeric dtype already scaled by ``before`` to 0..1) graded strip by
    strip into ``out`` (float32 (h, w, 3) unless given). ``before`` turns a strip (n, 3) into
    the LUT's input (e.g. uint16 -> float, a wide-gamut space -> sRGB); ``after`` turns the
    graded strip into what ``out`` holds (e.g. sRGB -> Display P3)."""
    h, w = rgb.shape[:2]
    if out is None:
        out = np.empty((h, w, 3), dtype=np.float32)
    rows = max(1, STRIP_PIXELS // max(1, w))
    for r0 in range(0, h, rows):
        strip = rgb[r0 : r0 + rows].reshape(-1, rgb.shape[2])[:, :3]
        values = before(strip) if before is not None else strip.astype(np.float32)
        graded = interpolate(values, table, size) if table.size else values
        if after is not None:
            graded = after(graded)
        out[r0 : r0 + rows] = graded.reshape(-1, w, 3)
    return out
