"""A style made from a graded reference carries the grade, not the reference's content
(issue 20, section 2): each test grades a real sample photo, makes a style from it as
``stylestudio generate "in the colours of this photo" --reference`` does, and puts the style on
another sample photo."""

from __future__ import annotations

import math

import pytest
from PIL import Image, ImageEnhance, ImageOps

from desktop.generators.local import fit_long_edge, plan_style
from desktop.imaging.analysis import analyse
from desktop.imaging.colour import LINEAR_8BIT, linear_to_srgb, rgb_to_lab
from desktop.imaging.grade import NEUTRAL, GradeStats
from desktop.imaging.intake import load_image
from desktop.imaging.look_reading import read_look
from desktop.resources import sample_photos

DESCRIPTION = "in the colours of this photo"


def photo(name: str, size: int = 128) -> Image.Image:
    path = next(p for p in sample_photos() if p.stem == name)
    return fit_long_edge(load_image(path).image.convert("RGB"), size)


def styled(reference: Image.Image, target: Image.Image, description: str = DESCRIPTION):
    return target.filter(plan_style(description, reference, seed=1).lut)


def per_channel(img: Image.Image, fns) -> Image.Image:
    """``img`` with each channel through its function of the 8-bit value (0..255 -> 0..255)."""
    table = [min(255, max(0, round(fn(v)))) for fn in fns for v in range(256)]
    return img.point(table)


def white_balance(img: Image.Image, gains: tuple[float, float, float]) -> Image.Image:
    """Channel gains in linear light, as a camera's white balance."""
    return per_channel(
        img, [lambda v, g=g: 255 * linear_to_srgb(min(1.0, LINEAR_8BIT[v] * g)) for g in gains]
    )


def mean_delta_e(a: Image.Image, b: Image.Image) -> float:
    pa, pb = list(a.get_flattened_data()), list(b.get_flattened_data())
    return sum(math.dist(rgb_to_lab(x), rgb_to_lab(y)) for x, y in zip(pa, pb, strict=True)) / len(pa)


def grey_b(img: Image.Image) -> float:
    """The b (yellow +, blue -) a mid grey gets from the style in ``img``'s place: read on a
    grey photo."""
    return rgb_to_lab(img.getpixel((0, 0)))[2]


def test_lifted_blacks_on_the_reference_lift_the_blacks_of_another_photo():
    matte = per_channel(photo("coffee"), [lambda v: 31 + v * 224 / 255] * 3)  # black at 12 %
    target = photo("astronaut")
    before = analyse(target).tones[1]
    after = analyse(styled(matte, target)).tones[1]
    assert before < 2 and after > before + 6, (before, after)
    plain = analyse(styled(photo("coffee"), target)).tones[1]
    assert plain < before + 2  # the ungraded coffee photo lifts nothing


def test_a_cool_cast_on_a_warm_photo_cools_the_greys_of_another_photo():
    """The brown cat graded cool: the style cools a light grey (not warms it, as the cat's fur
    would), no grey ends warmer than with the ungraded cat as the reference, and the light
    greys end far cooler. The cat's shadows and mid-tones are fur, no neutral surface: their
    grey mode is a loose cloud, not trusted as a cast (so the ungraded cat warms no mid grey,
    and the cool one cools it little); its whiskers in the highlights are a tight one."""
    cool = white_balance(photo("chelsea"), (0.8, 0.97, 1.2))
    for v in (100, 150, 200):
        grey = Image.new("RGB", (8, 8), (v, v, v))
        cooled, plain = grey_b(styled(cool, grey)), grey_b(styled(photo("chelsea"), grey))
        assert cooled <= plain and plain < 4, (v, cooled, plain)
        assert v < 200 or cooled < plain - 4, (v, cooled, plain)
    assert grey_b(styled(cool, Image.new("RGB", (8, 8), (200, 200, 200)))) < -1.5


def test_a_warm_cast_warms_greys_and_the_word_cool_still_wins():
    warm = white_balance(photo("astronaut"), (1.15, 1.0, 0.75))
    grey = Image.new("RGB", (8, 8), (150, 150, 150))
    assert grey_b(styled(warm, grey)) > 4
    assert grey_b(styled(warm, grey, "cool, in the colours of this photo")) < -4


@pytest.mark.parametrize("reference", ["astronaut", "coffee"])
def test_an_ungraded_reference_changes_another_photo_little(reference):
    """About 0 and 5 dE76 now; when the style copied the reference's statistics, a style from
    these photos changed other photos by 15 and 30 dE76 on average (benchmarks/bench_quality)."""
    target = photo("rocket", 64)
    assert mean_delta_e(target, styled(photo(reference), target)) < 6


def test_a_toned_monochrome_reference_gives_a_toned_monochrome():
    toned = ImageOps.colorize(
        ImageOps.grayscale(photo("rocket")), black=(20, 13, 8), mid=(143, 120, 92), white=(250, 242, 222)
    )
    out = styled(toned, photo("coffee", 64))  # a red cup on a blue table
    labs = [rgb_to_lab(p) for p in out.get_flattened_data()]
    chroma = sorted(math.hypot(a, b) for _, a, b in labs)
    assert chroma[int(0.98 * len(chroma))] < 22  # no colour of its own survives
    mids = [(a, b) for big_l, a, b in labs if 40 < big_l < 70]
    assert mids and all(b > 4 and abs(a) < 8 for a, b in mids)  # every mid-tone is toned


