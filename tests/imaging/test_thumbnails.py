"""Thumbnails and previews on disk."""

from __future__ import annotations

from PIL import Image

from desktop.imaging.thumbnails import save_preview, save_thumbnail


def test_thumbnail_is_webp_with_long_edge_256(tmp_path, sample_photo):
    wide = sample_photo.resize((1024, 512))
    path = save_thumbnail(wide, tmp_path / "thumb.webp")
    with Image.open(path) as im:
        assert im.format == "WEBP" and im.size == (256, 128)
    tall = save_thumbnail(sample_photo.resize((300, 900)), tmp_path / "tall.webp", size=128)
    with Image.open(tall) as im:
        assert im.size == (43, 128)


def test_small_images_are_not_enlarged(tmp_path):
    path = save_thumbnail(Image.new("RGB", (40, 30)), tmp_path / "t.webp")
    with Image.open(path) as im:
        assert im.size == (40, 30)


def test_preview_formats(tmp_path, sample_photo):
    for name, fmt in (("p.jpg", "JPEG"), ("p.webp", "WEBP"), ("p.png", "PNG")):
        path = save_preview(sample_photo, tmp_path / name)
        with Image.open(path) as im:
            assert im.format == fmt and im.size == sample_photo.size
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p.jpg",
        "p.png",
        "p.webp",
    ]  # no temp files


def test_rgba_input_is_accepted(tmp_path):
    path = save_thumbnail(Image.new("RGBA", (300, 300), (1, 2, 3, 4)), tmp_path / "a" / "b.webp")
    assert path.exists()
