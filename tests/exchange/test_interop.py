"""Interoperability with reference implementations: colour-science reads and writes .cube
(test-only dependency), and ImageMagick applies our HaldCLUT as we do (skipped without it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings

import pytest
from PIL import Image

from desktop.exchange.cube import Lut, read_cube, write_cube
from desktop.exchange.hald import write_hald
from desktop.imaging.description import grade_from_description
from desktop.imaging.grade import build_lut
from desktop.resources import sample_photos

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour
    import numpy as np
except ImportError:  # .ci/run installs the test extra: missing there is a failure, not a skip
    if os.environ.get("CI"):
        raise
    pytest.skip("colour-science is a test-only dependency (pip install -e '.[test]')", allow_module_level=True)


def _flat_rgb_fastest(table) -> list[float]:
    """colour's LUT3D table is indexed [r, g, b, channel]; ours is flat with red fastest."""
    return np.transpose(np.asarray(table), (2, 1, 0, 3)).reshape(-1).tolist()


def test_a_cube_colour_writes_is_read_to_the_same_table(tmp_path):
    rng = np.random.default_rng(7)
    lut = colour.LUT3D(table=rng.uniform(-0.05, 1.05, (9, 9, 9, 3)), name="Made by colour", domain=np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))
    path = tmp_path / "colour.cube"
    colour.write_LUT(lut, str(path))
    ours = read_cube(path)
    assert (ours.dimensions, ours.size, ours.title) == (3, 9, "Made by colour")
    assert max(abs(a - b) for a, b in zip(ours.table, _flat_rgb_fastest(lut.table), strict=True)) <= 1e-6


def test_a_1d_cube_colour_writes_is_read(tmp_path):
    x = np.linspace(0, 1, 16)
    lut = colour.LUT3x1D(table=np.stack([x**2, x, np.sqrt(x)], axis=-1), name="Curve")
    path = tmp_path / "curve.cube"
    colour.write_LUT(lut, str(path))
    ours = read_cube(path)
    assert (ours.dimensions, ours.size) == (1, 16)
    assert max(abs(a - b) for a, b in zip(ours.table, np.asarray(lut.table).reshape(-1).tolist(), strict=True)) <= 1e-6


@pytest.mark.parametrize("size", [17, 33])
def test_a_cube_we_write_is_read_by_colour_to_the_same_table(tmp_path, size):
    grade = Lut.from_pillow(build_lut(grade_from_description("teal and orange, high contrast"), strength=1.0))
    path = write_cube(tmp_path / "ours.cube", grade, "Teal & orange", size=size, notes=["Generator: local"])
    theirs = colour.read_LUT(str(path))
    assert isinstance(theirs, colour.LUT3D)
    assert theirs.size == size and theirs.name == "Teal & orange"
    ours = read_cube(path)
    assert max(abs(a - b) for a, b in zip(ours.table, _flat_rgb_fastest(theirs.table), strict=True)) <= 1e-6


# ImageMagick by its own name or Debian's path: a `convert` elsewhere on PATH may be a stand-in
MAGICK = shutil.which("magick") or next((p for p in ("/usr/bin/convert-im6.q16", "/usr/bin/convert") if os.access(p, os.X_OK)), None)


def test_imagemagick_applies_our_hald_as_we_apply_the_grade(tmp_path):
    if MAGICK is None:
        if os.environ.get("CI"):  # .ci/run installs it
            pytest.fail("ImageMagick is missing on CI; .ci/run should have installed imagemagick")
        pytest.skip("ImageMagick (magick or convert) is not installed")
    grade = build_lut(grade_from_description("warm faded vintage film"), strength=1.0)
    hald = write_hald(tmp_path / "hald.png", grade)
    photo = Image.open(sample_photos()[1]).convert("RGB")
    photo.thumbnail((160, 160))
    src = tmp_path / "photo.png"
    photo.save(src)
    out = tmp_path / "magick.png"
    done = subprocess.run([MAGICK, str(src), str(hald), "-hald-clut", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    theirs = Image.open(out).convert("RGB").tobytes()
    ours = photo.filter(grade).tobytes()
    diffs = [abs(a - b) for a, b in zip(ours, theirs, strict=True)]
    assert max(diffs) <= 2, f"max difference {max(diffs)}/255"
