"""`stylestudio apply` on the photos people bring, in one real batch: a RAW+JPEG pair (the RAW
styled, its JPEG twin skipped and counted), a HEIC, an AVIF, a 16-bit TIFF, and the bad and huge
files (a cut-off DNG, a HEIC declaring 120 megapixels, a 10,000-page TIFF), each failing only
its own photo with a sentence while the batch goes on; and `--depth 16 --colour-space display-p3`. On SQLite only: what is tested here is
the decoding, not the database."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from PIL import Image

from desktop.imaging.colour_spaces import identify
from desktop.pipelines.apply.request import plan_apply
from tests import photo_makers as make
from tests.batch.conftest import photo
from tests.helpers import cli, runtime


@pytest.fixture
def rt(home):
    r = runtime(home)
    yield r
    r.close()


def test_raw_heic_avif_and_16_bit_photos_are_styled_and_bad_ones_fail_alone(rt, style, tmp_path):
    shoot = tmp_path / "shoot"
    make.write_dng(shoot / "IMG_0001.DNG", (128, 96), orientation=6)
    photo(shoot / "IMG_0001.JPG", size=(96, 128))  # the camera's JPEG twin
    make.write_heic(shoot / "IMG_0002.HEIC")
    make.write_avif(shoot / "IMG_0003.avif")
    make.write_tiff16(shoot / "scan16.tif")
    cut = make.write_dng(tmp_path / "whole.dng", (128, 96)).read_bytes()
    (shoot / "cut.dng").write_bytes(cut[: len(cut) // 2])
    make.heif_declaring(make.write_heic(shoot / "huge.heic"), 12_000, 10_000)
    make.many_pages_tiff(shoot / "fax.tif")
    out = tmp_path / "out"

    res = cli("apply", str(style), str(shoot), "--out", str(out), "--json", home=rt.paths.home, timeout=120)
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert "1 file skipped: JPEG twins of RAW photos (the RAW is styled)." in res.stderr
    failed = {f["input"].rsplit("/", 1)[-1]: f["error"] for f in doc["failed"]}
    assert set(failed) == {"cut.dng", "huge.heic", "fax.tif"}, failed
    assert "incomplete" in failed["cut.dng"] and "100 megapixel" in failed["huge.heic"] and "1,000 pages" in failed["fax.tif"]
    assert doc["done"] == 4
    assert sorted(p.name for p in out.iterdir()) == ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg", "scan16.tif"]
    with Image.open(out / "IMG_0001.jpg") as raw:
        assert raw.format == "JPEG" and raw.size == (96, 128)  # developed upright
        exif = raw.getexif()  # the camera and the date travel; the RAW's layout does not
        assert (exif[271], exif[272], exif[306], exif.get(274, 1)) == ("StyleStudio", "TestCam", "2026:12:08 09:30:00", 1)
        assert not {33421, 33422, 50706, 50721} & set(exif)
    with Image.open(out / "IMG_0002.jpg") as heic, Image.open(out / "scan16.tif") as tif:
        assert heic.size == (64, 48) and tif.size == (256, 16)


def test_both_keeps_the_jpeg_twin(tmp_path):
    make.write_dng(tmp_path / "IMG_7.dng")
    photo(tmp_path / "IMG_7.jpg")
    photo(tmp_path / "other.jpg")
    plan = plan_apply([tmp_path])
    assert [p.name for p in plan.files] == ["IMG_7.dng", "other.jpg"]
    assert plan.skipped_sentence == "1 file skipped: JPEG twins of RAW photos (the RAW is styled)"
    assert [p.name for p in plan_apply([tmp_path], both=True).files] == ["IMG_7.dng", "IMG_7.jpg", "other.jpg"]


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
