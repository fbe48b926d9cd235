"""Reading the look of a graded photo, not the photo: the signs a colourist reads, with priors
about natural photos (issue 20, section 2).

A natural photo reaches black and white (some pixel has a channel near 0 and one near 255),
its near-neutral pixels (walls, clouds, shadows, skin in the highlights) are near grey in every
tone band, and some of its colours are strong. A grade shows where a reference breaks those:

* levels (per sRGB channel, read on the darkest and lightest channel of each pixel): blacks
  that never reach black (lifted, matte; above 4 %, below which a photo's flare or a film
  curve's foot sits), a pile of pure black (crushed), whites that never reach white *and* pile
  up under their ceiling (rolled off; a photo whose lightest surface is not white thins out
  there instead); a tinted black: one channel's black above the others' (a natural photo's
  channels reach black together; cross-processing's blues do not), beyond what a photo shows;
* a cast per tone band (shadows, mid-tones, highlights), read from the near-neutral pixels of
  the band (the densest colour near grey, found by shrinking a window from grey: mean shift),
  not from the band's mean colour, which is the photo's content; trusted only as far as a
  tight cluster of pixels (a neutral surface under the cast) backs it, and less the further
  from grey it lies (brown fur or a blue night sky makes a loose cloud, not a cast);
* saturation pulled down: the chroma the reference's strongest hundredth of pixels reaches
  against what a natural photo's reaches (every bundled sample, whatever its main colour, has
  a few strong colours); strong colours are not read as a look (a red cup is content), so
  saturation is never raised from a reference;
* (nearly) no colour around the casts: a toned monochrome, toned with the casts.

Every axis defaults to *no change* where the reference looks natural or the sign is not
confident (dead zones below), so a style from an ungraded photo changes other photos little
(0.4 dE76 on average on benchmarks/bench_quality.py) and a look that cannot be told from the
content is left out rather than guessed. Contrast (a tone curve's S) is not read: no sign
found in one photo tells it from the photo's own lighting. The result is a ``GradeStats`` with
``casts`` set (tints are casts on greys), ``levels`` and ``black_tint``; its tone curve is the
identity.
"""

from __future__ import annotations

import math

from PIL import Image

from desktop.imaging.analysis import HIGHLIGHT_L, SHADOW_L, STATS_EDGE, shrink
from desktop.imaging.colour import linear_to_lab, srgb_to_linear
from desktop.imaging.grade import NEUTRAL, GradeStats, Tint, tint_at, unlevel

# Levels: the share of pixels that may sit beyond a level before it counts (0.1 % each end: a
# natural photo's few specular highlights and deepest shadows reach white and black; a
# grade's levels hold every pixel).
LEVEL_SHARE = 0.001
# A darkest channel above 4 % (10/255) at the 0.1 % point: lifted blacks. Up to that, blacks are
# natural (lens flare, haze, a JPEG's floor) or the foot of a curve that also darkens the
# shadows (a print film's S reaches only 3 %): a linear lift read there brightens shadows that
# the look darkens.
LIFT_MIN = 0.04
# ... read as at most LIFT_MAX: a matte lifts black to 5-15 %; a darkest channel far above
# that is mostly a bright, hazy scene (snow, fog, high key), whose brightness it still gives.
LIFT_MAX = 0.25
WHITE_MAX = 0.96  # a lightest channel below 96 % at the 99.9 % point: rolled-off whites
WHITE_FLOOR = 0.6  # whites below this read as none (a dark photo is not a grade)
# ... and only when the whites pile up under their ceiling: a shoulder squeezes every light tone
# into the last few per cent (WHITE_PILE of the pixels within WHITE_BAND of the top), while a
# photo whose lightest surface is simply not white (a brown cat, a dim room) thins out there.
WHITE_PILE = 0.05
WHITE_BAND = 0.05
# Crushed blacks: pure black (every channel <= 2/255) on more than CRUSH_SHARE of the pixels
# (a night sky or a black backdrop holds about a tenth: the astronaut sample has 11 %, and
# crushing a photo's shadows by mistake costs it its structure); the input black point is
# then where a natural photo has the share beyond that (a typical photo's darkest channel:
# 1 % below 3 %, 5 % below 8.5 %, 25 % below 27 %).
CRUSH_SHARE = 0.12
# A tinted black: a channel whose 0.1 % point lies more than TINT_MIN (12/255) above the
# darkest channel's. A natural photo's channels reach black together, within 9/255 on the
# bundled samples (a red scene's red, a night's blue-green); cross-processing's blue blacks
# or a split toning's teal shadows lift one or two channels by 15 to 47/255.
TINT_MIN = 0.047
CRUSH_MAX = 0.12
_DARK_PRIOR = ((0.0, 0.0), (0.01, 0.03), (0.05, 0.085), (0.25, 0.27))
# Casts: the window (chroma radius) shrinks from grey to these sizes; a cast under CAST_MIN
# is natural (no change) and the rest is taken beyond it; a band with under BAND_MIN of the
# pixels borrows the mid-tones' cast.
CAST_RADII = (20.0, 14.0, 10.0, 8.0)
CAST_MIN = 4.0
# A cast is trusted as far as a neutral surface backs it: in full when SUPPORT_FULL of its band
# lies within SUPPORT_RADIUS of it (walls, sky, paper, a white suit: a tight cluster), not at all
# under SUPPORT_NONE. The densest colour near grey of a photo with no neutral surface in a band
# (brown fur, a red cup, a blue night sky) is a loose cloud: 0 to 25 % of the band within 3 of
# it on the bundled samples, against 45 to 75 % for a white suit or whiskers under a cast.
SUPPORT_RADIUS = 3.0
SUPPORT_FULL = 0.45
SUPPORT_NONE = 0.25
# ... and trusted less the further from grey it lies: a grade's cast on greys is a few units
# (a white balance moved by a stop: 8 to 16), a tight cluster further out is more likely a
# coloured surface. In full up to CAST_NEAR, not at all from CAST_FAR. (Chosen on the
# astronaut and cat references of benchmarks/bench_quality.py, checked on coffee and rocket.)
CAST_NEAR = 16.0
CAST_FAR = 28.0
BAND_MIN = 0.03
# A band with no pixel within CAST_RADII[0] of grey is coloured all over: its cast is the mean
# colour of its LEAST_SHARE nearest grey.
LEAST_SHARE = 0.1
# Saturation: the chroma (around grey) 99 % of the pixels stay below. A natural photo's
# strongest hundredth reaches SAT_NATURAL or more (a few saturated surfaces: the bundled
# samples 46 to 74, whatever their main colour); below it the reference reads as muted, never
# more than down to SAT_LOWEST.
SAT_NATURAL = 44.0
SAT_SHARE = 0.99
SAT_LOWEST = 0.35
# Monochrome: 90 % of the pixels within this chroma of the casts.
MONO_CHROMA = 6.0


