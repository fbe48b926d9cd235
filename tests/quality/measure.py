"""Measures a colourist reads off a graded photo, in plain Python (Lab, D65)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from desktop.imaging.colour import rgb_to_lab


@dataclass(frozen=True)
class Measures:
    mean_l: float
    std_l: float
    p1_l: float  # darkest 1 %: lifted blacks show here
    mean_a: float
    mean_b: float
    chroma: float  # mean Lab chroma: saturation
    spread: int  # largest max(r, g, b) - min(r, g, b) over all pixels (0 = every pixel neutral)

    @property
    def warmth(self) -> float:
        """Temperature is the blue-yellow axis (b); green-magenta (a) is tint."""
        return self.mean_b


def measure(img: Image.Image) -> Measures:
    colours = img.convert("RGB").getcolors(img.width * img.height) or []
    n = sum(c for c, _ in colours)
    labs = [(c, rgb_to_lab(rgb)) for c, rgb in colours]
    mean_l = sum(c * lab[0] for c, lab in labs) / n
    std_l = math.sqrt(max(0.0, sum(c * lab[0] ** 2 for c, lab in labs) / n - mean_l**2))
    running, p1 = 0, 0.0
    for c, lab in sorted(labs, key=lambda x: x[1][0]):
        running += c
        if running >= 0.01 * n:
            p1 = lab[0]
            break
    return Measures(
        mean_l=mean_l,
        std_l=std_l,
        p1_l=p1,
        mean_a=sum(c * lab[1] for c, lab in labs) / n,
        mean_b=sum(c * lab[2] for c, lab in labs) / n,
        chroma=sum(c * math.hypot(lab[1], lab[2]) for c, lab in labs) / n,
        spread=max(max(rgb) - min(rgb) for _, rgb in colours),
    )


def rgb_pixels(img: Image.Image) -> list[tuple[int, int, int]]:
    """Every pixel as (r, g, b), row by row (``Image.getdata`` is deprecated in Pillow 12)."""
    raw = img.convert("RGB").tobytes()
    return list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


def band_shift_hue(before: Image.Image, after: Image.Image, lo: float, hi: float) -> float | None:
    """Hue (degrees, Lab) of the mean (a, b) change of the near-neutral pixels (chroma < 12)
    whose lightness *after* is within lo..hi: the colour a split toning gives the greys in the
    result's shadows or highlights. None when the change is too small to have a hue."""
    da = db = 0.0
    n = 0
    for p, q in zip(rgb_pixels(before), rgb_pixels(after), strict=True):
        lab = rgb_to_lab(p)
        out = rgb_to_lab(q)
        if lo <= out[0] <= hi and math.hypot(lab[1], lab[2]) < 12:
            da += out[1] - lab[1]
            db += out[2] - lab[2]
            n += 1
    if not n or math.hypot(da / n, db / n) < 2:
        return None
    return math.degrees(math.atan2(db / n, da / n)) % 360


def band_hue(img: Image.Image, lo: float, hi: float) -> float | None:
    """Hue of the mean (a, b) of the pixels whose lightness is within lo..hi."""
    sa = sb = 0.0
    n = 0
    for p in rgb_pixels(img):
        lab = rgb_to_lab(p)
        if lo <= lab[0] <= hi:
            sa += lab[1]
            sb += lab[2]
            n += 1
    if not n or math.hypot(sa / n, sb / n) < 2:
        return None
    return math.degrees(math.atan2(sb / n, sa / n)) % 360


def hue_of(rgb: tuple[int, int, int]) -> float:
    _, a, b = rgb_to_lab(rgb)
    return math.degrees(math.atan2(b, a)) % 360


def hue_gap(h1: float, h2: float) -> float:
    d = abs(h1 - h2) % 360
    return min(d, 360 - d)
