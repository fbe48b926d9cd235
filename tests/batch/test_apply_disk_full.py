"""`stylestudio apply` into a folder on a nearly full disk (a real 24 MB tmpfs): the JPEG that
does not fit is a failed item with the disk-full sentence, the run exits 1 and no file has a
final name; once there is room, `jobs retry` writes the whole photo. (It used to be cut off a
few kilobytes short, named, recorded done, and the run exited 0.)"""

from __future__ import annotations

import json
import os
import random

from PIL import Image

from tests.helpers import cli

PAGE = 4096


def _noisy_jpeg(path, size=(1100, 800)):
    rng = random.Random(11)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)).save(path, quality=95)
    return path


def _leave_room(disk, room: int) -> None:
    disk.fill()
    os.truncate(disk.filler, disk.filler.stat().st_size - room)
    assert os.statvfs(disk.root).f_bavail * os.statvfs(disk.root).f_frsize == room


def _item(home, job: int) -> dict:
    shown = cli("jobs", "show", str(job), "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    [item] = json.loads(shown.stdout)["items"]
    return item


def test_a_photo_that_does_not_fit_fails_with_the_sentence_then_a_retry_writes_it_whole(rt, style, tmp_path, small_disk):
    src = _noisy_jpeg(tmp_path / "in" / "big.jpg")
    home = rt.paths.home
    probe = cli("apply", str(style), str(src), "--out", str(tmp_path / "probe"), home=home)
    assert probe.returncode == 0, probe.stderr
    whole = (tmp_path / "probe" / "big.jpg").read_bytes()
    out = small_disk.root / "out"
    out.mkdir()
    # the most whole pages that do not hold the photo: the last few KB of it do not fit
    _leave_room(small_disk, (len(whole) - 1) // PAGE * PAGE)

    res = cli("apply", str(style), str(src), "--out", str(out), "--json", home=home)

    assert res.returncode == 1, (res.stdout, res.stderr)
    doc = json.loads(res.stdout)
    sentence = f"The disk holding {out} is full; free some space and try again."
    assert doc["done"] == 0 and [f["error"] for f in doc["failed"]] == [sentence], doc
    assert sentence in res.stderr and "Traceback" not in res.stderr
    item = _item(home, doc["job"])
    assert item["status"] == "failed" and item["error"] == sentence
    assert os.listdir(out) == []  # no final name, no temporary file

    small_disk.free_up()
    retry = cli("jobs", "retry", str(doc["job"]), home=home)
    assert retry.returncode == 0, retry.stderr
    worker = cli("worker", "--exit-when-idle", home=home, timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert _item(home, doc["job"])["status"] == "done"
    assert os.listdir(out) == ["big.jpg"]
    written = (out / "big.jpg").read_bytes()
    assert len(written) == len(whole)  # whole: as long as on a roomy disk, the same pixels
    with Image.open(out / "big.jpg") as im, Image.open(tmp_path / "probe" / "big.jpg") as ref:
        assert im.size == ref.size == (1100, 800)
        assert im.tobytes() == ref.tobytes()
