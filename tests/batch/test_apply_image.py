"""One photo through desktop.imaging.apply: colour management, metadata, alpha, strength."""

from __future__ import annotations

import io

from PIL import Image, ImageCms

from desktop.exchange.cube import read_pillow_lut, write_pillow_lut
from desktop.imaging.apply import SRGB_ICC, OutputOptions, Recipe, render_file
from desktop.imaging.grade import identity_lut
from tests.batch.conftest import adobe_rgb_profile, rotated_jpeg


def _recipe(tmp_path, strength=1.0) -> Recipe:
    """A grade that inverts red: easy to see, easy to compute."""
    lut = identity_lut(9).transform(lambda r, g, b: (1 - r, g, b))
    write_pillow_lut(tmp_path / "s.cube", lut, "test")
    return Recipe(str(tmp_path / "s.cube"), strength=strength, read_lut=read_pillow_lut)


def test_a_non_srgb_photo_is_graded_in_srgb_and_written_with_an_srgb_profile(tmp_path):
    src = tmp_path / "adobe.png"
    Image.new("RGB", (32, 32), (60, 170, 90)).save(src, icc_profile=adobe_rgb_profile())
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), (60, 170, 90)),
        ImageCms.ImageCmsProfile(io.BytesIO(adobe_rgb_profile())),
        ImageCms.createProfile("sRGB"),
    ).getpixel((0, 0))
    assert sum(abs(a - b) for a, b in zip(expected, (60, 170, 90), strict=True)) > 30  # the profile matters
    out = tmp_path / "out.png"
    render_file(_recipe(tmp_path, strength=0.0), str(src), str(out), OutputOptions(), "PNG")
    with Image.open(out) as im:
        assert im.info["icc_profile"] == SRGB_ICC
        got = im.convert("RGB").getpixel((16, 16))
    assert all(abs(a - b) <= 2 for a, b in zip(got, expected, strict=True)), (got, expected)


def test_strength_mixes_the_grade_with_the_original_colours(tmp_path):
    src = tmp_path / "p.png"
    Image.new("RGB", (16, 16), (40, 100, 100)).save(src)
    reds = []
    for strength in (0.0, 0.5, 1.0):
        out = tmp_path / f"o{strength}.png"
        render_file(_recipe(tmp_path, strength), str(src), str(out), OutputOptions(), "PNG")
        reds.append(Image.open(out).getpixel((8, 8))[0])
    assert abs(reds[0] - 40) <= 2 and abs(reds[2] - 215) <= 3 and abs(reds[1] - 128) <= 4, reds


def test_exif_rotation_goes_into_the_pixels_and_the_rest_of_exif_and_dpi_are_kept(tmp_path):
    src = rotated_jpeg(tmp_path / "r.jpg")
    out = tmp_path / "out.jpg"
    render_file(_recipe(tmp_path), str(src), str(out), OutputOptions(), "JPEG")
    with Image.open(out) as im:
        assert im.size == (64, 96)
        exif = im.getexif()
        assert exif.get(0x0112) == 1 and exif.get(0x010F) == "TestCam"
        assert round(im.info["dpi"][0]) == 300
    bare = tmp_path / "bare.jpg"
    render_file(_recipe(tmp_path), str(src), str(bare), OutputOptions(keep_metadata=False), "JPEG")
    with Image.open(bare) as im:
        assert im.size == (64, 96) and not im.getexif() and "icc_profile" not in im.info


def test_alpha_is_kept_in_png_and_the_long_edge_shrinks(tmp_path):
    src = tmp_path / "a.png"
    im = Image.new("RGBA", (200, 100), (200, 50, 50, 255))
    im.paste((0, 0, 0, 0), (0, 0, 100, 100))
    im.save(src)
    out = tmp_path / "out.png"
    render_file(_recipe(tmp_path), str(src), str(out), OutputOptions(long_edge=100), "PNG")
    with Image.open(out) as got:
        assert got.mode == "RGBA" and got.size == (100, 50)
        assert got.getpixel((10, 25))[3] == 0 and got.getpixel((90, 25))[3] == 255
