"""Colour moves by hue, made after the grade: what a look does to some hues only (a film
stock's muted greens or warm reds, infrared's pink foliage and dark skies).

A move has a centre hue (Lab degrees) and a half-width: full at the centre, fading to nothing
at the width (a raised cosine), and nothing on near-neutral colours (it ramps in over chroma
0..12), so greys, skin in a "greens" move and black and white stay as the grade left them.
Moves are named (``MOVES``) and a grade stores only the names
(``desktop.imaging.grade.GradeStats.hue_moves``); a name this version does not know moves
nothing. ``build_lut`` makes the moves on every point of the LUT, blended by strength.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PIL import ImageFilter

from desktop.imaging.colour import M_XYZ_TO_RGB, XN, ZN


@dataclass(frozen=True)
class HueMove:
    hue: float  # centre, Lab degrees
    width: float  # half-width, degrees: no move beyond it
    rotate: float = 0.0  # degrees added to the hue at the centre
    chroma: float = 1.0  # chroma scale at the centre
    light: float = 0.0  # L added at the centre


GREENS, REDS, BLUES = 130.0, 35.0, 270.0

MOVES: dict[str, tuple[HueMove, ...]] = {
    # colour infrared film: foliage (which reflects infrared) turns pink-red and light, skies
    # go deep and dark
    "infrared": (
        HueMove(GREENS, 50.0, rotate=-135.0, chroma=1.2, light=14.0),
        HueMove(BLUES, 50.0, chroma=1.15, light=-16.0),
    ),
    # a portrait film stock: greens muted (skin is the subject)
    "portrait film": (HueMove(GREENS, 55.0, chroma=0.6),),
    # a vintage slide film: reds warm (toward orange) and rich
    "vintage slide": (HueMove(REDS, 35.0, rotate=8.0, chroma=1.25),),
    # a vivid landscape film: greens and blues very saturated, blues deeper
    "landscape film": (
        HueMove(GREENS, 55.0, chroma=1.35),
        HueMove(BLUES, 45.0, chroma=1.25, light=-4.0),
    ),
}


def move_hues(
    lut: ImageFilter.Color3DLUT, names: Iterable[str], strength: float
) -> ImageFilter.Color3DLUT:
    """``lut`` with the named moves made on its output colours, at ``strength`` (0..1).

    A colour a move pushes out of gamut gets as much of the move as fits (the hue is kept, no
    per-channel clipping)."""
    moves = [m for name in names for m in MOVES.get(name, ())]
    s = min(1.0, max(0.0, strength))
    if not moves or s == 0:
        return lut
    import numpy as np  # a dependency, imported lazily (as desktop.imaging.lut_fit does)

    from desktop.imaging.lab import srgb_to_lab

    table = np.asarray(lut.table, dtype=np.float64).reshape(-1, 3)
    lab = srgb_to_lab(table)
    c = np.hypot(lab[:, 1], lab[:, 2])
    h = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    ramp = np.minimum(1.0, c / 12)
    turn, scale, lift = np.zeros_like(c), np.ones_like(c), np.zeros_like(c)
    for m in moves:
        d = np.abs(h - m.hue) % 360
        d = np.minimum(d, 360 - d)
        w = np.where(d < m.width, ramp * 0.5 * (1 + np.cos(np.pi * d / m.width)), 0.0)
        turn += w * m.rotate
        scale *= 1 + w * (m.chroma - 1)
        lift += w * m.light
    rows = np.flatnonzero((turn != 0) | (scale != 1) | (lift != 0))  # the rest stay as they are
    lab, c, h = lab[rows], c[rows], h[rows]
    new_h = np.radians(h + s * turn[rows])
    new_c = c * (1 + s * (scale[rows] - 1))
    target = np.stack(
        [
            np.clip(lab[:, 0] + s * lift[rows], 0.0, 100.0),
            new_c * np.cos(new_h),
            new_c * np.sin(new_h),
        ],
        axis=1,
    )
    share = np.ones(len(rows))  # how much of the move each colour gets
    out = np.flatnonzero(~_in_gamut(_lab_to_linear(target, np)))
    lo, hi = np.zeros(len(out)), np.ones(len(out))
    for _ in range(8):  # bisection: as much of the move as fits
        t = (lo + hi) / 2
        ok = _in_gamut(_lab_to_linear(lab[out] + t[:, None] * (target[out] - lab[out]), np))
        lo, hi = np.where(ok, t, lo), np.where(ok, hi, t)
    share[out] = lo
    linear = np.clip(_lab_to_linear(lab + share[:, None] * (target - lab), np), 0.0, 1.0)
    table[rows] = np.where(
        linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055
    )
    return ImageFilter.Color3DLUT(lut.size, table.ravel().tolist(), channels=3)


def _lab_to_linear(lab, np):
    """Lab (N, 3) to linear-light sRGB (N, 3), D65; may fall outside 0..1."""
    fy = (lab[:, 0] + 16) / 116
    f = np.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], axis=1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * (XN, 1.0, ZN)
    return xyz @ np.asarray(M_XYZ_TO_RGB).T


def _in_gamut(linear):
    return (linear.min(axis=1) >= -1e-4) & (linear.max(axis=1) <= 1.0001)
