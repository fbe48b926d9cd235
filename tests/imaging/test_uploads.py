"""Reference uploads: validated first, stored once by content, never half-written."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from desktop.imaging.intake import ImageRefused
from desktop.imaging.uploads import store_upload, store_upload_loaded

from .corpus import jpeg_bytes, noisy_rgb, png_bytes, write


def test_stores_original_bytes_named_by_hash(tmp_path):
    data = jpeg_bytes(noisy_rgb((64, 48)))
    src = write(tmp_path / "My Photo.JPG", data)
    uploads = tmp_path / "uploads"
    stored = store_upload(src, uploads)
    assert stored == uploads / f"{hashlib.sha256(data).hexdigest()}.jpg"
    assert stored.read_bytes() == data


def test_same_photo_is_stored_once(tmp_path):
    data = png_bytes(noisy_rgb((32, 32)))
    uploads = tmp_path / "uploads"
    first = store_upload(write(tmp_path / "a.png", data), uploads)
    second = store_upload(data, uploads)
    assert first == second
    assert sorted(p.name for p in uploads.iterdir()) == [first.name]


def test_refusal_writes_nothing(tmp_path):
    uploads = tmp_path / "uploads"
    src = write(tmp_path / "notes.png", b"just some text, not a picture\n" * 5)
    with pytest.raises(ImageRefused, match='"notes.png".*text file'):
        store_upload(src, uploads)
    assert not uploads.exists()
    with pytest.raises(ImageRefused, match="empty"):
        store_upload(b"", uploads)
    assert not uploads.exists()


def test_missing_source_is_refused(tmp_path):
    with pytest.raises(ImageRefused, match='"gone.png".*no longer exists'):
        store_upload(tmp_path / "gone.png", tmp_path / "uploads")


def test_no_temporary_files_left_and_image_returned(tmp_path):
    uploads = tmp_path / "uploads"
    path, loaded = store_upload_loaded(png_bytes(Image.new("RGB", (5, 7), (1, 2, 3))), uploads)
    assert [p.name for p in uploads.iterdir()] == [path.name]
    assert loaded.size == (5, 7) and loaded.image.getpixel((0, 0)) == (1, 2, 3)
