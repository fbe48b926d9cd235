"""The .cube reader and writer on real files: what other tools write is read, what is wrong is
refused with one sentence, and what we write has the header tools expect."""

from __future__ import annotations

import math

import pytest

from desktop.exchange.cube import CubeError, Lut, read_cube, write_cube
from desktop.imaging.grade import identity_lut


def _grid(n: int, f=lambda r, g, b: (r, g, b)) -> list[str]:
    rows = []
    for b in range(n):
        for g in range(n):
            for r in range(n):
                rows.append("{:.6f} {:.6f} {:.6f}".format(*f(r / (n - 1), g / (n - 1), b / (n - 1))))
    return rows


def _write(tmp_path, text: str, name="x.cube", newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


@pytest.mark.parametrize("n", [2, 5, 17])
def test_3d_tables_of_any_size_are_read(tmp_path, n):
    swap = lambda r, g, b: (b, g * 0.5, r)  # noqa: E731
    path = _write(tmp_path, f'TITLE "Swap"\nLUT_3D_SIZE {n}\n' + "\n".join(_grid(n, swap)) + "\n")
    lut = read_cube(path)
    assert (lut.dimensions, lut.size, lut.title) == (3, n, "Swap")
    # red varies fastest: the second row is (r=1/(n-1), 0, 0) -> (0, 0, 1/(n-1))
    assert lut.table[3:6].tolist() == pytest.approx([0, 0, 1 / (n - 1)], abs=1e-6)
    graded = lut.to_pillow()
    assert graded.size == (n, n, n)


def test_windows_line_ends_comments_and_a_bom_are_fine(tmp_path):
    text = "\ufeff# made elsewhere\nTITLE \"Ident\"\n\n# size next\nLUT_3D_SIZE 3\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n" + "\n".join(_grid(3)) + "\n\n"
    path = tmp_path / "w.cube"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    lut = read_cube(path)
    assert lut.size == 3 and lut.title == "Ident"
    assert "made elsewhere" in lut.comments
    assert lut.table.tolist() == pytest.approx(identity_lut(3).table, abs=1e-9)


def test_a_1d_lut_becomes_a_3d_grade(tmp_path):
    n = 11
    rows = [f"{(i / 10) ** 2:.6f} {i / 10:.6f} {1 - i / 10:.6f}" for i in range(n)]
    path = _write(tmp_path, "LUT_1D_SIZE 11\n" + "\n".join(rows) + "\n", name="curve.cube")
    lut = read_cube(path)
    assert (lut.dimensions, lut.size, lut.title) == (1, 11, "")
    unit = lut.to_unit(5)
    # grid point (r, g, b) = (0.5, 0.25, 1.0): index r=2, g=1, b=4
    i = 3 * ((4 * 5 + 1) * 5 + 2)
    assert unit.table[i:i + 3].tolist() == pytest.approx([0.25, 0.25, 0.0], abs=1e-6)


def test_a_domain_other_than_0_to_1_is_honoured(tmp_path):
    # domain 0..2: the table at input 1.0 sits half way; an identity over 0..2 maps 1.0 -> 1.0
    path = _write(tmp_path, "LUT_3D_SIZE 3\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n" + "\n".join(_grid(3, lambda r, g, b: (2 * r, 2 * g, 2 * b))) + "\n")
    lut = read_cube(path)
    assert lut.domain_max == (2.0, 2.0, 2.0)
    unit = lut.to_unit(3)
    assert unit.table.tolist() == pytest.approx(identity_lut(3).table, abs=1e-9)


@pytest.mark.parametrize(
    "body, words",
    [
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:-1]) + "\n", "7 rows of numbers where 2x2x2 needs 8"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2) + ["0 0 0"]) + "\n", "more rows of numbers than the 8"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:-1] + ["0.1 zero 0.3"]) + "\n", "is not three numbers"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:-1] + ["0.1 0.2"]) + "\n", "is not three numbers"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:-1] + ["0.1 nan 0.3"]) + "\n", "not a finite number"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:-1] + ["0.1 inf 0.3"]) + "\n", "not a finite number"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:-1] + ["0.1 250 0.3"]) + "\n", "far outside its domain"),
        ("LUT_3D_SIZE 2\n" + "\n".join(_grid(2)[:4] + ["TITLE \"late\""] + _grid(2)[4:]) + "\n", "keyword after the table"),
        ("LUT_1D_SIZE 2\nLUT_3D_SIZE 2\n" + "\n".join(_grid(2)) + "\n", "more than one table"),
        ("LUT_3D_SIZE 300\n0 0 0\n", "outside 2..256"),
        ("LUT_3D_SIZE two\n", "not a whole number"),
        ("DOMAIN_MIN 1 1 1\nDOMAIN_MAX 0 0 0\nLUT_3D_SIZE 2\n", "DOMAIN_MIN is not below"),
        ("TITLE \"nothing\"\n", "no LUT_3D_SIZE"),
        ("LUT_3D_SIZE 2\n\x00\x01binary", "binary file"),
    ],
)
def test_a_bad_cube_is_refused_in_one_sentence(tmp_path, body, words):
    path = _write(tmp_path, body, name="bad.cube")
    with pytest.raises(CubeError) as err:
        read_cube(path)
    text = str(err.value)
    assert words in text
    assert text.startswith('The LUT "bad.cube" can\'t be used: ') and text.endswith(".") and "\n" not in text


@pytest.mark.parametrize("size", [17, 33, 65])
def test_written_cubes_have_the_header_tools_expect(tmp_path, size):
    lut = Lut.from_pillow(identity_lut(33))
    path = write_cube(tmp_path / f"out{size}.cube", lut, "Café crème", size=size, notes=["Description: warm", "Generator: local"])
    lines = path.read_text(encoding="ascii").splitlines()
    assert 'TITLE "Cafe creme"' in lines
    assert f"LUT_3D_SIZE {size}" in lines
    assert "DOMAIN_MIN 0.0 0.0 0.0" in lines and "DOMAIN_MAX 1.0 1.0 1.0" in lines
    assert "# Description: warm" in lines
    assert len([ln for ln in lines if ln[:1].isdigit()]) == size**3
    back = read_cube(path)
    assert back.table.tolist() == pytest.approx(identity_lut(size).table, abs=1e-6)  # identity stays exact


def test_resampling_a_smooth_grade_stays_close(tmp_path):
    curve = lambda r, g, b: (r**0.8, math.sqrt(g), b * b)  # noqa: E731
    lut = read_cube(_write(tmp_path, "LUT_3D_SIZE 33\n" + "\n".join(_grid(33, curve)) + "\n"))
    big = read_cube(write_cube(tmp_path / "big.cube", lut, "x", size=65))
    # a grid point of the 65 grid that is also on the 33 grid is exact; others interpolate
    i = 3 * ((64 * 65 + 32) * 65 + 16)
    assert big.table[i:i + 3].tolist() == pytest.approx([0.25**0.8, math.sqrt(0.5), 1.0], abs=1e-6)
    j = 3 * ((1 * 65 + 1) * 65 + 1)  # 1/64 on each axis: half way between grid points 0 and 1/32
    half = [(a + b) / 2 for a, b in zip(curve(0, 0, 0), curve(1 / 32, 1 / 32, 1 / 32), strict=True)]
    assert big.table[j:j + 3].tolist() == pytest.approx(half, abs=1e-6)
