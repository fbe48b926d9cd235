"""Pixels on a nearly full disk (a real 24 MB tmpfs, ``small_disk``): a styled photo, a preview,
a thumbnail or an upload that does not fit fails with the disk-full sentence and leaves
nothing, never a cut-off file (Pillow's C encoders write straight to a file descriptor and
ignore short writes; everything is written through Python now)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from desktop.config import DiskFullError
from desktop.exchange.cube import read_pillow_lut, write_pillow_lut
from desktop.imaging.apply import OutputOptions, Recipe, apply_to_file
from desktop.imaging.grade import identity_lut
from desktop.imaging.thumbnails import save_preview, save_thumbnail
from desktop.imaging.uploads import store_upload

from .corpus import jpeg_bytes, noisy_rgb, write

PAGE = 4096
FULL = "is full; free some space"


def leave_room(disk, room: int) -> None:
    """Fill ``disk`` and give back ``room`` bytes (whole pages: tmpfs counts pages)."""
    disk.fill()
    filler = disk.filler
    os.truncate(filler, filler.stat().st_size - room // PAGE * PAGE)
    free = os.statvfs(disk.root).f_bavail * os.statvfs(disk.root).f_frsize
    assert free == room // PAGE * PAGE, free


def room_short_of(size: int) -> int:
    """The most whole pages that still do not hold ``size`` bytes: the write is cut short in
    its last few kilobytes, where a lost short write goes unnoticed."""
    return (size - 1) // PAGE * PAGE


def _recipe(tmp_path: Path) -> Recipe:
    write_pillow_lut(tmp_path / "grade.cube", identity_lut(17).transform(lambda r, g, b: (g, b, r)), "grade")
    return Recipe(str(tmp_path / "grade.cube"), read_lut=read_pillow_lut)


def _left_on(disk) -> list[str]:
    return sorted(p.name for p in disk.root.rglob("*") if p != disk.filler)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP"])
def test_a_photo_that_does_not_fit_fails_with_the_sentence_and_leaves_nothing(tmp_path, small_disk, fmt):
    src = write(tmp_path / "photo.jpg", jpeg_bytes(noisy_rgb((900, 700), seed=5)))
    recipe, options = _recipe(tmp_path), OutputOptions(quality=95)
    whole = tmp_path / "whole.part"
    assert apply_to_file(recipe, str(src), str(whole), options, fmt)["ok"]
    size = whole.stat().st_size
    assert size > 64 * 1024
    out = small_disk.root / "out"
    out.mkdir()
    leave_room(small_disk, room_short_of(size))

    result = apply_to_file(recipe, str(src), str(out / ".photo.part"), options, fmt)

    assert result["ok"] is False, result
    assert result["error"] == f"The disk holding {out} is full; free some space and try again.", result
    assert _left_on(small_disk) == ["out"]  # no temporary file, no cut-off photo
    small_disk.free_up()
    again = apply_to_file(recipe, str(src), str(out / ".photo.part"), options, fmt)
    assert again["ok"], again
    assert (out / ".photo.part").read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("name", ["preview.jpg", "preview.webp", "preview.png", "thumb.webp"])
def test_a_preview_or_thumbnail_on_a_full_disk_raises_disk_full_and_leaves_nothing(tmp_path, small_disk, name):
    img = noisy_rgb((512, 512), seed=2)
    save = save_thumbnail if name.startswith("thumb") else save_preview
    size = save(img, tmp_path / name).stat().st_size
    folder = small_disk.root / "style"
    leave_room(small_disk, room_short_of(size))
    with pytest.raises(DiskFullError, match=FULL):
        save(img, folder / name)
    assert _left_on(small_disk) == ["style"]
    small_disk.fill()  # not a byte free
    with pytest.raises(DiskFullError, match=FULL):
        save(img, folder / name)
    assert _left_on(small_disk) == ["style"]


def test_an_old_preview_is_kept_whole_when_its_replacement_does_not_fit(tmp_path, small_disk):
    folder = small_disk.root / "style"
    old = save_preview(Image.new("RGB", (64, 64), (9, 9, 9)), folder / "preview.jpg")
    before = old.read_bytes()
    small_disk.fill()
    with pytest.raises(DiskFullError):
        save_preview(noisy_rgb((512, 512)), old)
    assert old.read_bytes() == before and _left_on(small_disk) == ["preview.jpg", "style"]


def test_an_upload_on_a_full_disk_raises_disk_full_and_stores_nothing(tmp_path, small_disk):
    src = write(tmp_path / "reference.jpg", jpeg_bytes(noisy_rgb((400, 300))))
    uploads = small_disk.root / "uploads"
    leave_room(small_disk, room_short_of(src.stat().st_size))
    with pytest.raises(DiskFullError, match=FULL):
        store_upload(src, uploads)
    assert _left_on(small_disk) == ["uploads"]
