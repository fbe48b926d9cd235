"""The colour grade as a 3D LUT, grades from words, and .cube files."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from desktop.imaging.analysis import analyse
from desktop.imaging.colour import rgb_to_lab
from desktop.imaging.lut import (
    NEUTRAL,
    CubeError,
    GradeStats,
    build_lut,
    grade_from_description,
    read_cube,
    write_cube,
)

from .corpus import noisy_rgb


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


def test_cube_layout_is_red_fastest(tmp_path):
    swap = ImageFilter.Color3DLUT.generate(5, lambda r, g, b: (b, g, r))
    path = tmp_path / "swap.cube"
    write_cube(path, swap, 'Swap "red" and blue')
    lines = path.read_text().splitlines()
    assert "TITLE \"Swap 'red' and blue\"" in lines
    assert (
        "LUT_3D_SIZE 5" in lines
        and "DOMAIN_MIN 0.0 0.0 0.0" in lines
        and "DOMAIN_MAX 1.0 1.0 1.0" in lines
    )
    rows = [line for line in lines if line[0].isdigit()]
    assert len(rows) == 125
    assert rows[1] == "0.000000 0.000000 0.250000"  # second row: red = 1/4, so output blue = 1/4
    back = read_cube(path)
    assert graded((255, 0, 0), back) == (0, 0, 255)
    assert graded((0, 255, 0), back) == (0, 255, 0)


def test_cube_round_trip_reproduces_the_preview(tmp_path, sample_photo):
    ref = noisy_rgb((128, 128), seed=3).point(lambda v: v // 2 + 100)
    lut = build_lut(
        grade_from_description(
            "warm teal and orange, high contrast", base=GradeStats.from_analysis(analyse(ref))
        )
    )
    path = tmp_path / "grade.cube"
    write_cube(path, lut, "Test grade")
    again = read_cube(path)
    assert again.size == (33, 33, 33)
    preview = sample_photo.filter(lut)
    assert mean_abs_diff(preview, sample_photo) > 5  # the grade does something
    assert mean_abs_diff(preview, sample_photo.filter(again)) < 1.5
    assert (
        max(hi for _, hi in ImageChops.difference(preview, sample_photo.filter(again)).getextrema())
        <= 1
    )


def test_read_cube_from_another_tool(tmp_path):
    path = tmp_path / "other.cube"
    rows = [f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    path.write_text(
        '# made elsewhere\r\nTITLE "x"\r\n\r\nLUT_3D_SIZE 2\r\nLUT_3D_INPUT_RANGE 0 1\r\n'
        + "\r\n".join(rows)
        + "\r\n"
    )
    lut = read_cube(path)
    assert graded((10, 200, 90), lut) == (10, 200, 90)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("LUT_1D_SIZE 2\n0 0 0\n1 1 1\n", "1D LUT"),
        ("LUT_3D_SIZE 2\n0 0 0\n", "1 colour rows where 8"),
        ("0 0 0\n", "no LUT_3D_SIZE"),
        ("LUT_3D_SIZE 2\nDOMAIN_MAX 4 4 4\n", "domain"),
        ("LUT_3D_SIZE 2\n0 zero 0\n", "not three numbers"),
        ("LUT_3D_SIZE 99\n", "outside 2..65"),
    ],
)
def test_bad_cube_files_are_explained(tmp_path, text, needle):
    path = tmp_path / "bad.cube"
    path.write_text(text)
    with pytest.raises(CubeError) as info:
        read_cube(path)
    msg = str(info.value)
    assert '"bad.cube"' in msg and needle in msg and "export it again" in msg


def test_missing_cube_file(tmp_path):
    with pytest.raises(CubeError, match='"nope.cube"'):
        read_cube(tmp_path / "nope.cube")
