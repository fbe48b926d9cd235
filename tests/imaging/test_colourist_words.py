"""The words colourists use (issue 20 §4): each moves a real photo the way it says.

Every word is graded as a style would be (``plan_style``, default strength), put on the bundled
sample photos, and one measured quantity is compared with the same photo graded by the neutral
description (no words). A word said of an effect ("soft grain", "gentle vignette") changes that
effect and leaves the grade alone; none of these words is "not understood".

``python -m tests.imaging.test_colourist_words`` prints the table of measured changes (the
table in docs/performance.md, "Words colourists use").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
from PIL import Image

from desktop.generators.local import plan_style
from desktop.imaging.description import explain, grade_from_description
from desktop.imaging.effects import choose_looks
from desktop.imaging.intake import load_image
from desktop.imaging.lab import srgb_to_lab
from desktop.resources import sample_photos

Lab = np.ndarray
Quantity = Callable[[Lab, Lab], float | None]  # (baseline Lab, graded Lab) -> measure of graded


@cache
def photos() -> tuple[Image.Image, ...]:
    """The bundled sample photos at 160 px."""
    out = []
    for path in sample_photos():
        img = load_image(path).image.convert("RGB")
        img.thumbnail((160, 160))
        out.append(img)
    return tuple(out)


@cache
def graded(description: str) -> tuple[Lab, ...]:
    lut = plan_style(description, None, seed=1).lut
    return tuple(srgb_to_lab(np.asarray(p.filter(lut)) / 255.0) for p in photos())


def _hue(lab: Lab) -> tuple[Lab, Lab]:
    return np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) % 360, np.hypot(lab[..., 1], lab[..., 2])


def _where(mask: np.ndarray, values: Lab, least: int = 40) -> float | None:
    return float(values[mask].mean()) if mask.sum() >= least else None


def darkest_5(base: Lab, lab: Lab) -> float | None:
    """Mean L of the pixels that are the darkest 5 % of the ungraded photo."""
    cut = np.percentile(base[..., 0], 5)
    return _where(base[..., 0] <= cut, lab[..., 0])


def mean_l(base: Lab, lab: Lab) -> float:
    return float(lab[..., 0].mean())


def contrast(base: Lab, lab: Lab) -> float:
    """Spread of L (standard deviation)."""
    return float(lab[..., 0].std())


def chroma(base: Lab, lab: Lab) -> float:
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def warmth(base: Lab, lab: Lab) -> float:
    """Mean b: yellow-blue, the temperature axis."""
    return float(lab[..., 2].mean())


def grey_b(base: Lab, lab: Lab) -> float | None:
    """Mean b of the ungraded photo's near-neutral pixels (chroma < 12): the cast."""
    return _where(_hue(base)[1] < 12, lab[..., 2])


def shadow_b(base: Lab, lab: Lab) -> float | None:
    """Mean b of the ungraded photo's shadows (L 3..35)."""
    return _where((base[..., 0] > 3) & (base[..., 0] < 35), lab[..., 2])


def shadow_a(base: Lab, lab: Lab) -> float | None:
    return _where((base[..., 0] > 3) & (base[..., 0] < 35), lab[..., 1])


def highlight_b(base: Lab, lab: Lab) -> float | None:
    """Mean b of the ungraded photo's highlights (L 65..97)."""
    return _where((base[..., 0] > 65) & (base[..., 0] < 97), lab[..., 2])


def _hue_band(base: Lab, lo: float, hi: float) -> np.ndarray:
    h, c = _hue(base)
    inside = (h >= lo) & (h <= hi) if lo < hi else (h >= lo) | (h <= hi)
    return inside & (c > 12)


def sky_l(base: Lab, lab: Lab) -> float | None:
    """Mean L of the blue pixels (hue 230..290)."""
    return _where(_hue_band(base, 230, 290), lab[..., 0])


def blue_chroma(base: Lab, lab: Lab) -> float | None:
    return _where(_hue_band(base, 230, 290), _hue(lab)[1])


def red_chroma(base: Lab, lab: Lab) -> float | None:
    """Mean chroma of the reds (hue 0..50)."""
    return _where(_hue_band(base, 0, 50), _hue(lab)[1])


