"""§1: words win where they are clear, measured on the exported .cube applied to the samples.

Each description is graded twice: alone, and with a reference photo that disagrees with it
(a warm sunset for "cool", a dark night for "bright", ...). The style is planned by the local
generator, its .cube written and read back, and the measures below are taken on the bundled
sample photos graded by that file: the way a colourist would use it in another tool.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from desktop.exchange.cube import read_pillow_lut, write_pillow_lut
from desktop.generators.local import plan_style
from desktop.imaging.colour import COLOUR_NAMES

from .conftest import REFERENCES
from .measure import Measures, band_hue, band_shift_hue, hue_gap, hue_of, measure

SEPIA = (112, 66, 20)  # the classic sepia swatch, #704214


def graded_by_cube(tmp_path, description: str, ref: str | None, samples):
    reference = REFERENCES[ref] if ref else None
    plan = plan_style(description, reference, seed=1)
    path = tmp_path / "style.cube"
    write_pillow_lut(path, plan.lut, description)
    lut = read_pillow_lut(path)
    return [(img, img.filter(lut)) for _, img in samples]


Pairs = list[tuple[Image.Image, Image.Image]]


def changes(pairs: Pairs, field: Callable[[Measures], float]) -> list[float]:
    return [field(measure(after)) - field(measure(before)) for before, after in pairs]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


# -- checks: each asserts a direction and a visible amount ----------------------------------


def neutral(pairs: Pairs) -> None:
    spreads = [measure(after).spread for _, after in pairs]
    assert max(spreads) <= 2, f"not neutral: channel spreads {spreads}"


def moves(field: Callable[[Measures], float], sign: int, visible: float, tolerance: float = 0.5):
    def check(pairs: Pairs) -> None:
        d = changes(pairs, field)
        assert sign * mean(d) >= visible, f"average change {mean(d):+.1f}, want {sign * visible:+}"
        assert all(sign * x >= -tolerance for x in d), f"a photo moved the wrong way: {d}"

    return check


def chroma_ratio(pairs: Pairs) -> float:
    return sum(measure(a).chroma for _, a in pairs) / sum(measure(b).chroma for b, _ in pairs)


def saturation(sign: int) -> Callable[[Pairs], None]:
    def check(pairs: Pairs) -> None:
        r = chroma_ratio(pairs)
        assert (r >= 1.15) if sign > 0 else (r <= 0.85), f"chroma ratio {r:.2f}"

    return check


def toned(shadow_rgb, highlight_rgb) -> Callable[[Pairs], None]:
    """A toned monochrome: dark pixels in one hue, light pixels in another (±20 degrees)."""

    def check(pairs: Pairs) -> None:
        for _, after in pairs:
            for (lo, hi), rgb in (((15, 40), shadow_rgb), ((60, 90), highlight_rgb)):
                h = band_hue(after, lo, hi)
                if h is not None:
                    assert hue_gap(h, hue_of(rgb)) <= 20, (lo, hi, h, hue_of(rgb))

    return check


def split(shadow: str, highlight: str) -> Callable[[Pairs], None]:
    """Split toning: shadows pushed toward one named hue, highlights toward the other."""

    def check(pairs: Pairs) -> None:
        seen = 0
        for before, after in pairs:
            # Shadows L<=30, highlights 70..92 (near white, gamut clipping bends every hue).
            for (lo, hi), name in (((0, 30), shadow), ((70, 92), highlight)):
                h = band_shift_hue(before, after, lo, hi)
                if h is not None:
                    seen += 1
                    target = hue_of(COLOUR_NAMES[name])
                    assert hue_gap(h, target) <= 20, (name, lo, round(h), round(target))
        assert seen >= len(pairs), "the toning is too faint to measure"

    return check


def both(*checks: Callable[[Pairs], None]) -> Callable[[Pairs], None]:
    def check(pairs: Pairs) -> None:
        for c in checks:
            c(pairs)

    return check


WARMER = moves(lambda m: m.warmth, +1, 4.0, 1.0)
COOLER = moves(lambda m: m.warmth, -1, 4.0, 1.0)
BRIGHTER = moves(lambda m: m.mean_l, +1, 4.0)
DARKER = moves(lambda m: m.mean_l, -1, 4.0)
MORE_CONTRAST = moves(lambda m: m.std_l, +1, 2.5)
LESS_CONTRAST = moves(lambda m: m.std_l, -1, 2.5)
LIFTED_BLACKS = moves(lambda m: m.p1_l, +1, 5.0)

# (description, a reference that disagrees, check)
CASES = [
    ("black and white", "sunset", neutral),
    ("monochrome", "candy", neutral),
    ("greyscale street photo", "sunset", neutral),
    ("film noir", "snow", both(neutral, DARKER)),
    ("black and white high contrast", "grey", both(neutral, MORE_CONTRAST)),
    ("sepia", "night", toned(SEPIA, SEPIA)),
    ("antique sepia portrait", "candy", toned(SEPIA, SEPIA)),
    ("duotone navy and gold", "sunset", toned(COLOUR_NAMES["navy"], COLOUR_NAMES["gold"])),
    ("teal and orange", "night", split("teal", "orange")),
    ("cinematic teal and orange", "candy", split("teal", "orange")),
    ("teal and magenta", "sunset", split("teal", "magenta")),
    ("cold cyberpunk neon, teal and magenta", "sunset", both(split("teal", "magenta"), COOLER)),
    ("pastel", "candy", both(saturation(-1), BRIGHTER)),
    ("pastel watercolor", "sunset", both(saturation(-1), BRIGHTER)),
    ("vivid", "grey", saturation(+1)),
    ("vibrant saturated colours", "snow", saturation(+1)),
    ("muted", "candy", saturation(-1)),
    ("desaturated and subdued", "sunset", saturation(-1)),
    ("warm", "night", WARMER),
    ("warm golden hour", "grey", WARMER),
    ("cool", "sunset", COOLER),
    ("cold teal", "sunset", both(COOLER, split("teal", "teal"))),
    ("icy winter", "sunset", COOLER),
    ("bright and airy", "night", BRIGHTER),
    ("high key", "night", BRIGHTER),
    ("dark and moody", "snow", DARKER),
    ("low key night", "snow", DARKER),
    ("high contrast", "grey", MORE_CONTRAST),
    ("dramatic", "snow", MORE_CONTRAST),
    ("low contrast", "stark", LESS_CONTRAST),
    ("flat and gentle", "stark", LESS_CONTRAST),
    ("faded", "stark", both(LIFTED_BLACKS, LESS_CONTRAST)),
    ("washed out matte", "stark", both(LIFTED_BLACKS, LESS_CONTRAST)),
]


@pytest.mark.parametrize("with_reference", [False, True], ids=["words alone", "against a reference"])
@pytest.mark.parametrize("description,reference,check", CASES, ids=[c[0] for c in CASES])
def test_the_exported_cube_does_what_the_words_say(
    tmp_path, samples, description, reference, check, with_reference
):
    check(graded_by_cube(tmp_path, description, reference if with_reference else None, samples))


def test_at_least_twenty_descriptions():
    assert len({c[0] for c in CASES}) >= 20


def test_a_reference_still_gives_what_the_words_leave_open(tmp_path, samples):
    """Words that only speak of lightness leave the colour to the reference: a "bright" style
    from a sunset is warmer than "bright" alone, and one from a night is cooler."""
    alone = mean(changes(graded_by_cube(tmp_path, "bright", None, samples), lambda m: m.warmth))
    sunset = mean(changes(graded_by_cube(tmp_path, "bright", "sunset", samples), lambda m: m.warmth))
    night = mean(changes(graded_by_cube(tmp_path, "bright", "night", samples), lambda m: m.warmth))
    assert sunset > alone + 8 and night < alone - 8


@pytest.mark.parametrize(
    "description,reference,field",
    [
        ("portrait without warm tones", "sunset", lambda m: m.warmth),
        ("street at night, not blue", "night", lambda m: -m.warmth),
        ("not bright", "snow", lambda m: m.mean_l),
    ],
    ids=["not warm", "not blue", "not bright"],
)
def test_a_refused_word_leaves_out_what_the_reference_brings(
    tmp_path, samples, description, reference, field
):
    """"without warm tones" on a sunset: the reference alone warms every photo, the refusal
    takes that back (without pushing the other way)."""
    ref_alone = mean(changes(graded_by_cube(tmp_path, "portrait", reference, samples), field))
    refused = mean(changes(graded_by_cube(tmp_path, description, reference, samples), field))
    assert ref_alone > 6, ref_alone
    assert abs(refused) < 2.5, refused