def read_look(img: Image.Image) -> GradeStats:
    """The grade a reference photo carries, as ``GradeStats`` (see the module's docstring)."""
    img = img.convert("RGB") if img.mode != "RGB" else img
    colours = shrink(img, STATS_EDGE).getcolors(STATS_EDGE * STATS_EDGE) or [(1, (128, 128, 128))]
    total = sum(c for c, _ in colours)
    levels = _read_levels(colours, total)
    tint = _read_black_tint(colours, levels)
    labs = [(count, _lab(rgb, levels, tint)) for count, rgb in colours]
    raw = _read_casts(labs, total, judge_mids=False)
    casts = tuple(_beyond_natural(c) for c in _read_casts(labs, total))
    toning = None
    scale = 1.0
    if _spread(labs, raw) < MONO_CHROMA:  # a monochrome: its tint is all look, none content
        toning = (tint_at(raw, 15.0), tint_at(raw, 85.0))
    else:  # chroma around grey: a photo of one colour is not read as muted around it
        grey = ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0))
        scale = min(1.0, max(SAT_LOWEST, _spread(labs, grey, SAT_SHARE) / SAT_NATURAL))
    return GradeStats(
        mean=NEUTRAL.mean,
        std=(NEUTRAL.std[0], NEUTRAL.std[1] * scale, NEUTRAL.std[2] * scale),
        tones=NEUTRAL.tones,
        tints=casts,
        toning=toning,
        casts=True,
        levels=levels if levels != (0.0, 0.0, 1.0) or tint else None,
        black_tint=tint,
    )


def _read_black_tint(colours: list[tuple[int, tuple[int, int, int]]], levels) -> tuple[float, float, float] | None:
    """Per channel, how far its black lies above the darkest channel's, when one lies beyond
    TINT_MIN (see there); None for a black that is neutral."""
    floors = [_weighted_quantile([(count, rgb[c] / 255) for count, rgb in colours], LEVEL_SHARE) for c in range(3)]
    lowest = min(floors)
    if max(floors) - lowest <= TINT_MIN or levels[0] > 0:
        return None
    return tuple(round(max(0.0, f - lowest - TINT_MIN), 4) for f in floors)  # type: ignore[return-value]


def _read_levels(colours: list[tuple[int, tuple[int, int, int]]], total: int):
    darkest = [(count, min(rgb) / 255) for count, rgb in colours]
    lightest = [(count, max(rgb) / 255) for count, rgb in colours]
    lo = _weighted_quantile(darkest, LEVEL_SHARE)
    hi = _weighted_quantile(lightest, 1 - LEVEL_SHARE)
    piled = sum(count for count, v in lightest if hi - WHITE_BAND < v <= hi) / total
    white = 1.0 if hi >= WHITE_MAX or hi < WHITE_FLOOR or piled < WHITE_PILE else hi
    black = min(LIFT_MAX, lo) if lo > LIFT_MIN else 0.0
    crush = 0.0
    pure = sum(count for count, rgb in colours if max(rgb) <= 2) / total
    if black == 0 and pure > CRUSH_SHARE:
        crush = min(CRUSH_MAX, _interp(pure - CRUSH_SHARE + _DARK_PRIOR[1][0], _DARK_PRIOR))
    return round(crush, 4), round(black, 4), round(white, 4)