def test_reading_a_look_round_trips_and_older_grades_still_build():
    grade = plan_style(DESCRIPTION, per_channel(photo("coffee"), [lambda v: 31 + v * 0.8] * 3), seed=1).grade
    assert grade.casts and grade.levels and grade.levels[1] > 0.08
    assert GradeStats.from_dict(grade.to_dict()) == grade
    assert not grade.levels_first  # the reference's colour, then its levels
    old = {k: v for k, v in grade.to_dict().items() if k not in ("casts", "levels", "levels_first")}
    again = GradeStats.from_dict(old)
    assert not again.casts and again.levels is None and not again.levels_first


def test_colour_from_words_goes_on_after_the_references_levels():
    """A matte reference and "cool": the levels go first, so the blue the word gives is what
    the photo shows (and it round-trips)."""
    matte = per_channel(photo("coffee"), [lambda v: 31 + v * 0.8] * 3)
    grade = plan_style("cool", matte, seed=1).grade
    assert grade.levels and grade.levels_first
    assert GradeStats.from_dict(grade.to_dict()) == grade
    grey = Image.new("RGB", (8, 8), (128, 128, 128))
    assert grey_b(styled(matte, grey, "cool")) < grey_b(grey) - 4


def test_whites_are_rolled_off_only_where_they_pile_up_under_their_ceiling():
    """The cat's lightest surface stops at 81 % of white with nothing piled under it: content,
    not a grade (it used to dim every photo's whites). A shoulder that squeezes the light tones
    under 80 % is read, on the cat and on the astronaut."""
    def shoulder(v: float) -> float:  # a soft shoulder from 40 %, topping out at 80 %
        x = v / 255
        return 255 * (x if x <= 0.4 else 0.4 + 0.4 * (1 - math.exp(-(x - 0.4) * 2.875)) / (1 - math.exp(-1.725)))

    assert read_look(photo("chelsea")).levels is None
    for name in ("chelsea", "astronaut"):
        levels = read_look(per_channel(photo(name), [shoulder] * 3)).levels
        assert levels is not None and levels[2] < 0.85, (name, levels)


def test_a_film_curves_foot_is_not_read_as_lifted_blacks():
    """A print film's S reaches black at 3 % but darkens the shadows: a lift read there would
    brighten what the look darkens. A matte's 12 % is read."""
    def film(v: float) -> float:
        x = v / 255
        s = (1 / (1 + math.exp(-6 * (x - 0.5))) - 0.0474) / (0.9526 - 0.0474)
        return 255 * (0.03 + 0.93 * (0.2 * x + 0.8 * s))

    levels = read_look(per_channel(photo("astronaut"), [film] * 3)).levels
    assert levels is None or levels[1] == 0, levels  # (its whites at 96 % may be read)
    matte = read_look(per_channel(photo("astronaut"), [lambda v: 31 + v * 0.88] * 3)).levels
    assert matte is not None and matte[1] > 0.08


def test_saturation_is_read_from_the_strongest_colours():
    """Every sample photo, whatever its main colour, has a few strong colours: none reads as
    muted. The astronaut with its colour halved does, and the cat too."""
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        assert read_look(photo(name)).std[1] == NEUTRAL.std[1], name
    for name in ("astronaut", "chelsea"):
        muted = read_look(ImageEnhance.Color(photo(name)).enhance(0.5))
        assert muted.std[1] < 0.9 * NEUTRAL.std[1], name


def test_a_tinted_black_on_the_reference_tints_the_blacks_of_another_photo():
    """Cross-processing lifts the blue channel's black to 16 %, red and green still reach 0: the
    style gives another photo's blacks that blue (before, the darkest channel alone was read,
    and nothing was). A natural photo's channels reach black together: no tint, or a trace (the
    coffee scene's red at 128 px: 3/255), is read."""
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        tint = read_look(photo(name)).black_tint
        assert tint is None or max(tint) < 0.02, (name, tint)
    blue = per_channel(photo("coffee"), [lambda v: v, lambda v: v, lambda v: 41 + v * 0.68])
    grade = plan_style(DESCRIPTION, blue, seed=1).grade
    assert grade.black_tint and grade.black_tint[2] > 0.06 and max(grade.black_tint[:2]) < 0.02, grade.black_tint
    assert GradeStats.from_dict(grade.to_dict()) == grade
    black = Image.new("RGB", (4, 4), (0, 0, 0))
    r, g, b = styled(blue, black).getpixel((0, 0))
    assert b >= 20 and r <= 4 and g <= 4, (r, g, b)
    # a word's colour wins: the reference's tinted black is dropped with "warm"
    r, g, b = styled(blue, black, "warm, in the colours of this photo").getpixel((0, 0))
    assert b <= 6, (r, g, b)