# word -> (quantity, the least change of its pooled mean: + up, - down), per direction
DIRECTIONS: dict[str, list[tuple[Quantity, float]]] = {
    "cinematic": [(shadow_b, -3.0), (highlight_b, +3.0), (contrast, +1.0)],
    "moody": [(mean_l, -4.0), (chroma, -1.5)],
    "matte": [(darkest_5, +4.0)],
    "faded": [(darkest_5, +4.0)],
    "crushed blacks": [(darkest_5, -1.0)],
    "lifted blacks": [(darkest_5, +4.0)],
    "soft": [(contrast, -1.5)],
    "punchy": [(contrast, +1.5), (chroma, +2.0)],
    "muted": [(chroma, -3.0)],
    "pastel": [(chroma, -3.0), (mean_l, +4.0)],
    "bleach bypass": [(chroma, -5.0), (contrast, +1.5)],
    "cross-process": [(shadow_b, -3.0), (highlight_b, +3.0), (contrast, +1.0)],
    "teal and orange": [(shadow_a, -2.0), (shadow_b, -2.0), (highlight_b, +3.0)],
    "golden hour": [(warmth, +4.0)],
    "high-key": [(mean_l, +4.0)],
    "low-key": [(mean_l, -4.0)],
    "day-for-night": [(mean_l, -6.0), (warmth, -4.0)],
    "infrared": [(sky_l, -4.0)],
    "portrait film": [(contrast, -1.0), (warmth, +2.0)],
    "slide film": [(grey_b, -2.0), (chroma, +2.0)],
    "vintage slide": [(red_chroma, +2.0), (warmth, +2.0)],
    "vivid landscape film": [(chroma, +4.0), (blue_chroma, +4.0), (contrast, +1.0)],
}
CASES = [(word, q, 1 if v > 0 else -1, abs(v)) for word, qs in DIRECTIONS.items() for q, v in qs]
WORDS = list(dict.fromkeys(c[0] for c in CASES))


def changes(description: str, quantity: Quantity) -> list[float]:
    """Per photo: the quantity graded by ``description`` minus graded by the neutral
    description (photos where it is undefined, e.g. no blue pixels, are left out)."""
    out = []
    for base, lab in zip(graded(""), graded(description), strict=True):
        before, after = quantity(base, base), quantity(base, lab)
        if before is not None and after is not None:
            out.append(after - before)
    return out


@pytest.mark.parametrize(
    "description,quantity,sign,visible",
    CASES,
    ids=[f"{c[0]}: {c[1].__name__} {'up' if c[2] > 0 else 'down'}" for c in CASES],
)
def test_each_word_moves_a_real_photo_its_way(description, quantity, sign, visible):
    d = changes(description, quantity)
    assert d, "no photo to measure on"
    mean = sum(d) / len(d)
    assert sign * mean >= visible, f"mean change {mean:+.2f}, want {sign * visible:+}"
    assert all(sign * x >= -0.5 for x in d), f"a photo moved the wrong way: {d}"


def test_the_neutral_description_changes_nothing():
    for photo, lab in zip(photos(), graded(""), strict=True):
        plain = srgb_to_lab(np.asarray(photo) / 255.0)
        assert float(np.abs(lab - plain).max()) < 2.0


def test_infrared_turns_green_foliage_pink_and_light():
    """No sample photo has foliage, so a sweep of real leaf greens (dark to light) is graded."""
    greens = np.array([[(30, 60, 20), (60, 110, 40), (90, 140, 60), (120, 170, 80), (70, 120, 30)]])
    img = Image.fromarray(greens.astype(np.uint8))
    out = srgb_to_lab(np.asarray(img.filter(plan_style("infrared", None, seed=1).lut)) / 255.0)
    before = srgb_to_lab(greens / 255.0)
    assert (out[..., 1] > 5).all(), out[..., 1]  # red-magenta, no longer green (a < 0)
    assert (out[..., 0] > before[..., 0] + 4).all()


def test_portrait_film_mutes_greens_more_than_other_colours():
    greens = np.array([[(60, 110, 40), (90, 140, 60), (40, 120, 70)]], dtype=np.uint8)
    reds = np.array([[(170, 60, 50), (200, 120, 90), (150, 40, 60)]], dtype=np.uint8)
    lut = plan_style("portrait film", None, seed=1).lut

    def kept(rgb: np.ndarray) -> float:
        before = _hue(srgb_to_lab(rgb / 255.0))[1]
        after = _hue(srgb_to_lab(np.asarray(Image.fromarray(rgb).filter(lut)) / 255.0))[1]
        return float(after.mean() / before.mean())

    assert kept(greens) < kept(reds) - 0.2


