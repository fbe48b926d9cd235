"""What a reference image looks like, in numbers a grade can use and words a person can read.

Everything works on small copies: the palette on a <=256 px copy (median-cut quantisation in
C), the Lab statistics on a <=96 px copy (each distinct colour converted once, in Python).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image

from desktop.imaging.colour import chroma, hex_colour, name_colour, rgb_to_lab

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
PALETTE_SIZE = 6
PALETTE_EDGE = 256
STATS_EDGE = 96
# Tone bands for split-toning: shadows L < 33, midtones, highlights L > 66.
SHADOW_L, HIGHLIGHT_L = 33.0, 66.0
# Colour by rank of lightness: the mean (a, b) of the darkest fifth of the pixels, the next
# fifth, ... (a grade gives a photo's darkest fifth the reference's darkest fifth's colour).
RANK_BINS = 5


@dataclass
class PaletteColour:
    rgb: tuple[int, int, int]
    hex: str
    name: str
    share: float  # fraction of the picture, 0..1


@dataclass
class Analysis:
    palette: list[PaletteColour]
    lab_mean: tuple[float, float, float]
    lab_std: tuple[float, float, float]
    tones: dict[int, float]  # percentile -> L (0..100)
    tints: tuple[
        tuple[float, float], tuple[float, float], tuple[float, float]
    ]  # mean (a, b): shadows, mids, highlights
    mean_chroma: float
    mood: str
    tint_ranks: tuple[tuple[float, float], ...] | None = None  # RANK_BINS x (a, b), dark first

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tones"] = {str(k): v for k, v in self.tones.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Analysis:
        return cls(
            palette=[
                PaletteColour(rgb=tuple(p["rgb"]), hex=p["hex"], name=p["name"], share=p["share"])
                for p in d["palette"]
            ],
            lab_mean=tuple(d["lab_mean"]),
            lab_std=tuple(d["lab_std"]),
            tones={int(k): float(v) for k, v in d["tones"].items()},
            tints=tuple(tuple(t) for t in d["tints"]),  # type: ignore[arg-type]
            mean_chroma=float(d["mean_chroma"]),
            mood=d["mood"],
            tint_ranks=tuple(tuple(t) for t in d["tint_ranks"]) if d.get("tint_ranks") else None,  # type: ignore[arg-type]
        )


def analyse(img: Image.Image) -> Analysis:
    """Palette, Lab statistics, tone percentiles, split-tone tints and a mood line for ``img``."""
    img = img.convert("RGB") if img.mode != "RGB" else img
    palette = dominant_palette(shrink(img, PALETTE_EDGE))
    mean, std, tones, tints, mean_c, ranks = _lab_stats(shrink(img, STATS_EDGE))
    return Analysis(
        palette=palette,
        lab_mean=mean,
        lab_std=std,
        tones=tones,
        tints=tints,
        mean_chroma=mean_c,
        mood=describe_mood(mean, std, mean_c),
        tint_ranks=ranks,
    )


def lab_summary(img: Image.Image) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Lab mean and standard deviation of ``img`` (on a <=96 px copy)."""
    img = img.convert("RGB") if img.mode != "RGB" else img
    mean, std, *_ = _lab_stats(shrink(img, STATS_EDGE))
    return mean, std


def stats_distance(a: tuple, b: tuple) -> float:
    """Euclidean distance between two (mean, std) Lab summaries (6 numbers each)."""
    return math.dist((*a[0], *a[1]), (*b[0], *b[1]))


def shrink(img: Image.Image, edge: int) -> Image.Image:
    w, h = img.size
    if max(w, h) <= edge:
        return img
    scale = edge / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)


def dominant_palette(img: Image.Image, n: int = PALETTE_SIZE) -> list[PaletteColour]:
    """Up to ``n`` dominant colours, biggest share first (fewer when the picture has fewer)."""
    quant = img.quantize(colors=n, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    flat = quant.getpalette() or []
    counts = quant.histogram()[:n]
    total = sum(counts) or 1
    seen: dict[tuple[int, int, int], int] = {}
    for i, count in enumerate(counts):
        if count:
            rgb = (flat[3 * i], flat[3 * i + 1], flat[3 * i + 2])
            seen[rgb] = seen.get(rgb, 0) + count
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])
    return [
        PaletteColour(
            rgb=rgb, hex=hex_colour(rgb), name=name_colour(rgb), share=round(c / total, 4)
        )
        for rgb, c in ranked
    ]


