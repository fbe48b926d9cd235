"""The photos people bring, read by the real decoders: camera RAW (a DNG LibRaw decodes,
developed one fixed way), HEIC (libheif), AVIF (Pillow), 16-bit and multi-page TIFF, 16-bit
PNG; each recognised by its content; and the bad and huge ones refused with one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.imaging.apply import PHOTO_SUFFIXES, output_suffix
from desktop.imaging.intake import ImageRefused, check_image_file, load_image, sniff
from desktop.imaging.raw_photos import EXPOSURE_EV, jpeg_twins
from desktop.imaging.uploads import store_upload
from desktop.ui.photo_files import PHOTO_SUFFIXES as OFFERED
from desktop.ui.photo_files import name_filter
from tests.photo_makers import (
    BLUE,
    ORANGE,
    break_item_table,
    declare_size,
    gradient16,
    heif_declaring,
    many_pages_tiff,
    write_avif,
    write_dng,
    write_heic,
    write_png16,
    write_tiff16,
)


def srgb8(linear: float) -> int:
    v = min(1.0, linear)
    return round(255 * (12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055))


def refusal(source, **kw) -> str:
    with pytest.raises(ImageRefused) as err:
        load_image(source, **kw)
    return str(err.value)


def one_sentence(msg: str, *needles: str) -> None:
    assert msg.endswith(".") and ". " not in msg, msg
    for needle in needles:
        assert needle in msg, f"{needle!r} missing from: {msg}"


@pytest.fixture(scope="module")
def dng(tmp_path_factory) -> Path:
    return write_dng(tmp_path_factory.mktemp("raw") / "IMG_0001.DNG")


# --- camera RAW --------------------------------------------------------------------------------


def test_a_dng_is_developed_with_the_default_exposure_in_srgb(dng):
    loaded = load_image(dng)
    assert loaded.format == "DNG" and loaded.size == (64, 48) and loaded.image.mode == "RGB"
    gain = 2**EXPOSURE_EV
    top, bottom = loaded.image.getpixel((5, 5)), loaded.image.getpixel((5, 40))
    # the mid tones are the scene's linear light times +0.7 EV, on the sRGB curve (red near
    # white rolls off: highlights kept)
    assert abs(top[1] - srgb8(ORANGE[1] * gain)) <= 4 and abs(top[2] - srgb8(ORANGE[2] * gain)) <= 4, top
    assert abs(bottom[0] - srgb8(BLUE[0] * gain)) <= 4 and abs(bottom[1] - srgb8(BLUE[1] * gain)) <= 4, bottom
    assert top[0] > 225 and bottom[2] > 225


def test_the_camera_white_balance_is_used_and_exposure_is_never_automatic(tmp_path):
    neutral = load_image(write_dng(tmp_path / "a.dng")).image.getpixel((5, 5))
    # a sensor that saw the scene through a blue-green cast: the camera's as-shot white
    # balance takes it out, and the exposure does not follow the white balance
    tinted = load_image(write_dng(tmp_path / "b.dng", white_balance=(0.5, 1.0, 0.7))).image.getpixel((5, 5))
    assert max(abs(a - b) for a, b in zip(neutral, tinted, strict=True)) <= 3, (neutral, tinted)
    # a photo shot 2 stops darker stays darker (LibRaw's auto-brightening would lift it)
    dark = load_image(write_dng(tmp_path / "c.dng", exposure=0.25)).image.getpixel((5, 5))
    assert dark[1] < 0.6 * neutral[1] and abs(dark[1] - srgb8(ORANGE[1] * 0.25 * 2**EXPOSURE_EV)) <= 4


def test_blown_highlights_come_out_white_not_magenta(tmp_path):
    img = load_image(write_dng(tmp_path / "sky.dng", white_balance=(0.5, 1.0, 0.7), clipped=True)).image
    r, g, b = img.getpixel((24, 12))
    assert min(r, g, b) >= 240 and max(r, g, b) - min(r, g, b) <= 6, (r, g, b)


def test_the_camera_orientation_is_applied(tmp_path):
    path = write_dng(tmp_path / "portrait.dng", orientation=6)  # turned 90 degrees clockwise
    assert check_image_file(path) == (48, 64)
    img = load_image(path).image
    assert img.size == (48, 64)
    left, right = img.getpixel((3, 32)), img.getpixel((44, 32))
    assert left[2] > left[0] and right[0] > right[2]  # the stored bottom (blue) is on the left


def test_a_raw_decodes_at_half_size_only_when_that_still_reaches_the_size_asked(tmp_path):
    path = write_dng(tmp_path / "big.dng", (256, 192))
    half = load_image(path, draft_size=(100, 100))
    assert half.image.size == (128, 96) and half.size == (256, 192)
    assert load_image(path, draft_size=(200, 200)).image.size == (256, 192)  # 128 < 200: full
    assert abs(half.image.getpixel((5, 5))[1] - load_image(path).image.getpixel((5, 5))[1]) <= 3


def test_a_raw_is_recognised_by_its_content_whatever_its_name(dng, tmp_path):
    renamed = tmp_path / "holiday.jpg"
    renamed.write_bytes(dng.read_bytes())
    assert load_image(renamed).format == "DNG"
    assert load_image(dng.read_bytes()).format == "DNG"  # bytes, no name at all (a paste)
    assert sniff(b"FUJIFILMCCD-RAW 0201") == ("image", "RAF")
    assert sniff(b"IIRO\x08\x00\x00\x00") == ("image", "ORF")
    assert sniff(b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01") == ("image", "CR3")


def test_a_stored_reference_keeps_the_raw_file_and_its_extension(dng, tmp_path):
    stored = store_upload(dng, tmp_path / "uploads")
    assert stored.suffix == ".dng" and stored.read_bytes() == dng.read_bytes()


# --- HEIC and AVIF -----------------------------------------------------------------------------


@pytest.mark.parametrize("write", [write_heic, write_avif], ids=["heic", "avif"])
def test_heic_and_avif_decode_with_their_codecs(write, tmp_path):
    path = write(tmp_path / f"photo.{write.__name__[6:]}")
    renamed = tmp_path / "photo.jpg"  # recognised by content
    renamed.write_bytes(path.read_bytes())
    for source in (path, renamed):
        loaded = load_image(source)
        assert loaded.format in ("HEIF", "AVIF") and loaded.size == (64, 48)
        top, bottom = loaded.image.getpixel((5, 5)), loaded.image.getpixel((5, 40))
        assert max(abs(a - b) for a, b in zip(top, (200, 150, 80), strict=True)) <= 6, top
        assert max(abs(a - b) for a, b in zip(bottom, (60, 130, 200), strict=True)) <= 6, bottom


def test_a_heic_turned_by_its_transform_is_upright_once(tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    loaded = load_image(write_heic(tmp_path / "portrait.heic", exif=exif.tobytes()))
    assert loaded.size == (48, 64) and loaded.image.size == (48, 64)
    left = loaded.image.getpixel((3, 32))
    assert left[2] > left[0]  # turned once, not twice (the stored bottom, blue, on the left)


# --- 16 bits and pages ---------------------------------------------------------------------------


def test_16_bit_tiff_and_png_read_their_gradient(tmp_path):
    ramp = gradient16()[0, :, 0]
    tiff = load_image(write_tiff16(tmp_path / "g.tif")).image
    png = load_image(write_png16(tmp_path / "g.png")).image
    for x in (0, 37, 128, 255):
        expected = round(int(ramp[x]) / 257)
        assert abs(tiff.getpixel((x, 3))[0] - expected) <= 1 and abs(png.getpixel((x, 3))[0] - expected) <= 1
    assert tiff.getpixel((10, 3))[2] == 128


def test_a_multi_page_tiff_gives_its_first_page(tmp_path):
    img = load_image(write_tiff16(tmp_path / "pages.tif", pages=3)).image
    assert img.getpixel((255, 0))[0] == 255  # page 2 holds half the values


# --- bad and huge ------------------------------------------------------------------------------


def test_a_truncated_dng_is_refused_before_libraw_reads_it(tmp_path):
    cut = tmp_path / "cut.dng"
    data = write_dng(tmp_path / "whole.dng", (256, 192)).read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    one_sentence(refusal(cut), '"cut.dng"', "camera RAW", "incomplete")
    not_raw = tmp_path / "IMG_9.NEF"  # named like a RAW, holding nothing LibRaw knows
    not_raw.write_bytes(b"II*\x00" + bytes(200))
    one_sentence(refusal(not_raw), '"IMG_9.NEF"', "camera RAW")


@pytest.mark.parametrize("kind", ["dng", "heic"])
def test_a_raw_or_heic_declaring_over_100_megapixels_is_refused_from_its_header(kind, tmp_path):
    if kind == "dng":
        path = declare_size(write_dng(tmp_path / "huge.dng"), 12_000, 10_000)
    else:
        path = heif_declaring(write_heic(tmp_path / "huge.heic"), 12_000, 10_000)
    for check in (load_image, check_image_file):
        with pytest.raises(ImageRefused) as err:
            check(path)
        one_sentence(str(err.value), "12,000 x 10,000", "100 megapixel")


def test_a_ten_thousand_page_tiff_is_refused(tmp_path):
    one_sentence(refusal(many_pages_tiff(tmp_path / "fax.tif")), '"fax.tif"', "1,000 pages")


def test_a_heic_with_a_broken_item_table_is_damaged(tmp_path):
    one_sentence(refusal(break_item_table(write_heic(tmp_path / "broken.heic"))), "HEIC", "damaged")


# --- names -------------------------------------------------------------------------------------


def test_jpeg_twins_of_raws_are_found_by_name_in_any_case():
    paths = [Path("/a/IMG_1.CR2"), Path("/a/IMG_1.JPG"), Path("/a/IMG_2.jpg"), Path("/b/IMG_1.jpg"), Path("/a/img_3.nef"), Path("/a/IMG_3.jpeg")]
    assert jpeg_twins(paths) == [Path("/a/IMG_1.JPG"), Path("/a/IMG_3.jpeg")]


def test_the_window_offers_every_photo_the_intake_reads():
    assert set(OFFERED) == set(PHOTO_SUFFIXES)
    assert "*.CR2" in name_filter() and "*.heic" in name_filter()


def test_same_format_for_a_raw_heic_or_avif_is_jpeg():
    assert [output_suffix(f"x{s}", "same") for s in (".NEF", ".dng", ".HEIC", ".avif", ".tif")] == [".jpg"] * 4 + [".tif"]


def test_a_camera_made_tiff_with_sub_directories_is_read_as_a_tiff(tmp_path):
    import numpy as np
    import tifffile

    path = tmp_path / "from_the_camera.tif"  # a make and a sub-directory, like a NEF, but RGB
    pixels = np.full((48, 64, 3), (120, 60, 30), dtype=np.uint8)
    with tifffile.TiffWriter(path) as tif:
        tif.write(pixels, photometric="rgb", subifds=1, extratags=[(271, "s", 0, "NIKON CORPORATION", True)], metadata=None)
        tif.write(pixels[::2, ::2], photometric="rgb", subfiletype=1, metadata=None)
    loaded = load_image(path)
    assert loaded.format == "TIFF" and loaded.image.getpixel((3, 3)) == (120, 60, 30)
    assert check_image_file(path) == (64, 48)


def test_the_self_tests_probe_photos_decode_as_orange_over_blue(tmp_path):
    """``stylestudio self-test`` writes a DNG (byte by byte, no test library) and a HEIC and
    reads them back through LibRaw and libheif; a decoder that got them wrong is named."""
    from desktop.imaging.probe_photos import HEIGHT, WIDTH, check_probe_photos, read_back

    assert check_probe_photos(tmp_path).startswith("read a camera RAW (DNG) through LibRaw")
    for name in ("probe.dng", "probe.heic"):
        size, top, bottom = read_back(tmp_path / name)
        assert size == (WIDTH, HEIGHT)
        assert top[0] > top[2] + 100 and bottom[2] > bottom[0] + 100, (name, top, bottom)
    broken = tmp_path / "probe.dng"
    broken.write_bytes(broken.read_bytes()[:200])
    with pytest.raises(Exception):  # noqa: B017 - whatever LibRaw says of a cut-off file
        read_back(broken)
