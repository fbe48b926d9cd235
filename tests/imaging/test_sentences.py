"""Sentences that tell the truth about a picture: a valid TIFF in a colour model Style Studio
does not read is called that (not "damaged"), and Pillow's warnings about a picture (broken
EXIF) go to the log, never to the terminal, while the picture still loads."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from desktop.imaging.intake import ImageRefused, check_image_file, load_image
from tests.helpers import REPO

from .corpus import corrupt_exif_jpeg, lab_tiff, noisy_rgb, write
from .test_intake import assert_sentence

CONVERT = "convert it to RGB in your photo editor, save it, and try the new copy"


@pytest.mark.parametrize("photometric,model", [(8, "CIELab"), (9, "ICC Lab"), (10, "ITU Lab")])
def test_a_16_bit_lab_tiff_is_named_for_its_colour_model(tmp_path, photometric, model):
    data = lab_tiff(40, 30, bits=16, photometric=photometric)
    path = write(tmp_path / "scan.tif", data)
    expected = (
        f'Can\'t open "scan.tif": it uses the {model} colour model (16-bit channels), '
        f"which Style Studio can't read; {CONVERT}."
    )
    for call in (lambda: load_image(path), lambda: check_image_file(path), lambda: load_image(data, name="scan.tif")):
        with pytest.raises(ImageRefused) as info:
            call()
        assert str(info.value) == expected
        assert_sentence(str(info.value), "scan.tif", model)
        assert "damaged" not in str(info.value)


def test_an_8_bit_cielab_tiff_still_loads_in_the_right_colours(tmp_path):
    loaded = load_image(write(tmp_path / "lab8.tif", lab_tiff(16, 4, bits=8)))
    black, white = loaded.image.getpixel((0, 0)), loaded.image.getpixel((15, 0))
    assert max(black) <= 2 and min(white) >= 252  # L from 0 to 100, a* = b* = 0: greys


def test_a_floating_point_rgb_tiff_says_how_to_save_it(tmp_path):
    path = write(tmp_path / "hdr.tif", lab_tiff(8, 8, bits=32, photometric=2, sample_format=3))
    with pytest.raises(ImageRefused) as info:
        load_image(path)
    assert str(info.value) == (
        'Can\'t open "hdr.tif": it stores its RGB colours as 32-bit floating-point channels, which '
        "Style Studio can't read; save it as an 8- or 16-bit RGB TIFF (or a JPEG) in your photo "
        "editor and try the new copy."
    )


def test_a_cut_off_rgb_tiff_is_still_damaged(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (60, 60), (1, 2, 3)).save(buf, "TIFF")
    data = buf.getvalue()
    path = write(tmp_path / "cut.tif", data[:300])
    with pytest.raises(ImageRefused, match="damaged or incomplete"):
        load_image(path)


_LOAD_AND_LOG = """
import logging, sys
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
from desktop.imaging.intake import load_image
loaded = load_image(sys.argv[1])
print("loaded", loaded.image.size, loaded.warnings)
import warnings
warnings.warn("a warning of the program's own")  # outside a decode: shown as always
"""


def test_pillows_warning_about_broken_exif_is_logged_not_shown_and_the_photo_loads(tmp_path):
    path = write(tmp_path / "camera.jpg", corrupt_exif_jpeg(noisy_rgb((64, 48))))
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_LOG, str(path)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Corrupt EXIF data" not in done.stderr and "TiffImagePlugin" not in done.stderr, done.stderr
    assert "a warning of the program's own" in done.stderr  # other warnings are left alone
    log_lines = [ln for ln in done.stdout.splitlines() if "Corrupt EXIF data" in ln and ln.startswith("INFO")]
    assert len(log_lines) == 1 and '"camera.jpg"' in log_lines[0], done.stdout
    assert "loaded (64, 48) ['Corrupt EXIF data." in done.stdout, done.stdout
