"""The colour grade as a 3D LUT and grades from words (the .cube files: tests/exchange)."""

from __future__ import annotations

import math

import pytest
from PIL import Image, ImageChops, ImageStat

from desktop.imaging.analysis import analyse
from desktop.imaging.colour import rgb_to_lab
from desktop.imaging.description import grade_from_description, ruled_out
from desktop.imaging.grade import NEUTRAL, TONE_RATIO, GradeStats, build_lut


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def graded(rgb, lut) -> tuple[int, int, int]:
    return Image.new("RGB", (1, 1), rgb).filter(lut).getpixel((0, 0))


def test_neutral_target_and_zero_strength_are_identity(sample_photo):
    assert mean_abs_diff(sample_photo, sample_photo.filter(build_lut(NEUTRAL))) < 0.05
    warm = grade_from_description("very warm and vivid")
    assert mean_abs_diff(sample_photo, sample_photo.filter(build_lut(warm, strength=0))) < 0.05
    assert grade_from_description("a quiet photo of my cat") == NEUTRAL


def test_a_moody_teal_and_orange_grade_builds_a_full_size_lut():
    """How fast it builds is measured in benchmarks/bench_imaging.py, not asserted here."""
    lut = build_lut(grade_from_description("warm teal and orange, moody"))
    assert lut.size == (33, 33, 33) and len(lut.table) == 33**3 * 3
    r, g, b = graded((128, 128, 128), lut)
    assert (r, g, b) != (128, 128, 128) and r > b  # mid grey is moved, and warmed


@pytest.mark.parametrize(
    "words,check",
    [
        ("warm", lambda lab: lab[2] > 8),
        ("cool", lambda lab: lab[2] < -6),
        ("bright and airy", lambda lab: lab[0] > 60),
        ("dark and moody", lambda lab: lab[0] < 47),
    ],
)
def test_words_move_a_mid_grey(words, check):
    out = graded((119, 119, 119), build_lut(grade_from_description(words)))  # L = 50
    assert check(rgb_to_lab(out)), (words, out, rgb_to_lab(out))


def test_muted_and_vivid_change_saturation():
    colour = (180, 90, 60)
    chroma = lambda rgb: (rgb_to_lab(rgb)[1] ** 2 + rgb_to_lab(rgb)[2] ** 2) ** 0.5  # noqa: E731
    muted = chroma(graded(colour, build_lut(grade_from_description("muted"))))
    vivid = chroma(graded(colour, build_lut(grade_from_description("vivid"))))
    assert muted < chroma(colour) - 8 < vivid - 16


def test_teal_and_orange_split_tones():
    lut = build_lut(grade_from_description("teal and orange"))
    _, sa, sb = rgb_to_lab(graded((45, 45, 45), lut))  # shadows go teal
    _, ha, hb = rgb_to_lab(graded((200, 200, 200), lut))  # highlights go orange
    assert sa < -3 and ha > 3 and hb > 5


def test_negated_words_do_nothing():
    assert grade_from_description("no warm tones, not dark") == NEUTRAL


def test_grade_from_reference_moves_toward_it():
    blue = Image.new("RGB", (64, 64), (40, 70, 160))
    blue.paste((90, 120, 210), (0, 0, 64, 32))
    lut = build_lut(GradeStats.from_analysis(analyse(blue)))
    _, a, b = rgb_to_lab(graded((119, 119, 119), lut))
    assert b < -15


def test_tone_curve_stays_monotone_for_a_flat_reference():
    flat = GradeStats.from_analysis(analyse(Image.new("RGB", (32, 32), (128, 128, 128))))
    lut = build_lut(flat, strength=1.0)
    greys = [graded((v, v, v), lut)[1] for v in range(0, 256, 5)]
    assert greys == sorted(greys)
    assert greys[-1] - greys[0] > 60  # slopes are kept >= 0.3: the picture is not erased


def _hue(rgb) -> float:
    _, a, b = rgb_to_lab(rgb)
    return math.degrees(math.atan2(b, a)) % 360


def _chroma(rgb) -> float:
    _, a, b = rgb_to_lab(rgb)
    return math.hypot(a, b)


