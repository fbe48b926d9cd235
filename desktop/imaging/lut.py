"""The colour grade: statistics in Lab -> a 33^3 3D LUT, and ``.cube`` files.

The grade maps the statistics of a *typical photo* (``NEUTRAL``, see below) to target
statistics (from a reference's analysis, or from words in the description):

* lightness: a monotone tone curve through the L percentiles (1, 5, 25, 50, 75, 95, 99) of the
  source onto those of the target (histogram matching, slopes kept within 0.3..4);
* colour: a and b are scaled by the ratio of the standard deviations (Reinhard colour
  transfer) and shifted by the target's mean tint *per tone band* (shadows, midtones,
  highlights), so a reference with teal shadows and warm highlights passes that on.

``strength`` (0..1) blends every part between identity and the full transfer. One LUT must suit
any photo, so the source is not the photo being graded but a fixed typical one: NEUTRAL is
hand-set from the mean statistics of the bundled samples (astronaut, chelsea, coffee, rocket;
the Hubble field is all black sky and was left out), pulled toward neutral colour (a, b
around 0..4) and toward a full, well-exposed tone range. A grade whose target equals NEUTRAL is
the identity.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import ImageFilter

from desktop.errors import UserError
from desktop.imaging import keywords
from desktop.imaging.analysis import PERCENTILES, Analysis
from desktop.imaging.colour import (
    COLOUR_NAMES,
    M_RGB_TO_XYZ,
    M_XYZ_TO_RGB,
    XN,
    ZN,
    rgb_to_lab,
    srgb_to_linear,
)

LUT_SIZE = 33
Tint = tuple[float, float]


@dataclass(frozen=True)
class GradeStats:
    """Lab statistics a grade maps from or to, plus the word-driven parts a LUT can hold.

    ``mono``: every output colour neutral (black and white). ``toning``: a toned monochrome
    (sepia, duotone): the (a, b) of shadows and of highlights, blended by lightness.
    ``posterize``: levels per channel (0 = off).
    """

    mean: tuple[float, float, float]  # L, a, b
    std: tuple[float, float, float]
    tones: tuple[float, ...]  # L at PERCENTILES
    tints: tuple[Tint, Tint, Tint]  # mean (a, b) in shadows, midtones, highlights
    mono: bool = False
    toning: tuple[Tint, Tint] | None = None
    posterize: int = 0

    @classmethod
    def from_analysis(cls, analysis: Analysis) -> GradeStats:
        return cls(
            mean=tuple(analysis.lab_mean),
            std=tuple(analysis.lab_std),
            tones=tuple(analysis.tones[p] for p in PERCENTILES),
            tints=tuple(tuple(t) for t in analysis.tints),  # type: ignore[arg-type]
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GradeStats:
        toning = d.get("toning")
        return cls(
            mean=tuple(d["mean"]),
            std=tuple(d["std"]),
            tones=tuple(d["tones"]),
            tints=tuple(tuple(t) for t in d["tints"]),  # type: ignore[arg-type]
            mono=bool(d.get("mono", False)),
            toning=tuple(tuple(t) for t in toning) if toning else None,  # type: ignore[arg-type]
            posterize=int(d.get("posterize", 0)),
        )


NEUTRAL = GradeStats(
    mean=(48.0, 2.0, 5.0),
    std=(22.0, 9.0, 13.0),
    tones=(3.0, 8.0, 29.0, 48.0, 66.0, 86.0, 94.0),
    tints=((2.0, 4.0), (2.0, 5.0), (2.0, 5.0)),
)

# The strength a new style gets (0..1), chosen with benchmarks/bench_quality.py (8 references
# x 6 unseen photos): at 80 % unseen photos move ~50 % closer to the reference's Lab mean and
# spread (Reinhard 2001: 36 %, Pitie-Kokaram MKL: 38 %, both at full strength) with a mean
# luminance SSIM of 0.86; 100 % gains only 3 points more and drops SSIM below 0.8.
DEFAULT_STRENGTH = 0.8


# -- building the LUT -----------------------------------------------------------------------


def build_lut(
    target: GradeStats,
    *,
    strength: float = DEFAULT_STRENGTH,
    source: GradeStats = NEUTRAL,
    size: int = LUT_SIZE,
) -> ImageFilter.Color3DLUT:
    """A Color3DLUT that moves ``source`` statistics toward ``target`` by ``strength`` (0..1).

    Strength 0 is the identity. At any strength above 0 a monochrome grade stays monochrome
    (its toning colour and tone curve scale with strength, its colour removal does not)."""
    s = min(1.0, max(0.0, float(strength)))
    if s == 0:
        return identity_lut(size)
    curve = _tone_table(source.tones, target.tones, s)
    toned = target.mono or target.toning is not None
    if toned:
        ka = kb = 0.0
    else:
        ka = 1 + s * (_ratio(target.std[1], source.std[1]) - 1)
        kb = 1 + s * (_ratio(target.std[2], source.std[2]) - 1)
    off_a, off_b = [], []
    for i, new_l in enumerate(curve):
        old_l = i / 10
        if toned:
            ta, tb = _toning_at(target.toning, new_l) if target.toning else (0.0, 0.0)
            off_a.append(s * ta)
            off_b.append(s * tb)
            continue
        src_a, src_b = _tint_at(source.tints, old_l)
        tgt_a, tgt_b = _tint_at(target.tints, new_l)
        fade = min(1.0, new_l / 12)  # keep black black
        off_a.append(src_a * (1 - ka) + fade * s * (tgt_a - src_a))
        off_b.append(src_b * (1 - kb) + fade * s * (tgt_b - src_b))
    table = _grid(size, curve, ka, kb, off_a, off_b, target.posterize, s)
    return ImageFilter.Color3DLUT(size, table, channels=3)


def _toning_at(toning: tuple[Tint, Tint], big_l: float) -> Tint:
    """Toned-monochrome (a, b) at lightness L: the shadow tint up to L=20, the highlight tint
    from L=80, blended between; tapering to neutral at pure black and pure white."""
    (sa, sb), (ha, hb) = toning
    t = min(1.0, max(0.0, (big_l - 20) / 60))
    taper = min(1.0, big_l / 8, (100 - big_l) / 4)
    return taper * (sa + t * (ha - sa)), taper * (sb + t * (hb - sb))


def _ratio(target_std: float, source_std: float) -> float:
    """Chroma scale: follows a narrower target fully, a wider one damped (saturated colours
    already near the gamut edge would otherwise clip)."""
    r = target_std / max(source_std, 1e-6)
    return min(2.0, r**0.7) if r > 1 else max(0.05, r)


def _tint_at(tints: tuple[Tint, Tint, Tint], big_l: float) -> Tint:
    """Tint at lightness L: shadows up to L=15, midtones at 50, highlights from 85."""
    (sa, sb), (ma, mb), (ha, hb) = tints
    if big_l <= 15:
        return sa, sb
    if big_l >= 85:
        return ha, hb
    if big_l <= 50:
        t = (big_l - 15) / 35
        return sa + t * (ma - sa), sb + t * (mb - sb)
    t = (big_l - 50) / 35
    return ma + t * (ha - ma), mb + t * (hb - mb)


def _tone_table(src: tuple[float, ...], tgt: tuple[float, ...], s: float) -> list[float]:
    """New L for L = 0.0, 0.1, ..., 100.0: percentile matching, blended by strength."""
    xs, ys = _tone_knots(src, tgt)
    curve = _pchip(xs, ys)
    return [i / 10 + s * (curve(i / 10) - i / 10) for i in range(1001)]


def _tone_knots(src: tuple[float, ...], tgt: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """Knots (source L -> target L) from matching percentiles, plus end points at 0 and 100.

    The end points extend the outer segments' slopes instead of pinning 0->0 and 100->100, so a
    reference with lifted blacks or dimmed whites (faded film) keeps that character. Slopes are
    kept within 0.3..4 so odd references (a flat graphic) cannot crush or explode the tones.
    """
    xs: list[float] = []
    ys: list[float] = []
    for x, y in sorted(zip(src, tgt, strict=True)):
        if 0.5 < x < 99.5 and (not xs or x > xs[-1] + 0.5):
            xs.append(float(x))
            ys.append(float(y))
    if not xs:
        return [0.0, 100.0], [0.0, 100.0]
    lo = _clamp_slope((ys[1] - ys[0]) / (xs[1] - xs[0])) if len(xs) > 1 else 1.0
    hi = _clamp_slope((ys[-1] - ys[-2]) / (xs[-1] - xs[-2])) if len(xs) > 1 else 1.0
    xs = [0.0, *xs, 100.0]
    ys = [
        min(ys[0], max(0.0, ys[0] - xs[1] * lo)),
        *ys,
        max(ys[-1], min(100.0, ys[-1] + (100 - xs[-2]) * hi)),
    ]
    out = [ys[0]]
    for i in range(1, len(xs)):
        dx = xs[i] - xs[i - 1]
        out.append(min(100.0, out[-1] + _clamp_slope((ys[i] - out[-1]) / dx) * dx))
    return xs, out


def _clamp_slope(m: float) -> float:
    return min(4.0, max(0.3, m))


def _pchip(xs: list[float], ys: list[float]):
    """Monotone cubic (Fritsch-Carlson) interpolation through (xs, ys)."""
    n = len(xs)
    h = [xs[i + 1] - xs[i] for i in range(n - 1)]
    d = [(ys[i + 1] - ys[i]) / h[i] for i in range(n - 1)]
    m = [0.0] * n
    m[0], m[-1] = d[0], d[-1]
    for i in range(1, n - 1):
        if d[i - 1] * d[i] <= 0:
            m[i] = 0.0
        else:
            w1, w2 = 2 * h[i] + h[i - 1], h[i] + 2 * h[i - 1]
            m[i] = (w1 + w2) / (w1 / d[i - 1] + w2 / d[i])

    def f(x: float) -> float:
        i = min(n - 2, max(0, bisect_right(xs, x) - 1))
        t = (x - xs[i]) / h[i]
        t2, t3 = t * t, t * t * t
        return (
            (2 * t3 - 3 * t2 + 1) * ys[i]
            + (t3 - 2 * t2 + t) * h[i] * m[i]
            + (-2 * t3 + 3 * t2) * ys[i + 1]
            + (t3 - t2) * h[i] * m[i + 1]
        )

    return f


def _grid(size, curve, ka, kb, off_a, off_b, levels: int = 0, s: float = 1.0) -> list[float]:
    """The flat LUT table, red varying fastest (Pillow's and .cube's order).

    Per point: sRGB -> XYZ -> Lab, new L from the tone table, scaled and shifted a/b, back to
    sRGB. Per-channel XYZ contributions are precomputed, so the inner loop is plain arithmetic.
    """
    lin = [srgb_to_linear(i / (size - 1)) for i in range(size)]
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = M_RGB_TO_XYZ
    (n00, n01, n02), (n10, n11, n12), (n20, n21, n22) = M_XYZ_TO_RGB
    xr = [m00 * v / XN for v in lin]
    yr = [m10 * v for v in lin]
    zr = [m20 * v / ZN for v in lin]
    eps, kappa = 216 / 24389, 24389 / 27
    third = 1 / 3
    inv_gamma = 1 / 2.4
    steps = levels - 1 if levels > 1 else 0
    table: list[float] = []
    append = table.append
    for bi in range(size):
        lb = lin[bi]
        for gi in range(size):
            lg = lin[gi]
            xgb = (m01 * lg + m02 * lb) / XN
            ygb = m11 * lg + m12 * lb
            zgb = (m21 * lg + m22 * lb) / ZN
            for ri in range(size):
                x, y, z = xr[ri] + xgb, yr[ri] + ygb, zr[ri] + zgb
                fx = x**third if x > eps else (kappa * x + 16) / 116
                fy = y**third if y > eps else (kappa * y + 16) / 116
                fz = z**third if z > eps else (kappa * z + 16) / 116
                big_l = 116 * fy - 16
                idx = int(big_l * 10 + 0.5)
                idx = 0 if idx < 0 else 1000 if idx > 1000 else idx
                a = 500 * (fx - fy) * ka + off_a[idx]
                b = 200 * (fy - fz) * kb + off_b[idx]
                fy = (curve[idx] + 16) / 116
                fx = fy + a / 500
                fz = fy - b / 200
                x = XN * (fx * fx * fx if fx > 6 / 29 else (116 * fx - 16) / kappa)
                y = fy * fy * fy if fy > 6 / 29 else (116 * fy - 16) / kappa
                z = ZN * (fz * fz * fz if fz > 6 / 29 else (116 * fz - 16) / kappa)
                for c in (
                    n00 * x + n01 * y + n02 * z,
                    n10 * x + n11 * y + n12 * z,
                    n20 * x + n21 * y + n22 * z,
                ):
                    if c <= 0.0031308:
                        c = 0.0 if c <= 0 else 12.92 * c
                    else:
                        c = 1.0 if c >= 1 else 1.055 * c**inv_gamma - 0.055
                    if steps:  # posterize: per-channel steps, blended by strength
                        c += s * (round(c * steps) / steps - c)
                    append(c)
    return table


def identity_lut(size: int = LUT_SIZE) -> ImageFilter.Color3DLUT:
    return ImageFilter.Color3DLUT.generate(size, lambda r, g, b: (r, g, b))


# -- grades from words ------------------------------------------------------------------------

_WARM = (
    "warm",
    "warmer",
    "golden",
    "sunset",
    "sunny",
    "summer",
    "summery",
    "autumn",
    "autumnal",
    "cozy",
    "cosy",
    "tungsten",
    "honey",
    "candlelight",
    "golden hour",
)
_COOL = (
    "cool",
    "cooler",
    "cold",
    "icy",
    "ice",
    "winter",
    "wintry",
    "frosty",
    "blue hour",
    "moonlight",
    "moonlit",
    "nordic",
    "arctic",
    "chilly",
    "clinical",
)
_BRIGHT = (
    "bright",
    "brighter",
    "airy",
    "high key",
    "sunlit",
    "luminous",
    "overexposed",
    "pastel",
    "pastels",
)
_DARK = (
    "dark",
    "darker",
    "moody",
    "noir",
    "low key",
    "night",
    "shadowy",
    "gloomy",
    "underexposed",
    "brooding",
)
_MUTED = (
    "muted",
    "faded",
    "pastel",
    "pastels",
    "desaturated",
    "washed out",
    "dusty",
    "matte",
    "subdued",
    "understated",
    "vintage",
)
_VIVID = (
    "vivid",
    "saturated",
    "vibrant",
    "punchy",
    "colorful",
    "colourful",
    "rich",
    "technicolor",
    "technicolour",
    "neon",
    "psychedelic",
    "bold",
)
_FADED = ("faded", "matte", "washed out", "vintage", "lifted blacks")
_HIGH_CONTRAST = ("high contrast", "contrasty", "punchy", "dramatic", "crisp", "harsh", "noir")
_LOW_CONTRAST = ("low contrast", "soft contrast", "flat", "gentle", "soft light", "hazy", "dreamy")
# A photo tinted "blue" reads as sky blue, not the violet-leaning hue of a blue swatch.
_TINT_RGB = {"blue": (60, 130, 230), "purple": (130, 60, 170)}


# Toned monochromes, as (a, b) in shadows and highlights. Sepia keeps the hue of the classic
# sepia swatch (#704214, Lab hue ~67 degrees): richer in the shadows, paler in the highlights.
SEPIA_HUE = 67.0
SEPIA_TONING: tuple[Tint, Tint] = (
    (20 * math.cos(math.radians(SEPIA_HUE)), 20 * math.sin(math.radians(SEPIA_HUE))),
    (11 * math.cos(math.radians(SEPIA_HUE)), 11 * math.sin(math.radians(SEPIA_HUE))),
)
DEFAULT_DUOTONE_NAMES = ("navy", "salmon")  # deep navy shadows, warm peach highlights


@dataclass(frozen=True)
class Words:
    """What a description asks of the colour grade, axis by axis (0 = the words are silent)."""

    temperature: float = 0.0  # + warm, - cool
    light: float = 0.0  # + bright, - dark
    saturation: float = 0.0  # + vivid, - muted
    contrast: float = 0.0  # + high, - low
    fade: float = 0.0
    colours: tuple[str, ...] = ()  # chromatic colour names, in order
    mono: bool = False
    sepia: bool = False
    duotone: bool = False
    posterize: int = 0  # levels

    @property
    def toned(self) -> bool:
        return self.mono or self.sepia or self.duotone


def _look_words(name: str) -> tuple[str, ...]:
    from desktop.imaging.looks import KEYWORDS  # looks never imports lut at module level

    return KEYWORDS[name]


def read_words(description: str) -> Words:
    """The grade-relevant words of ``description`` (negated ones are left out)."""
    tokens = keywords.normalise(description)

    def amount(words: tuple[str, ...]) -> float:
        return max((h.amount for h in keywords.find(tokens, words)), default=0.0)

    poster = amount(_look_words("posterize"))
    return Words(
        temperature=amount(_WARM) - amount(_COOL),
        light=amount(_BRIGHT) - amount(_DARK),
        saturation=amount(_VIVID) - amount(_MUTED),
        contrast=amount(_HIGH_CONTRAST) - amount(_LOW_CONTRAST),
        fade=amount(_FADED),
        colours=tuple(keywords.colour_words(tokens)),
        mono=bool(amount(_look_words("mono"))),
        sepia=bool(amount(_look_words("sepia"))),
        duotone=bool(amount(_look_words("duotone"))),
        posterize=0 if not poster else 4 if poster > 1 else 7 if poster < 1 else 5,
    )


def grade_from_description(description: str, base: GradeStats = NEUTRAL) -> GradeStats:
    """Target statistics for a description: ``base`` (a reference's statistics, or NEUTRAL)
    moved by the description's words. No matching words: ``base`` unchanged.

    Words win where they are clear: on every axis a word speaks to (temperature and tint,
    lightness, contrast, saturation), the reference's value is replaced by the typical photo's
    before the word moves it, so a warm reference cannot cancel "cool" and a dark one cannot
    cancel "bright". The reference gives what the words leave open."""
    w = read_words(description)
    if w == Words():
        return base
    mean, std = list(base.mean), list(base.std)
    tones = list(base.tones)
    tints = [list(t) for t in base.tints]
    neutral_tones = list(NEUTRAL.tones)
    mid = len(tones) // 2

    # Reset the axes the words speak to. A reference's colour cast is part of its saturation
    # (a "muted" style must not turn orange), and one tone curve holds lightness and contrast.
    if w.temperature or w.colours or w.toned or w.saturation < 0:
        tints = [list(t) for t in NEUTRAL.tints]
    if w.saturation or w.toned or w.colours:
        std[1], std[2] = NEUTRAL.std[1], NEUTRAL.std[2]
    elif w.temperature:  # a grey reference must not wash a warm word away
        std[1], std[2] = max(std[1], NEUTRAL.std[1]), max(std[2], NEUTRAL.std[2])
    if w.light or w.contrast or w.fade:
        tones = neutral_tones

    # Move them.
    if w.light > 0:
        tones = [t + (100 - t) * 0.25 * w.light for t in tones]
    elif w.light < 0:
        tones = [t * (1 + 0.22 * w.light) for t in tones]
    if w.saturation:
        factor = 1.7**w.saturation if w.saturation > 0 else 0.55 ** (-w.saturation)
        std[1] *= factor
        std[2] *= factor
        if w.temperature < 0 < w.saturation:  # "cold neon": vivid, but no golden yellows
            std[2] = min(std[2], NEUTRAL.std[2])
    if w.contrast:
        k = 1 + 0.45 * w.contrast if w.contrast > 0 else 1 / (1 - 0.45 * w.contrast)
        m = tones[mid]  # around the median, so "dark, high contrast" stays dark
        tones = [min(100.0, max(0.0, m + (t - m) * k)) for t in tones]
    if w.fade:
        tones = [t + (16 - 0.2 * t) * w.fade for t in tones]  # lift blacks, dim whites a little
    colours = [_TINT_RGB.get(name, COLOUR_NAMES[name]) for name in w.colours]
    if colours and not w.toned:
        for band, rgb in ((0, colours[0]), (2, colours[-1])):
            vivid = 1.3**w.saturation if w.saturation > 0 else 1.0  # "neon teal": more teal
            ca, cb = _tint_of(rgb, 22.0 * vivid, 0.6 * vivid)
            tints[band][0] += ca
            tints[band][1] += cb
        if colours[0] == colours[-1]:  # one colour: a tint over every tone
            tints[1] = [(tints[0][0] + tints[2][0]) / 2, (tints[0][1] + tints[2][1]) / 2]
    if w.temperature and not w.toned:
        # Named colours keep their hue in shadows and highlights; temperature then works on
        # the midtones only. Without colour names it warms or cools every band.
        bands, k = ((1,), 0.45) if colours else ((0, 1, 2), 1.0)
        for i in bands:
            tints[i][0] += 3 * k * w.temperature
            tints[i][1] += 11 * k * w.temperature
    toning = None
    if w.sepia and not w.duotone:
        toning = SEPIA_TONING
    elif w.duotone:
        names = list(w.colours) or list(DEFAULT_DUOTONE_NAMES)
        ends = sorted(
            {names[0]: None, names[-1]: None}, key=lambda n: rgb_to_lab(COLOUR_NAMES[n])[0]
        )
        dark, light = COLOUR_NAMES[ends[0]], COLOUR_NAMES[ends[-1]]
        toning = (_tint_of(dark, 24.0, 0.8), _tint_of(light, 18.0, 0.6))
    mean[0] += sum(tones) / len(tones) - sum(base.tones) / len(base.tones)
    mean[1] += sum(t[0] for t in tints) / 3 - sum(t[0] for t in base.tints) / 3
    mean[2] += sum(t[1] for t in tints) / 3 - sum(t[1] for t in base.tints) / 3
    tones = sorted(min(100.0, max(0.0, t)) for t in tones)
    return replace(
        base,
        mean=tuple(mean),
        std=tuple(std),
        tones=tuple(tones),
        tints=tuple(tuple(t) for t in tints),  # type: ignore[arg-type]
        mono=w.mono and toning is None,
        toning=toning,
        posterize=w.posterize,
    )


def _tint_of(rgb: tuple[int, int, int], most: float, share: float) -> Tint:
    """An (a, b) shift in the hue of ``rgb``: ``share`` of its chroma, at most ``most``."""
    _, ca, cb = rgb_to_lab(rgb)
    c = math.hypot(ca, cb) or 1.0
    k = min(most, share * c) / c
    return ca * k, cb * k


def lut_from_description(
    description: str, *, strength: float = DEFAULT_STRENGTH
) -> ImageFilter.Color3DLUT:
    return build_lut(grade_from_description(description), strength=strength)


# -- what the words did -------------------------------------------------------------------------

_GRADE_GROUPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (_WARM, "warmer colours"),
    (_COOL, "cooler colours"),
    (_BRIGHT, "brighter"),
    (_DARK, "darker"),
    (_VIVID, "more saturated"),
    (_MUTED, "less saturated"),
    (_HIGH_CONTRAST, "more contrast"),
    (_LOW_CONTRAST, "less contrast"),
    (_FADED, "lifted blacks (faded)"),
)
_TONED_LABELS = {
    "mono": "black and white",
    "sepia": "sepia toning",
    "duotone": "duotone",
    "posterize": "posterized tones",
}
EFFECT_LABELS = {
    "glow": "soft glow",
    "sketch": "ink lines",
    "halftone": "halftone dots",
    "pixel": "pixel art",
    "light_leak": "light leak",
    "vignette": "vignette",
    "grain": "film grain",
}
_FILLER = frozenset(
    """a an the and or with of in on for to at by from into as like my our your its is it
    this that some look looks looking style styled feel feeling vibe vibes tone tones toned
    colour colours color colors photo photos photograph image images picture pictures shot
    shots effect effects very really more less bit kind sort type""".split()
)


def explain(description: str, *, has_reference: bool = False) -> dict[str, Any]:
    """What each understood word did, the words that were not understood, what goes into the
    .cube and what is an effect (rendered by Style Studio only). JSON-able, for the detail pane.
    """
    from desktop.imaging.looks import KEYWORDS, choose_looks

    tokens = keywords.normalise(description)
    w = read_words(description)
    effects_by_phrase: dict[str, list[str]] = {}
    covered: set[int] = set()

    def note(hits: list[keywords.Hit], label: str) -> None:
        for h in hits:
            effects_by_phrase.setdefault(h.phrase, [])
            if label not in effects_by_phrase[h.phrase]:
                effects_by_phrase[h.phrase].append(label)
            covered.update(range(h.position, h.position + len(h.phrase.split())))

    for phrases, label in _GRADE_GROUPS:
        note(keywords.find(tokens, phrases), label)
    for name, label in _TONED_LABELS.items():
        note(keywords.find(tokens, KEYWORDS[name]), label)
    if not w.toned:
        if len(w.colours) > 1:
            roles = {w.colours[0]: "shadows", w.colours[-1]: "highlights"}
        else:
            roles = {c: "tint" for c in w.colours}
    else:
        roles = {c: "duotone ink" if w.duotone else "ignored (monochrome)" for c in w.colours}
    names = {name: name for name in COLOUR_NAMES} | keywords.COLOUR_SYNONYMS
    for h in keywords.find(tokens, names):
        name = names[h.phrase]
        if name in roles:
            role = roles[name]
            label = f"{name} {role}" if role in ("shadows", "highlights", "tint") else role
            note([h], label)
    for name, label in EFFECT_LABELS.items():
        note(keywords.find(tokens, KEYWORDS[name]), f"{label} (effect)")
    for h in keywords.find(tokens, _ALL_PHRASES(), negated=True):
        effects_by_phrase.setdefault(f"not {h.phrase}", ["left out"])
        covered.update(range(max(0, h.position - 1), h.position + len(h.phrase.split())))
    unknown: list[str] = []
    for i, tok in enumerate(tokens):
        if i in covered or not tok.isalpha() or tok in _FILLER or keywords.is_modifier(tok):
            continue
        if tok not in unknown:
            unknown.append(tok)
    in_cube = ["tone curve and colour from the reference"] if has_reference else []
    for label in (
        *(label for _, label in _GRADE_GROUPS),
        *_TONED_LABELS.values(),
    ):
        if any(label in v for v in effects_by_phrase.values()) and label not in in_cube:
            in_cube.append(label)
    for labels in effects_by_phrase.values():
        for label in labels:
            if label.endswith((" shadows", " highlights", " tint")) and label not in in_cube:
                in_cube.append(label)
            if label == "duotone ink" and "duotone" not in in_cube:
                in_cube.append("duotone")
    effects = [EFFECT_LABELS[lk.name] for lk in choose_looks(description)]
    return {
        "words": [
            {"word": phrase, "effect": ", ".join(labels)}
            for phrase, labels in effects_by_phrase.items()
        ],
        "unknown_words": unknown,
        "in_cube": in_cube,
        "effects": effects,
    }


def _ALL_PHRASES() -> tuple[str, ...]:  # noqa: N802
    from desktop.imaging.looks import KEYWORDS

    phrases: list[str] = []
    for group, _ in _GRADE_GROUPS:
        phrases += group
    for words in KEYWORDS.values():
        phrases += words
    return tuple(dict.fromkeys(phrases))


# -- .cube files ---------------------------------------------------------------------------


class CubeError(UserError):
    """A .cube file that cannot be read; ``str(err)`` says why and what to do."""


def provenance(
    *,
    description: str,
    generator: str,
    strength: float,
    reference: bytes | None = None,
    in_cube: Iterable[str] = (),
    effects: Iterable[str] = (),
    when: datetime | None = None,
) -> list[str]:
    """The ``#`` comment lines that say where a .cube came from and what it holds.

    ``strength`` is 0..1; ``reference`` is the reference file's bytes (only its SHA-256 is
    written)."""
    from desktop import __version__

    when = when or datetime.now(UTC)
    effects = list(effects)
    lines = [
        f"Description: {description}",
        f"Generator: {generator}",
        f"Strength: {round(100 * min(1.0, max(0.0, strength)))}%",
        f"App: Style Studio {__version__}",
        f"Date: {when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Reference SHA-256: "
        + (hashlib.sha256(reference).hexdigest() if reference is not None else "none"),
        "In the .cube: " + (", ".join(in_cube) or "nothing (identity)"),
    ]
    if effects:
        lines.append(
            "Effects (Style Studio only, not in this file): " + ", ".join(effects)
        )
    return lines


def write_cube(
    path: str | os.PathLike,
    lut: ImageFilter.Color3DLUT,
    title: str,
    *,
    notes: Iterable[str] = (),
) -> None:
    """Write ``lut`` as a standard .cube file (Resolve/Adobe format, red varying fastest).

    ``notes`` become ``#`` comment lines between the header and the table (one line each,
    ASCII), where every .cube reader skips them."""
    size = lut.size[0]
    if lut.size != (size, size, size) or lut.channels != 3:
        raise ValueError("only cubic 3-channel LUTs can be written as .cube")
    clean = " ".join(_ascii(title).replace('"', "'").split()) or "Style Studio grade"
    lines = [
        "# Created by Style Studio",
        f'TITLE "{clean}"',
        f"LUT_3D_SIZE {size}",
        "DOMAIN_MIN 0.0 0.0 0.0",
        "DOMAIN_MAX 1.0 1.0 1.0",
        *("# " + " ".join(_ascii(note).split())[:500] for note in notes),
    ]
    t = lut.table
    lines += [f"{t[i]:.6f} {t[i + 1]:.6f} {t[i + 2]:.6f}" for i in range(0, len(t), 3)]
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cube-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ascii(text: str) -> str:
    """.cube files are ASCII: accents are dropped (e "é" -> "e"), other symbols become '?'."""
    import unicodedata

    text = str(text).replace("\u2026", "...")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "replace").decode("ascii")


def read_cube(path: str | os.PathLike) -> ImageFilter.Color3DLUT:
    """Parse a 3D .cube file back into a Color3DLUT (domain must be 0..1)."""
    name = Path(path).name

    def bad(problem: str) -> CubeError:
        return CubeError(
            f'Can\'t read the LUT "{name}": {problem}; export it again as a 3D .cube file.'
        )

    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CubeError(
            f'Can\'t read the LUT "{name}" ({exc.strerror or exc}); check that the file exists and is readable.'
        ) from exc
    size = None
    values: list[float] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head = line.split(None, 1)[0].upper()
        if head[0].isalpha():
            parts = line.split()
            if head == "LUT_3D_SIZE":
                try:
                    size = int(parts[1])
                except (IndexError, ValueError):
                    raise bad("its LUT_3D_SIZE line is malformed") from None
            elif head == "LUT_1D_SIZE":
                raise bad("it is a 1D LUT, and only 3D LUTs are supported")
            elif head in ("DOMAIN_MIN", "DOMAIN_MAX"):
                want = 0.0 if head == "DOMAIN_MIN" else 1.0
                try:
                    if any(abs(float(v) - want) > 1e-6 for v in parts[1:4]) or len(parts) < 4:
                        raise bad("its input domain is not 0..1")
                except ValueError:
                    raise bad(f"its {head} line is malformed") from None
            continue  # TITLE, LUT_3D_INPUT_RANGE and other keywords are ignored
        try:
            r, g, b = (float(v) for v in line.split())
        except ValueError:
            raise bad(f"the line {line[:40]!r} is not three numbers") from None
        values += (r, g, b)
    if size is None:
        raise bad("it has no LUT_3D_SIZE line")
    if not 2 <= size <= 65:
        raise bad(f"its size {size} is outside 2..65")
    if len(values) != 3 * size**3:
        raise bad(f"it has {len(values) // 3} colour rows where {size**3} were expected")
    return ImageFilter.Color3DLUT(size, values, channels=3)
