"""`stylestudio apply --depth 16 --colour-space ... --strip-location` end to end: a 16-bit TIFF
stays 16-bit, a RAW becomes a 16-bit TIFF, both in Display P3 with its profile; 16 bits asked
of JPEG is refused before anything is queued. On SQLite only."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

from desktop.imaging.colour_spaces import identify
from tests import photo_makers as make
from tests.helpers import cli, runtime


@pytest.fixture
def rt(home):
    r = runtime(home)
    yield r
    r.close()


def test_depth_16_and_display_p3_out_through_the_command(rt, style, tmp_path):
    shoot = tmp_path / "shoot"
    make.write_tiff16(shoot / "scan16.tif")
    make.write_dng(shoot / "IMG_0001.DNG", (64, 48))
    out = tmp_path / "out"
    res = cli(
        "apply", str(style), str(shoot), "--out", str(out), "--depth", "16", "--colour-space", "display-p3",
        "--strip-location", "--json", home=rt.paths.home, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["done"] == 2
    assert sorted(p.name for p in out.iterdir()) == ["IMG_0001.tif", "scan16.tif"]
    for name in ("IMG_0001.tif", "scan16.tif"):
        with tifffile.TiffFile(out / name) as tif:
            page = tif.pages.first
            assert page.asarray().dtype == np.uint16
            assert identify(page.tags["InterColorProfile"].value) == "display-p3"

    refused = cli("apply", str(style), str(shoot), "--out", str(out), "--depth", "16", "--format", "jpeg", home=rt.paths.home)
    assert refused.returncode == 2 and "8 bits" in refused.stderr