def test_a_reference_darkens_a_photo_only_as_far_as_its_structure_survives():
    """A night-black reference would crush a daylight photo; its tone curve stops at a ratio
    of the old lightness (words are not limited: "faded" still lifts black)."""
    night = Image.new("RGB", (64, 64), (12, 6, 20))
    night.paste((40, 10, 50), (0, 0, 64, 16))
    grade = GradeStats.from_analysis(analyse(night))
    assert grade.tones[3] < 5  # the reference's median is nearly black
    mid = rgb_to_lab(graded((119, 119, 119), build_lut(grade, strength=1.0)))[0]  # from L=50
    assert 50 * TONE_RATIO - 2 <= mid < 40
    assert rgb_to_lab(graded((0, 0, 0), build_lut(grade_from_description("faded"))))[0] > 8


def test_a_photo_gets_the_reference_colour_at_the_same_rank_of_lightness():
    """A dark reference, blue in its darker half and brown in its lighter half: a photo's
    shadows go blue and its highlights warm, though the reference has no bright pixels."""
    ref = Image.new("RGB", (64, 64), (20, 30, 60))
    ref.paste((70, 45, 20), (0, 0, 64, 32))
    lut = build_lut(GradeStats.from_analysis(analyse(ref)), strength=1.0)
    assert rgb_to_lab(graded((40, 40, 40), lut))[2] < -10
    assert rgb_to_lab(graded((200, 200, 200), lut))[2] > 5


def test_a_tint_near_white_keeps_its_hue():
    """Colours the grade pushes out of gamut are brought back along the grade, not clipped per
    channel (which turned magenta highlights purple)."""
    lut = build_lut(grade_from_description("teal and magenta"))
    magenta = _hue((210, 40, 160))
    for v in (200, 225, 240):
        out = graded((v, v, v), lut)
        assert _chroma(out) > 5 and abs(_hue(out) - magenta) < 8, (v, out)


def test_a_cooler_grade_never_makes_a_blue_sky_warmer():
    lut = build_lut(grade_from_description("cold"), strength=1.0)
    for sky in ((40, 110, 230), (20, 60, 200), (120, 180, 250)):
        assert rgb_to_lab(graded(sky, lut))[2] <= rgb_to_lab(sky)[2] + 0.5, sky


def test_a_reference_evens_out_saturation_across_photos():
    """Vibrance: the reference's colour spread lifts dull colours more than vivid ones, so
    photos of any saturation end up nearer the reference's."""
    ref = Image.new("RGB", (64, 64), (150, 110, 90))
    ref.paste((90, 110, 140), (0, 0, 64, 32))
    grade = GradeStats.from_analysis(analyse(ref))
    lut = build_lut(grade, strength=1.0)
    plain = build_lut(GradeStats.from_dict({**grade.to_dict(), "even_chroma": False}), strength=1.0)
    dull, vivid = (118, 120, 130), (200, 60, 40)
    assert _chroma(graded(dull, lut)) > _chroma(graded(dull, plain)) + 1
    assert _chroma(graded(vivid, lut)) < _chroma(graded(vivid, plain)) - 5


def test_grades_saved_before_the_reference_limits_rebuild_unchanged():
    grade = GradeStats.from_analysis(analyse(Image.new("RGB", (8, 8), (30, 40, 90))))
    assert grade.limit_tones and grade.even_chroma and grade.tint_ranks
    assert GradeStats.from_dict(grade.to_dict()) == grade
    old = {k: v for k, v in grade.to_dict().items() if k not in ("tint_ranks", "limit_tones", "even_chroma")}
    again = GradeStats.from_dict(old)
    assert not again.limit_tones and not again.even_chroma and again.tint_ranks is None


def test_a_refused_word_removes_what_the_reference_brings():
    """"without warm tones" on a sunset reference: the reference's warmth is left out (and
    nothing is pushed cold); its lightness stays."""
    sunset = GradeStats.from_analysis(analyse(Image.new("RGB", (16, 16), (230, 120, 40))))
    assert ruled_out("portrait without warm tones, no orange") == {"warm", "orange"}
    warm = rgb_to_lab(graded((119, 119, 119), build_lut(grade_from_description("portrait", sunset))))
    plain = rgb_to_lab(
        graded((119, 119, 119), build_lut(grade_from_description("portrait without warm tones", sunset)))
    )
    assert warm[2] > 15 and abs(plain[2]) < 4 and abs(plain[1]) < 4
    assert abs(plain[0] - warm[0]) < 3