SAID_OTHERWISE = [
    "warm portrait film stock",
    "Portra-like",
    "Ektachrome-like slide film",
    "kodachrome-like vintage slide",
    "Velvia-like",
    "cross-processed",
    "bleach-bypass",
    "crushed blacks, lifted shadows",
]


@pytest.mark.parametrize("description", WORDS + SAID_OTHERWISE)
def test_every_colourist_word_is_understood(description):
    said = explain(description)
    assert said["unknown_words"] == []
    assert said["in_cube"], "the word did nothing to the grade"


@pytest.mark.parametrize("name", ["portra", "ektachrome", "kodachrome", "velvia", "aerochrome"])
def test_a_film_stock_is_described_by_its_look_not_its_trade_name(name):
    said = explain(f"{name} look")
    assert said["in_cube"]
    assert not any(re.search(rf"\b{name}\b", label.lower()) for label in said["in_cube"])


@pytest.mark.parametrize(
    "description,plain,effect",
    [
        ("soft grain", "grain", "grain"),
        ("gentle vignette", "vignette", "vignette"),
        ("dark vignette", "vignette", "vignette"),
        ("soft focus", "glow", "glow"),
    ],
)
def test_a_word_said_of_an_effect_changes_that_effect_only(description, plain, effect):
    assert grade_from_description(description) == grade_from_description(plain)
    assert plan_style(description, None, seed=1).lut.table == plan_style(plain, None, seed=1).lut.table
    assert [lk.name for lk in choose_looks(description)] == [effect]
    assert explain(description)["unknown_words"] == []


def test_soft_and_gentle_make_their_effect_lighter():
    amount = {d: choose_looks(d)[0].amount for d in ("soft grain", "grain", "gentle vignette")}
    assert amount["soft grain"] < amount["grain"]
    assert amount["gentle vignette"] < 1.0


def test_said_of_an_effect_leaves_the_other_words_their_grade():
    """ "soft grain" leaves contrast alone, but "soft, warm light with soft grain" is still
    soft: the first "soft" is said of the look."""
    assert changes("warm, soft grain", contrast) == pytest.approx(changes("warm", contrast), abs=0.05)
    assert sum(changes("soft, warm with soft grain", contrast)) < -1.5


def test_a_refused_look_takes_back_what_a_reference_brings():
    """The Hubble deep field graded with crushed blacks (12 % and below to black) darkens every
    photo it styles; "not moody" refuses that, without brightening past the photo itself. (The
    ungraded field is content, not a look: a style reads no darkening from it.)"""
    hubble = next(p for p in photos() if _dark(p))
    crushed = hubble.point([max(0, round((v - 31) * 255 / 224)) for v in range(256)] * 3)
    plain = [mean_l(b, b) for b in graded("")]

    def lightness(description: str) -> list[float]:
        lut = plan_style(description, crushed, seed=1).lut
        return [mean_l(lab, lab) for lab in (srgb_to_lab(np.asarray(p.filter(lut)) / 255.0) for p in photos())]

    darkened, refused = lightness("portrait"), lightness("portrait, not moody")
    assert sum(darkened) / len(darkened) < sum(plain) / len(plain) - 3
    assert all(abs(r - p) < 2.5 for r, p in zip(refused, plain, strict=True)), refused


def _dark(img: Image.Image) -> bool:
    return float(srgb_to_lab(np.asarray(img) / 255.0)[..., 0].mean()) < 15


MEASURED = {
    darkest_5: "L of the darkest 5 %",
    mean_l: "mean L",
    contrast: "spread of L (contrast)",
    chroma: "mean chroma",
    warmth: "mean b (warmth)",
    grey_b: "b of the near-greys (cast)",
    shadow_a: "a of the shadows",
    shadow_b: "b of the shadows",
    highlight_b: "b of the highlights",
    sky_l: "L of the blue sky",
    blue_chroma: "chroma of the blues",
    red_chroma: "chroma of the reds",
}


def table() -> str:
    """The measured change of each word's quantity, pooled over the sample photos."""
    lines = [
        "| words | measured on the sample photos | change (mean, per photo range) |",
        "|---|---|---:|",
    ]
    for description, quantity, _, _ in CASES:
        d = changes(description, quantity)
        lines.append(
            f"| {description} | {MEASURED[quantity]} | "
            f"{sum(d) / len(d):+.1f} ({min(d):+.1f} .. {max(d):+.1f}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