def _lab(rgb: tuple[int, int, int], levels: tuple[float, float, float], tint=None):
    """Lab of an 8-bit colour with the reference's levels (and tinted black) undone."""
    if levels == (0.0, 0.0, 1.0) and not tint:
        chans = [srgb_to_linear(v / 255) for v in rgb]
    else:
        crush, black, white = levels
        lifts = [black + t for t in tint] if tint else [black] * 3
        chans = [srgb_to_linear(unlevel(v / 255, crush, lift, white)) for v, lift in zip(rgb, lifts, strict=True)]
    return linear_to_lab(*chans)


def _read_casts(labs, total: int, judge_mids: bool = True) -> tuple[Tint, Tint, Tint]:
    """The grey mode of each tone band (``_grey_mode``). A colourist judges a cast in the
    blacks and the whites, where a natural photo's content has least say: when the reference
    has both, the mid-tones get their mean (the mid-tones' own grey mode is mostly the
    photo's main subject); a band with too few pixels borrows from the others. With
    ``judge_mids`` (the casts a style applies) each is also weighed by its support."""
    bands: list[list[tuple[int, float, float]]] = [[], [], []]
    for count, (big_l, a, b) in labs:
        k = 0 if big_l < SHADOW_L else 2 if big_l > HIGHLIGHT_L else 1
        bands[k].append((count, a, b))
    found: list[Tint | None] = []
    for band in bands:
        weight = sum(c for c, _, _ in band)
        mode = _grey_mode(band) if weight >= BAND_MIN * total else None
        if mode is None and weight >= BAND_MIN * total:  # nothing near grey: colour all over
            mode = _least_coloured(band, weight)
        elif mode and judge_mids:  # trusted as far as a neutral surface backs it
            ma, mb = mode
            near = sum(c for c, a, b in band if (a - ma) ** 2 + (b - mb) ** 2 <= SUPPORT_RADIUS**2)
            trust = min(1.0, max(0.0, (near / weight - SUPPORT_NONE) / (SUPPORT_FULL - SUPPORT_NONE)))
            far = (math.hypot(ma, mb) - CAST_NEAR) / (CAST_FAR - CAST_NEAR)
            trust *= 1.0 - min(1.0, max(0.0, far))
            mode = (ma * trust, mb * trust)
        found.append(mode)
    shadows, mids, highs = found
    if judge_mids and shadows and highs:
        mids = ((shadows[0] + highs[0]) / 2, (shadows[1] + highs[1]) / 2)
    mids = mids or shadows or highs or (0.0, 0.0)
    return shadows or mids, mids, highs or mids


def _spread(labs, casts: tuple[Tint, Tint, Tint], share: float = 0.9) -> float:
    """The chroma around the casts that ``share`` of the pixels stay within."""
    return _weighted_quantile(
        [(count, math.hypot(a - ca, b - cb)) for count, (big_l, a, b) in labs
         for ca, cb in (tint_at(casts, big_l),)],
        share,
    )


def _beyond_natural(cast: Tint) -> Tint:
    """A cast less the CAST_MIN a natural photo's greys may have (no change below it)."""
    a, b = cast
    size = math.hypot(a, b)
    keep = max(0.0, size - CAST_MIN) / size if size > 1e-9 else 0.0
    return round(a * keep, 3), round(b * keep, 3)


def _least_coloured(band: list[tuple[int, float, float]], weight: int) -> Tint:
    """The mean colour of the band's LEAST_SHARE nearest grey: in a band with no pixel near
    grey (a sunset, a night lit blue) every surface carries at least this colour, and no
    neutral surface is left to tell the look from the content, so it is read as the look."""
    a_sum = b_sum = taken = 0.0
    for count, a, b in sorted(band, key=lambda p: p[1] * p[1] + p[2] * p[2]):
        take = min(count, LEAST_SHARE * weight - taken)
        if take <= 0:
            break
        taken += take
        a_sum += take * a
        b_sum += take * b
    return a_sum / taken, b_sum / taken


def _grey_mode(band: list[tuple[int, float, float]]) -> Tint | None:
    """The densest colour near grey: mean shift from (0, 0) with a shrinking window."""
    ca, cb = 0.0, 0.0
    for radius in CAST_RADII:
        w = sa = sb = 0.0
        for count, a, b in band:
            if (a - ca) ** 2 + (b - cb) ** 2 <= radius * radius:
                w += count
                sa += count * a
                sb += count * b
        if w == 0:
            return (ca, cb) if (ca, cb) != (0.0, 0.0) else None
        ca, cb = sa / w, sb / w
    return ca, cb


def _weighted_quantile(values: list[tuple[int, float]], q: float) -> float:
    values = sorted(values, key=lambda cv: cv[1])
    total = sum(c for c, _ in values) or 1
    running = 0
    for count, v in values:
        running += count
        if running >= q * total:
            return v
    return values[-1][1] if values else 0.0


def _interp(x: float, points: tuple[tuple[float, float], ...]) -> float:
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    (x0, y0), (x1, y1) = points[-2], points[-1]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
