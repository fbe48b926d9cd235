"""The style's own .cube file: Pillow's table written as a .cube (red varying fastest) and any
.cube read back as the table Pillow applies (``write_pillow_lut``, ``read_pillow_lut``)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from desktop.exchange.cube import CubeError, read_pillow_lut, write_pillow_lut
from desktop.imaging.analysis import analyse
from desktop.imaging.description import grade_from_description
from desktop.imaging.grade import GradeStats, build_lut
from desktop.imaging.intake import load_image
from desktop.resources import sample_photos
from tests.imaging.corpus import noisy_rgb


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    path = next(p for p in sample_photos() if p.name == "astronaut.png")
    return load_image(path).image


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def graded(rgb, lut) -> tuple[int, int, int]:
    return Image.new("RGB", (1, 1), rgb).filter(lut).getpixel((0, 0))


def test_cube_layout_is_red_fastest(tmp_path):
    swap = ImageFilter.Color3DLUT.generate(5, lambda r, g, b: (b, g, r))
    path = tmp_path / "swap.cube"
    write_pillow_lut(path, swap, 'Swap "red" and blue')
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
    back = read_pillow_lut(path)
    assert graded((255, 0, 0), back) == (0, 0, 255)
    assert graded((0, 255, 0), back) == (0, 255, 0)


def test_cube_round_trip_reproduces_the_preview(tmp_path, astronaut):
    ref = noisy_rgb((128, 128), seed=3).point(lambda v: v // 2 + 100)
    lut = build_lut(
        grade_from_description(
            "warm teal and orange, high contrast", base=GradeStats.from_analysis(analyse(ref))
        )
    )
    path = tmp_path / "grade.cube"
    write_pillow_lut(path, lut, "Test grade")
    again = read_pillow_lut(path)
    assert again.size == (33, 33, 33)
    preview = astronaut.filter(lut)
    assert mean_abs_diff(preview, astronaut) > 5  # the grade does something
    assert mean_abs_diff(preview, astronaut.filter(again)) < 1.5
    assert (
        max(hi for _, hi in ImageChops.difference(preview, astronaut.filter(again)).getextrema())
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
    lut = read_pillow_lut(path)
    assert graded((10, 200, 90), lut) == (10, 200, 90)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("LUT_3D_SIZE 2\n0 0 0\n", "1 row of numbers where 2x2x2 needs 8"),
        ("0 0 0\n", "no LUT_3D_SIZE"),
        ("LUT_3D_SIZE 2\n0 zero 0\n", "not three numbers"),
        ("LUT_3D_SIZE 300\n", "outside 2..256"),
        ("LUT_3D_SIZE 2\n" + "0 0 nan\n" * 8, "not a finite number"),
    ],
)
def test_bad_cube_files_are_explained(tmp_path, text, needle):
    """The style's own reader is the full .cube reader (``read_cube``, tested in
    tests/exchange/test_cube.py): a bad file is refused in one sentence naming it."""
    path = tmp_path / "bad.cube"
    path.write_text(text)
    with pytest.raises(CubeError) as info:
        read_pillow_lut(path)
    msg = str(info.value)
    assert '"bad.cube"' in msg and needle in msg and "export it again" in msg


def test_a_1d_cube_from_another_tool_is_read_as_the_3d_table_pillow_applies(tmp_path):
    path = tmp_path / "curve.cube"
    path.write_text("LUT_1D_SIZE 2\n1 1 1\n0 0 0\n")  # an inverting curve
    lut = read_pillow_lut(path)
    assert graded((10, 200, 90), lut) == (245, 55, 165)


def test_missing_cube_file(tmp_path):
    with pytest.raises(CubeError, match='"nope.cube"'):
        read_pillow_lut(tmp_path / "nope.cube")
