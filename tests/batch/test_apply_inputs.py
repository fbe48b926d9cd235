"""`stylestudio apply` in real processes, on inputs that are not what they seemed: a photo
swapped for a FIFO after the batch was planned, a JPEG with broken EXIF (styled, with no
Pillow warning on the terminal), a valid 16-bit CIELab TIFF (a sentence about the colour
model, not "damaged")."""

from __future__ import annotations

import json
import os

from PIL import Image

from tests.batch.conftest import photo
from tests.helpers import cli
from tests.imaging.corpus import corrupt_exif_jpeg, lab_tiff, noisy_rgb, write


def _items(home, job: int) -> list[dict]:
    shown = cli("jobs", "show", str(job), "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["items"]


def test_a_photo_swapped_for_a_fifo_after_the_plan_fails_with_a_sentence_and_never_blocks(rt, style, tmp_path):
    good = photo(tmp_path / "in" / "a.jpg")
    swapped = photo(tmp_path / "in" / "b.jpg")
    out = tmp_path / "out"
    home = rt.paths.home
    queued = cli("apply", str(style), str(tmp_path / "in"), "--out", str(out), "--enqueue", "--json", home=home)
    assert queued.returncode == 0, queued.stderr
    job = json.loads(queued.stdout)["job"]
    swapped.unlink()
    os.mkfifo(swapped)  # no writer: a blocking open would wait forever

    worker = cli("worker", "--exit-when-idle", home=home, timeout=120)  # a hang fails on the timeout

    assert worker.returncode == 0, worker.stderr
    items = {os.path.basename(i["input"]): i for i in _items(home, job)}
    assert items["a.jpg"]["status"] == "done"
    assert items["b.jpg"]["status"] == "failed"
    assert items["b.jpg"]["error"] == (
        'Can\'t open "b.jpg": it is a pipe (FIFO), not a file with a picture in it; choose an image file saved on disk.'
    )
    assert sorted(os.listdir(out)) == ["a.jpg"] and good.exists()


def test_a_jpeg_with_broken_exif_is_styled_and_no_warning_reaches_the_terminal(rt, style, tmp_path):
    (tmp_path / "in").mkdir()
    src = write(tmp_path / "in" / "camera.jpg", corrupt_exif_jpeg(noisy_rgb((120, 80))))
    out = tmp_path / "out"
    res = cli("apply", str(style), str(src), "--out", str(out), "--json", home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["done"] == 1
    for text in (res.stdout, res.stderr):
        assert "Warning" not in text and "EXIF" not in text and "TiffImagePlugin" not in text, text
    with Image.open(out / "camera.jpg") as im:
        im.load()
        assert im.size == (120, 80)


def test_a_16_bit_cielab_tiff_is_refused_for_its_colour_model_not_called_damaged(rt, style, tmp_path):
    src = write(tmp_path / "scan.tif", lab_tiff(32, 16, bits=16))
    res = cli("apply", str(style), str(src), "--out", str(tmp_path / "out"), "--json", home=rt.paths.home)
    assert res.returncode == 1, res.stderr
    [failed] = json.loads(res.stdout)["failed"]
    assert failed["error"] == (
        'Can\'t open "scan.tif": it uses the CIELab colour model (16-bit channels), which Style Studio '
        "can't read; convert it to RGB in your photo editor, save it, and try the new copy."
    )
    assert "damaged" not in res.stderr and "Traceback" not in res.stderr
