"""A style's 3D LUT on float pixels: trilinear interpolation in numpy, strip by strip, so a
16-bit photo is graded at float precision (no 8-bit step) and memory stays bounded (the
interpolation's temporary arrays are those of one strip, never of the whole photo).

It interpolates exactly as Pillow's ``Color3DLUT`` filter does on 8-bit images (trilinear, the
same table order: red varies fastest), so a 16-bit result reduced to 8 bits agrees with the
8-bit path within one level.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import ImageFilter

STRIP_PIXELS = 1 << 18  # pixels interpolated at once: ~30 MB of temporaries


def lut_table(lut: ImageFilter.Color3DLUT) -> np.ndarray:
    """The LUT's table as a (size**3, 3) float32 array, red fastest (Pillow's order)."""
    if lut.channels != 3 or len(set(lut.size)) != 1:
        raise ValueError("only cubic 3-channel LUTs")
    return np.asarray(lut.table, dtype=np.float32).reshape(-1, 3)


def interpolate(rgb: np.ndarray, table: np.ndarray, size: int) -> np.ndarray:
    """``rgb`` (n, 3) float in 0..1 through the LUT ``table`` (size**3, 3): (n, 3) float32."""
    x = np.clip(rgb, 0.0, 1.0, dtype=np.float32) * np.float32(size - 1)
    i0 = np.minimum(x.astype(np.int32), size - 2)
    f = x - i0
    base = i0[:, 0] + size * i0[:, 1] + size * size * i0[:, 2]
    fr, fg, fb = f[:, 0:1], f[:, 1:2], f[:, 2:3]
    out = np.zeros((len(rgb), 3), dtype=np.float32)
    for db, wb in ((0, 1 - fb), (size * size, fb)):
        for dg, wg in ((0, 1 - fg), (size, fg)):
            w = wb * wg
            out += w * ((1 - fr) * table[base + db + dg] + fr * table[base + db + dg + 1])
    return out


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
