"""A picture is opened once, for reading, only when it is a regular file, and never blocks: a
photo swapped for a FIFO (or a device) at any moment cannot hang a batch. Each case that
could block runs in a real process with a deadline, so a hang is a failure, not a stuck run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from desktop.exchange.cube import read_pillow_lut, write_pillow_lut
from desktop.imaging.apply import OutputOptions, Recipe, apply_to_file
from desktop.imaging.grade import identity_lut
from desktop.imaging.intake import ImageRefused, check_image_file, load_image, read_image_bytes
from desktop.imaging.uploads import store_upload
from tests.helpers import REPO

from .corpus import noisy_rgb, png_bytes, write

DEADLINE = 90  # seconds: a run that blocks on a FIFO never ends, one that works takes a few

_STYLE_ONE = """
import json, sys
from desktop.exchange.cube import read_pillow_lut
from desktop.imaging.apply import OutputOptions, Recipe, apply_to_file
print(json.dumps(apply_to_file(Recipe(sys.argv[1], read_lut=read_pillow_lut), sys.argv[2], sys.argv[3], OutputOptions(), "PNG")), flush=True)
"""

_CHECK_MANY = """
import json, sys, time
from desktop.imaging.intake import ImageRefused, check_image_file
end = time.monotonic() + float(sys.argv[2])
seen = {"ok": 0}
while time.monotonic() < end:
    try:
        check_image_file(sys.argv[1])
        seen["ok"] += 1
    except ImageRefused as exc:
        seen[str(exc)] = seen.get(str(exc), 0) + 1
