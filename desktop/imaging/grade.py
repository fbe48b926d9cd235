"""The colour grade: statistics in Lab -> a 33^3 3D LUT.

The grade maps the statistics of a *typical photo* (``NEUTRAL``, see below) to target
statistics (from a reference's analysis, or from words in the description):

* lightness: a monotone tone curve through the L percentiles (1, 5, 25, 50, 75, 95, 99) of the
  source onto those of the target (histogram matching, slopes kept within 0.3..4). From a
  reference, every tone stays within a ratio of where it was (``TONE_RATIO``), the most a
  photo's structure survives (luminance SSIM >= 0.8); words are not limited;
* colour: a and b are scaled by the ratio of the standard deviations (Reinhard colour
  transfer) and shifted by the target's mean tint: from a reference, the mean (a, b) of the
  reference's pixels at the same *rank* of lightness (a photo's darkest fifth gets the
  reference's darkest fifth's colour), from words per tone band (shadows, midtones,
  highlights), so teal shadows and warm highlights pass on. From a reference the colour
  spread is also evened out (vibrance: dull colours lifted, vivid ones held back), so photos
  of any saturation land near the reference's;
* out of gamut: a colour the grade pushes outside sRGB gets as much of the grade as fits,
  along the line from its old colour (hue kept; no per-channel clipping), eased in softly
  (``GAMUT_KNEE``) so the table bends over a few steps and a 64-point HaldCLUT can follow it.
* moves by hue (``GradeStats.hue_moves``, ``desktop.imaging.hue_moves``): a look's muted
  greens or infrared's pink foliage, made on the grade's output colours.

A style made from a reference today reads the *look* instead (``imaging.look_reading``):
the tone curve stays the identity, ``tints`` are casts on greys (``casts``), the colour spread
is a saturation scale, and ``levels`` (crushed or lifted blacks, rolled-off whites) go on
last, per sRGB channel, or first when words give the colour (``levels_first``: a word's hue,
tint or saturation is then what the result shows). Grades stored before keep the statistics
route above.

``strength`` (0..1) blends every part between identity and the full transfer. One LUT must suit
any photo, so the source is not the photo being graded but a fixed typical one: NEUTRAL is
hand-set from the mean statistics of the bundled samples (astronaut, chelsea, coffee, rocket;
the Hubble field is all black sky and was left out), pulled toward neutral colour (a, b
around 0..4) and toward a full, well-exposed tone range. A grade whose target equals NEUTRAL is
the identity.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import asdict, dataclass
from typing import Any

from PIL import ImageFilter

from desktop.imaging.analysis import PERCENTILES, Analysis
from desktop.imaging.colour import (
    M_RGB_TO_XYZ,
    M_XYZ_TO_RGB,
    XN,
    ZN,
    srgb_to_linear,
)
from desktop.imaging.hue_moves import move_hues

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
    # From a reference photo (words that speak to an axis clear its flag, see
    # grade_from_description): the (a, b) of each fifth of its pixels by lightness, darkest
    # first; the tone curve kept within what the structure of a photo survives; the colour
    # spread evened out across photos (vibrance).
    tint_ranks: tuple[Tint, ...] | None = None
    limit_tones: bool = False
    even_chroma: bool = False
    # colour moves by hue made after the grade (names of ``desktop.imaging.hue_moves.MOVES``:
    # a look's muted greens, infrared's pink foliage)
    hue_moves: tuple[str, ...] = ()
    # A look read from a reference (``imaging.look_reading``): ``tints`` are casts on neutral
    # greys (the colour of a photo is scaled around grey, not around a typical photo's tint),
    # and ``levels`` = (input black, output black, output white), 0..1 per sRGB channel, put
    # on after the rest of the grade: crushed blacks, lifted blacks (matte), rolled-off whites;
    # before it with ``levels_first`` (the colour comes from words, not from the reference).
    casts: bool = False
    levels: tuple[float, float, float] | None = None
    levels_first: bool = False
    # A tinted black (``imaging.look_reading``): per sRGB channel, how far its output black
    # lies above ``levels``' (cross-processing's blue blacks, a split toning's teal shadows);
    # only with ``levels`` put on last (a word's colour drops it, as a word on tone drops levels).
    black_tint: tuple[float, float, float] | None = None

    @classmethod
    def from_analysis(cls, analysis: Analysis) -> GradeStats:
        ranks = analysis.tint_ranks
        return cls(
            mean=tuple(analysis.lab_mean),
            std=tuple(analysis.lab_std),
            tones=tuple(analysis.tones[p] for p in PERCENTILES),
            tints=tuple(tuple(t) for t in analysis.tints),  # type: ignore[arg-type]
            tint_ranks=tuple(tuple(t) for t in ranks) if ranks else None,  # type: ignore[arg-type]
            limit_tones=True,
            even_chroma=True,
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
            tint_ranks=tuple(tuple(t) for t in d["tint_ranks"]) if d.get("tint_ranks") else None,  # type: ignore[arg-type]
            # Grades saved before these existed were built without them: keep their look.
            limit_tones=bool(d.get("limit_tones", False)),
            even_chroma=bool(d.get("even_chroma", False)),
            hue_moves=tuple(str(name) for name in d.get("hue_moves") or ()),
            casts=bool(d.get("casts", False)),
            levels_first=bool(d.get("levels_first", False)),
            levels=tuple(float(v) for v in d["levels"]) if d.get("levels") else None,  # type: ignore[arg-type]
            black_tint=tuple(float(v) for v in d["black_tint"]) if d.get("black_tint") else None,  # type: ignore[arg-type]
        )


NEUTRAL = GradeStats(
    mean=(48.0, 2.0, 5.0),
    std=(22.0, 9.0, 13.0),
    tones=(3.0, 8.0, 29.0, 48.0, 66.0, 86.0, 94.0),
    tints=((2.0, 4.0), (2.0, 5.0), (2.0, 5.0)),
)

# The strength a new style gets (0..1), chosen with benchmarks/bench_quality.py (8 references
# x 6 unseen photos, and --targets samples for the bundled photos): at 90 % unseen photos move
# ~58 % closer to the reference's Lab mean and spread (Reinhard 2001: 36 %, Pitie-Kokaram
# MKL: 38 %) and every pair of both sets keeps a luminance SSIM >= 0.8; 100 % gains under one
# point and lets a real photo drop below 0.8 SSIM; 80 % gives up two points.
DEFAULT_STRENGTH = 0.9


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
    if target.limit_tones:
        curve = [_limit_tone(i / 10, y) for i, y in enumerate(curve)]
    toned = target.mono or target.toning is not None
    damp = not target.even_chroma
    if toned:
        ka = kb = 0.0
    else:
        ka = 1 + s * (_ratio(target.std[1], source.std[1], damp) - 1)
        kb = 1 + s * (_ratio(target.std[2], source.std[2], damp) - 1)
    src_a, src_b, base_a, base_b = [], [], [], []
    for i, new_l in enumerate(curve):
        old_l = i / 10
        sa, sb = (0.0, 0.0) if target.casts else tint_at(source.tints, old_l)
        src_a.append(sa)
        src_b.append(sb)
        if toned:
            ta, tb = _toning_at(target.toning, new_l) if target.toning else (0.0, 0.0)
            base_a.append(s * ta)
            base_b.append(s * tb)
            continue
        if target.tint_ranks:  # the reference's colour at the same rank of lightness
            ta, tb = _rank_tint_at(target.tint_ranks, _rank_of(source.tones, old_l))
        else:
            ta, tb = tint_at(target.tints, new_l)
        fade = min(1.0, new_l / 12)  # keep black black
        base_a.append(sa + fade * s * (ta - sa))
        base_b.append(sb + fade * s * (tb - sb))
    even = (
        (s, 1 / max(source.std[1], 1e-6), 1 / max(source.std[2], 1e-6))
        if target.even_chroma and not toned
        else None
    )
    levels = None
    if target.levels:
        crush, black, white = target.levels
        levels = (s * crush, s * black, 1 - s * (1 - white))
        if target.black_tint and not target.levels_first:
            levels = tuple((s * crush, s * (black + t), levels[2]) for t in target.black_tint)
    table = _grid(
        size, curve, ka, kb, (src_a, src_b, base_a, base_b), target.posterize, s, even,
        (levels, target.levels_first), 0.0 if toned else GAMUT_KNEE,
    )
    lut = ImageFilter.Color3DLUT(size, table, channels=3)
    if target.hue_moves and not toned:
        lut = move_hues(lut, target.hue_moves, s)
    return lut


# A tone curve from a reference keeps every tone within this ratio of where it was (on L + 5,
# so near-black is not held exactly): darkening or brightening further costs a photo its
# structure (luminance SSIM below 0.8 in benchmarks/bench_quality.py) before it brings it
# meaningfully closer to the reference. Words ("dark", "faded") are not limited.
TONE_RATIO = 0.63
TONE_RATIO_UP = 0.68
TONE_FOOT = 2.0


def _limit_tone(old_l: float, new_l: float) -> float:
    x = old_l + TONE_FOOT
    return min(x / TONE_RATIO_UP - TONE_FOOT, max(x * TONE_RATIO - TONE_FOOT, new_l))


def _rank_of(tones: tuple[float, ...], big_l: float) -> float:
    """Rank (0..1) of lightness L among the pixels of a photo with these L percentiles."""
    xs, ys = [0.0, *tones, 100.0], [0.0, *PERCENTILES, 100.0]
    for i in range(1, len(xs)):
        if big_l <= xs[i]:
            span = xs[i] - xs[i - 1]
            t = (big_l - xs[i - 1]) / span if span > 1e-9 else 1.0
            return (ys[i - 1] + t * (ys[i] - ys[i - 1])) / 100
    return 1.0


def _rank_tint_at(ranks: tuple[Tint, ...], rank: float) -> Tint:
    """(a, b) at a rank of lightness: linear between the centres of the rank bins."""
    n = len(ranks)
    pos = min(n - 1.0, max(0.0, rank * n - 0.5))
    i = min(n - 2, int(pos)) if n > 1 else 0
    if n == 1:
        return ranks[0]
    t = pos - i
    (a0, b0), (a1, b1) = ranks[i], ranks[i + 1]
    return a0 + t * (a1 - a0), b0 + t * (b1 - b0)


def _toning_at(toning: tuple[Tint, Tint], big_l: float) -> Tint:
    """Toned-monochrome (a, b) at lightness L: the shadow tint up to L=20, the highlight tint
    from L=80, blended between; tapering to neutral at pure black and pure white."""
    (sa, sb), (ha, hb) = toning
    t = min(1.0, max(0.0, (big_l - 20) / 60))
    taper = min(1.0, big_l / 8, (100 - big_l) / 4)
    return taper * (sa + t * (ha - sa)), taper * (sb + t * (hb - sb))


def _ratio(target_std: float, source_std: float, damp: bool = True) -> float:
    """Chroma scale: follows a narrower target fully, a wider one damped (saturated colours
    already near the gamut edge would otherwise clip). Undamped when the chroma is evened
    out (``GradeStats.even_chroma``), which already holds back the saturated colours."""
    r = target_std / max(source_std, 1e-6)
    if r <= 1:
        return max(0.05, r)
    return min(2.0, r**0.7) if damp else min(2.5, r)


def tint_at(tints: tuple[Tint, Tint, Tint], big_l: float) -> Tint:
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


def level(c: float, crush: float, black: float, white: float) -> float:
    """An sRGB channel value (0..1) through levels: values up to ``crush`` go to black (a soft
    toe that joins the identity at 3x ``crush``), black output raised to ``black``, white
    output rolled off to ``white`` (a quadratic shoulder from 2 ``white`` - 1 that ends flat,
    so the mid-tones keep their place)."""
    if crush > 0:
        knee = min(0.9, 3 * crush)
        if c < knee:
            t = max(0.0, (c - crush) / (knee - crush))
            c = knee * (3 * t * t - 2 * t * t * t) + (knee - crush) * (t * t * t - t * t)
    y = black + (1 - black) * c
    knee, d = _shoulder(white)
    if d > 0 and y > knee:
        t = (y - knee) / (1 - knee)
        y = knee + (1 - knee) * t - d * t * t
    return y


def _shoulder(white: float) -> tuple[float, float]:
    white = min(1.0, max(0.5, white))
    return max(0.0, 2 * white - 1), 1 - white


def unlevel(y: float, crush: float, black: float, white: float) -> float:
    """The inverse of ``level`` (0..1), the crushed values (all gone to 0) left at 0."""
    knee, d = _shoulder(white)
    if d > 0 and y > knee:
        span = 1 - knee
        t = (span - math.sqrt(max(0.0, span * span - 4 * d * (min(y, 1 - d) - knee)))) / (2 * d)
        y = knee + span * t
    c = min(1.0, max(0.0, (y - black) / (1 - black) if black < 1 else 0.0))
    if crush > 0 and 0 < c < min(0.9, 3 * crush):
        lo, hi = crush, min(0.9, 3 * crush)
        for _ in range(20):
            mid = (lo + hi) / 2
            if level(mid, crush, 0.0, 1.0) < c:
                lo = mid
            else:
                hi = mid
        c = (lo + hi) / 2
    return c


def _grid(
    size, curve, ka, kb, tints, levels: int = 0, s: float = 1.0, even=None, tone_levels=(None, False),
    knee: float = 0.0,
) -> list[float]:
    """The flat LUT table, red varying fastest (Pillow's and .cube's order).

    Per point: sRGB -> XYZ -> Lab, new L from the tone table; the colour's offset from the
    source's tint at its L (``tints``: source a, b and new base a, b per 0.1 of L) scaled by
    ka, kb and put on the new base; back to sRGB. With ``even`` = (strength, 1/std a,
    1/std b) that offset is also evened out: up to 1.5x for near-neutral colours, down to 0.4x
    for very saturated ones (a vibrance curve: 2 / (1 + r), r the offset in source spreads), so
    photos of any saturation land near the target's. Per-channel XYZ contributions are precomputed,
    so the inner loop is plain arithmetic.
    """
    src_a, src_b, base_a, base_b = tints
    ev_s, ia, ib = even if even else (0.0, 0.0, 0.0)
    # ``tone_levels`` = ((crush, black, white) or None, first): per channel, after the colour
    # moves, or before them when ``first`` (a word's hue is then not bent by the levels); or,
    # after the colour moves, one (crush, black, white) per channel (a tinted black).
    out_levels, first = tone_levels
    per_channel = out_levels if out_levels and isinstance(out_levels[0], tuple) else (out_levels,) * 3
    lin = [
        srgb_to_linear(level(i / (size - 1), *out_levels) if first and out_levels else i / (size - 1))
        for i in range(size)
    ]
    if first:
        out_levels = None
        per_channel = (None, None, None)
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = M_RGB_TO_XYZ
    (n00, n01, n02), (n10, n11, n12), (n20, n21, n22) = M_XYZ_TO_RGB
    xr = [m00 * v / XN for v in lin]
    yr = [m10 * v for v in lin]
    zr = [m20 * v / ZN for v in lin]
    eps, kappa = 216 / 24389, 24389 / 27
    third = 1 / 3
    inv_gamma = 1 / 2.4
    steps = levels - 1 if levels > 1 else 0

    def to_linear(fy: float, a: float, b: float) -> tuple[float, float, float]:
        fx = fy + a / 500
        fz = fy - b / 200
        x = XN * (fx * fx * fx if fx > 6 / 29 else (116 * fx - 16) / kappa)
        y = fy * fy * fy if fy > 6 / 29 else (116 * fy - 16) / kappa
        z = ZN * (fz * fz * fz if fz > 6 / 29 else (116 * fz - 16) / kappa)
        return (
            n00 * x + n01 * y + n02 * z,
            n10 * x + n11 * y + n12 * z,
            n20 * x + n21 * y + n22 * z,
        )

    def outside(rgb: tuple[float, float, float]) -> bool:
        return min(rgb) < -1e-4 or max(rgb) > 1.0001

    def into_gamut(fy0: float, a0: float, b0: float, fy: float, a: float, b: float):
        """Linear RGB for the new colour (``fy``, a, b) that does not fit: as far from the old
        colour (``fy0``, a0, b0), which does, toward the new one as the gamut allows, i.e. the
        grade at a lower strength for this colour only. Clipping each channel would bend the
        hue (magenta near white turns purple); shrinking the chroma at the new lightness
        could undo the grade ("cooler" leaving an already blue sky less blue)."""
        lo, hi = 0.0, 1.0 + knee
        for _ in range(GAMUT_STEPS):
            t = (lo + hi) / 2
            if outside(to_linear(fy0 + t * (fy - fy0), a0 + t * (a - a0), b0 + t * (b - b0))):
                hi = t
            else:
                lo = t
        t = _soft_fit(lo, knee)
        return to_linear(fy0 + t * (fy - fy0), a0 + t * (a - a0), b0 + t * (b - b0))

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
                a0 = 500 * (fx - fy)
                b0 = 200 * (fy - fz)
                da = a0 - src_a[idx]
                db = b0 - src_b[idx]
                if ev_s:
                    f = 2 / (1 + math.sqrt(da * da * ia * ia + db * db * ib * ib))
                    f = 1 + ev_s * ((1.5 if f > 1.5 else 0.4 if f < 0.4 else f) - 1)
                    da *= f
                    db *= f
                a = base_a[idx] + ka * da
                b = base_b[idx] + kb * db
                fy0 = fy
                fy = (curve[idx] + 16) / 116
                fx = fy + a / 500
                fz = fy - b / 200
                x = XN * (fx * fx * fx if fx > 6 / 29 else (116 * fx - 16) / kappa)
                y = fy * fy * fy if fy > 6 / 29 else (116 * fy - 16) / kappa
                z = ZN * (fz * fz * fz if fz > 6 / 29 else (116 * fz - 16) / kappa)
                rgb = (
                    n00 * x + n01 * y + n02 * z,
                    n10 * x + n11 * y + n12 * z,
                    n20 * x + n21 * y + n22 * z,
                )
                if min(rgb) < -1e-4 or max(rgb) > 1.0001 or knee and outside(to_linear(
                    fy0 + (1 + knee) * (fy - fy0), a0 + (1 + knee) * (a - a0), b0 + (1 + knee) * (b - b0)
                )):
                    rgb = into_gamut(fy0, a0, b0, fy, a, b)
                for c, chan_levels in zip(rgb, per_channel, strict=True):
                    if c <= 0.0031308:
                        c = 0.0 if c <= 0 else 12.92 * c
                    else:
                        c = 1.0 if c >= 1 else 1.055 * c**inv_gamma - 0.055
                    if chan_levels:
                        c = level(c, *chan_levels)
                    if steps:  # posterize: per-channel steps, blended by strength
                        c += s * (round(c * steps) / steps - c)
                    append(c)
    return table


# Out of gamut, softly: a colour whose grade leaves sRGB keeps the fraction u of its move that
# fits, eased (C1) into the full move over u = 1 - GAMUT_KNEE .. 1 + GAMUT_KNEE, so the table
# bends over a few of its steps where the grade meets the edge of sRGB instead of within one.
GAMUT_KNEE = 0.25
GAMUT_STEPS = 10


def _soft_fit(u: float, k: float) -> float:
    """The fraction of its move a colour gets when ``u`` of it fits: u, eased into 1 over
    1 - k .. 1 + k."""
    if k <= 0:
        return min(u, 1.0)
    if u <= 1 - k:
        return u
    if u >= 1 + k:
        return 1.0
    return u - (u - 1 + k) ** 2 / (4 * k)


def identity_lut(size: int = LUT_SIZE) -> ImageFilter.Color3DLUT:
    return ImageFilter.Color3DLUT.generate(size, lambda r, g, b: (r, g, b))
