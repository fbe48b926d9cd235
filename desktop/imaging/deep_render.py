"""A style on a photo at float precision: the road for 16-bit photos, and for any photo whose
colour space in or out is not sRGB.

Pixels (8 or 16 bits, in their own colour space) are shrunk to the long edge (in float), turned
into sRGB (the space every style's grade is made in), graded through the style's LUT by
trilinear interpolation (``deep_grade``, strip by strip), given the look's effects, turned into
the output's colour space and written with 8 or 16 bits. The effects (grain, vignette...) are
Pillow's 8-bit ones: their change to each pixel is measured at 8 bits and added to the float
result, so the grade's smooth gradients keep every level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageFilter

from desktop.imaging.colour_spaces import convert
from desktop.imaging.deep_grade import grade, lut_table
from desktop.imaging.effects import Look, apply_looks


def _shrink(pixels: np.ndarray, long_edge: int | None) -> np.ndarray:
    """``pixels`` (h, w, c) as float32 0..1 shrunk to ``long_edge`` (Lanczos, colours weighted
    by alpha); unchanged in size when already small enough."""
    top = 65535.0 if pixels.dtype == np.uint16 else 255.0
    h, w = pixels.shape[:2]
    if not long_edge or max(h, w) <= long_edge:
        return pixels
    scale = long_edge / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    channels = pixels.shape[2]
    alpha = pixels[..., 3].astype(np.float32) / top if channels == 4 else None
    out = np.empty((size[1], size[0], channels), dtype=np.float32)
    for c in range(channels):
        band = pixels[..., c].astype(np.float32) / top
        if alpha is not None and c < 3:
            band *= alpha
        out[..., c] = np.asarray(Image.fromarray(band, "F").resize(size, Image.Resampling.LANCZOS))
    if alpha is not None:
        a = np.clip(out[..., 3], 0.0, 1.0)
        out[..., :3] /= np.maximum(a, 1e-6)[..., None]
        out[..., 3] = a
    return np.clip(out, 0.0, 1.0)


def render_deep(
    pixels: np.ndarray,
    *,
    space_in: str,
    space_out: str,
    bits: int,
    lut: ImageFilter.Color3DLUT | None,
    looks: Sequence[Look] = (),
    seed: int = 1,
    long_edge: int | None = None,
) -> np.ndarray:
    """``pixels`` ((h, w, 3 or 4), uint8, uint16 or float 0..1, encoded in ``space_in``) styled:
    (h', w', same channels) uint8 (``bits`` 8) or uint16 (16), encoded in ``space_out``; an
    alpha channel comes back as it was (resized with the colours)."""
    src = _shrink(pixels, long_edge)
    top = {np.dtype(np.uint16): 65535.0, np.dtype(np.uint8): 255.0}.get(src.dtype, 1.0)
    h, w, channels = src.shape
    table = lut_table(lut) if lut is not None else np.empty(0, np.complex128)
    size = lut.size[0] if lut is not None else 0
    wanted = 65535.0 if bits == 16 else 255.0
    out = np.empty((h, w, channels), dtype=np.uint16 if bits == 16 else np.uint8)

    def to_srgb(strip: np.ndarray) -> np.ndarray:
        return convert(strip.astype(np.float32) / np.float32(top), space_in, "srgb")

    def to_out(strip: np.ndarray) -> np.ndarray:
        return np.round(convert(strip, "srgb", space_out) * wanted)

    if not looks:
        graded = grade(src, table, size, before=to_srgb, after=to_out, out=out[..., :3] if channels == 3 else None)
        if channels == 4:
            out[..., :3] = graded
    else:
        graded = grade(src, table, size, before=to_srgb)  # float sRGB
        eight = Image.fromarray(np.round(graded * 255).astype(np.uint8), "RGB")
        looked = np.asarray(apply_looks(eight, list(looks), seed), dtype=np.int16)
        delta = looked - np.asarray(eight, dtype=np.int16)  # what the effects did, at 8 bits
        del eight, looked
        rows = max(1, (1 << 18) // max(1, w))
        for r0 in range(0, h, rows):
            strip = graded[r0 : r0 + rows] + delta[r0 : r0 + rows] / np.float32(255)
            out[r0 : r0 + rows, :, :3] = to_out(strip.reshape(-1, 3)).reshape(-1, w, 3)
    if channels == 4:
        out[..., 3] = np.round(src[..., 3].astype(np.float32) / np.float32(top) * wanted)
    return out