print(json.dumps(seen), flush=True)
"""


def _cube(tmp_path: Path) -> str:
    write_pillow_lut(tmp_path / "identity.cube", identity_lut(9), "identity")
    return str(tmp_path / "identity.cube")


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: subprocess.Popen[str], what: str) -> str:
    try:
        out, err = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{what} blocked (still running after {DEADLINE} s)")
    assert proc.returncode == 0, err
    return out


def _holds_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        for fd in folder.iterdir():
            try:
                if os.readlink(fd) == str(path):
                    return True
            except OSError:
                continue
    except OSError:
        pass
    return False


def _swap_for_fifo(path: Path) -> None:
    """Atomically put a FIFO (no writer: opening it for reading blocks) where ``path`` was."""
    fifo = path.with_name(path.name + ".fifo")
    os.mkfifo(fifo)
    os.replace(fifo, path)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see what a process holds open")
def test_a_photo_swapped_for_a_fifo_after_it_was_opened_styles_from_that_one_open(tmp_path):
    """Swapped while the worker decodes it: everything (header, EXIF, alpha, pixels) comes
    from the descriptor opened first, so it styles. It used to open the path again (for the
    header, then for the alpha) and wait on the FIFO forever."""
    photo = tmp_path / "layer.png"
    img = Image.linear_gradient("L").resize((2400, 1600)).convert("RGBA")
    img.putalpha(Image.linear_gradient("L").rotate(90).resize((2400, 1600)))
    img.save(photo, compress_level=1)
    expected = img.getchannel("A").tobytes()
    out = tmp_path / "out.part"
    proc = _python(_STYLE_ONE, _cube(tmp_path), str(photo), str(out))
    try:
        deadline = time.monotonic() + DEADLINE
        while not _holds_open(proc.pid, photo):
            assert proc.poll() is None and time.monotonic() < deadline, "the photo was never opened"
            time.sleep(0.0005)
        _swap_for_fifo(photo)
        result = json.loads(_finish(proc, "styling a photo swapped for a FIFO"))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert result["ok"], result
    with Image.open(out) as got:
        assert got.size == (2400, 1600) and got.getchannel("A").tobytes() == expected


def test_a_fifo_in_place_of_a_photo_fails_with_a_sentence_and_does_not_block(tmp_path):
    photo = tmp_path / "photo.png"
    os.mkfifo(photo)
    out = tmp_path / "out.part"
    result = json.loads(_finish(_python(_STYLE_ONE, _cube(tmp_path), str(photo), str(out)), "styling a FIFO"))
    assert result == {
        "ok": False,
        "error": 'Can\'t open "photo.png": it is a pipe (FIFO), not a file with a picture in it; choose an image file saved on disk.',
        "detail": None,
    }
    assert not out.exists()


def test_a_fifo_swapped_in_between_the_look_and_the_open_never_blocks(tmp_path):
    """A name that flips between a photo and a FIFO as fast as it can while another process
    checks it over and over: the look (stat) and the open can see different files, and the
    open must not block when it meets the FIFO. Every answer is "a picture" or "a pipe"."""
    photo = tmp_path / "flip.png"
    data = png_bytes(noisy_rgb((16, 16)))
    write(photo, data)
    stop = threading.Event()

    def flip() -> None:
        spare = tmp_path / "spare.png"
        while not stop.is_set():
            _swap_for_fifo(photo)
            write(spare, data)
            os.replace(spare, photo)

    proc = _python(_CHECK_MANY, str(photo), "4")
    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    try:
        seen = json.loads(_finish(proc, "checking a name that flips to a FIFO"))
    finally:
        stop.set()
        flipper.join()
    pipe = 'Can\'t open "flip.png": it is a pipe (FIFO), not a file with a picture in it; choose an image file saved on disk.'
    assert set(seen) <= {"ok", pipe}, seen
    assert seen["ok"] > 0 and seen.get(pipe, 0) > 0, seen


def test_a_device_named_like_a_photo_is_refused_everywhere(tmp_path):
    link = tmp_path / "x.jpg"
    link.symlink_to("/dev/zero")
    device = 'Can\'t open "x.jpg": it is a device, not a file with a picture in it; choose an image file saved on disk.'
    for call in (load_image, check_image_file, read_image_bytes):
        with pytest.raises(ImageRefused) as info:
            call(link)
        assert str(info.value) == device
    result = apply_to_file(Recipe(_cube(tmp_path), read_lut=read_pillow_lut), str(link), str(tmp_path / "out.part"), OutputOptions(), "JPEG")
    assert result["ok"] is False and result["error"] == device
    with pytest.raises(ImageRefused, match="device"):
        store_upload(link, tmp_path / "uploads")
    assert not (tmp_path / "uploads").exists() and not (tmp_path / "out.part").exists()


def test_a_fifo_is_not_taken_as_an_upload(tmp_path):
    fifo = tmp_path / "reference.jpg"
    os.mkfifo(fifo)
    with pytest.raises(ImageRefused, match=r"pipe \(FIFO\)"):
        store_upload(fifo, tmp_path / "uploads")
    assert not (tmp_path / "uploads").exists()


def test_a_link_a_person_names_still_leads_to_the_photo(tmp_path):
    real = tmp_path / "photos" / "real.png"
    real.parent.mkdir()
    Image.new("RGB", (8, 6), (10, 20, 30)).save(real)
    link = tmp_path / "link.png"
    link.symlink_to(real)
    assert load_image(link).image.getpixel((0, 0)) == (10, 20, 30)
    assert check_image_file(link) == (8, 6)
    assert read_image_bytes(link) == real.read_bytes()
    out = tmp_path / "out.part"
    assert apply_to_file(Recipe(_cube(tmp_path), read_lut=read_pillow_lut), str(link), str(out), OutputOptions(), "PNG")["ok"]
    assert Image.open(out).getpixel((0, 0)) == (10, 20, 30)


def test_a_photo_deleted_before_styling_is_called_gone(tmp_path):
    photo = write(tmp_path / "gone.png", png_bytes(noisy_rgb((8, 8))))
    photo.unlink()
    result = apply_to_file(Recipe(_cube(tmp_path), read_lut=read_pillow_lut), str(photo), str(tmp_path / "o.part"), OutputOptions(), "PNG")
    assert result["ok"] is False
    assert result["error"] == (
        'Can\'t open "gone.png": the file no longer exists (it was moved, renamed or deleted); '
        "check its folder and choose it again."
    )
    assert "mounted" not in result["error"]


def test_a_dangling_link_says_its_file_no_longer_exists(tmp_path):
    (tmp_path / "photos").mkdir()
    target = write(tmp_path / "photos" / "original.png", png_bytes(noisy_rgb((8, 8))))
    link = tmp_path / "shortcut.png"
    link.symlink_to(target)
    shutil.rmtree(target.parent)
    result = apply_to_file(Recipe(_cube(tmp_path), read_lut=read_pillow_lut), str(link), str(tmp_path / "o.part"), OutputOptions(), "PNG")
    assert result["ok"] is False
    assert result["error"] == (
        f'Can\'t open "shortcut.png": it is a link to a file that no longer exists ({target}); '
        "put that file back or choose the photo itself."
    )


def test_a_folder_named_like_a_photo_is_a_folder(tmp_path):
    (tmp_path / "album.jpg").mkdir()
    with pytest.raises(ImageRefused, match="it is a folder, not an image"):
        load_image(tmp_path / "album.jpg")