def _lab_stats(img: Image.Image):
    colours = img.getcolors(img.width * img.height) or []
    n = 0
    sums = [0.0, 0.0, 0.0]
    sq = [0.0, 0.0, 0.0]
    chroma_sum = 0.0
    band = [[0, 0.0, 0.0] for _ in range(3)]  # count, sum a, sum b
    l_hist = [0] * 1001  # L in steps of 0.1
    labs = []
    for count, rgb in colours:
        lab = rgb_to_lab(rgb)
        labs.append((lab, count))
        n += count
        for i in range(3):
            sums[i] += count * lab[i]
            sq[i] += count * lab[i] * lab[i]
        chroma_sum += count * chroma(lab)
        k = 0 if lab[0] < SHADOW_L else 2 if lab[0] > HIGHLIGHT_L else 1
        band[k][0] += count
        band[k][1] += count * lab[1]
        band[k][2] += count * lab[2]
        l_hist[min(1000, max(0, round(lab[0] * 10)))] += count
    n = n or 1
    mean = tuple(round(s / n, 3) for s in sums)
    std = tuple(
        round(math.sqrt(max(0.0, q / n - (s / n) ** 2)), 3) for s, q in zip(sums, sq, strict=True)
    )
    tints = tuple(
        (round(sa / c, 3), round(sb / c, 3)) if c else (mean[1], mean[2]) for c, sa, sb in band
    )
    ranks = _rank_tints(labs, n)
    return mean, std, _percentiles(l_hist, n), tints, round(chroma_sum / n, 3), ranks


def _rank_tints(labs: list[tuple[tuple[float, float, float], int]], n: int):
    """Mean (a, b) of each fifth of the pixels by lightness, darkest first (a colour that
    straddles two fifths counts in both, in proportion)."""
    sums = [[0.0, 0.0, 0.0] for _ in range(RANK_BINS)]  # weight, sum a, sum b
    edge = n / RANK_BINS
    start = 0.0
    for (_, a, b), count in sorted(labs, key=lambda x: x[0][0]):
        end = start + count
        k = min(RANK_BINS - 1, int(start / edge))
        pos = start
        while pos < end - 1e-9:
            part = max(0.0, min(end, (k + 1) * edge) - pos)
            sums[k][0] += part
            sums[k][1] += part * a
            sums[k][2] += part * b
            pos += part
            k = min(RANK_BINS - 1, k + 1)
        start = end
    return tuple(
        (round(sa / w, 3), round(sb / w, 3)) if w else (0.0, 0.0) for w, sa, sb in sums
    )


def _percentiles(hist: list[int], n: int) -> dict[int, float]:
    out: dict[int, float] = {}
    targets = [(p, p / 100 * n) for p in PERCENTILES]
    running = 0
    t = 0
    for i, count in enumerate(hist):
        running += count
        while t < len(targets) and running >= targets[t][1]:
            out[targets[t][0]] = i / 10
            t += 1
        if t == len(targets):
            break
    for p, _ in targets[t:]:
        out[p] = 100.0
    return out


def describe_mood(
    mean: tuple[float, float, float], std: tuple[float, float, float], mean_chroma: float
) -> str:
    """A short line such as "warm, bright and muted, soft contrast"."""
    big_l, a, b = mean
    warmth = b + 0.5 * a
    temp = "warm" if warmth > 6 else "cool" if warmth < -3 else "neutral"
    light = "bright" if big_l > 62 else "dark" if big_l < 38 else "mid-toned"
    sat = (
        "saturated" if mean_chroma > 30 else "muted" if mean_chroma < 14 else "moderately colourful"
    )
    contrast = (
        "high contrast" if std[0] > 28 else "soft contrast" if std[0] < 14 else "normal contrast"
    )
    return f"{temp}, {light} and {sat}, {contrast}"
