"""Safe loading: every refusal names the file and says what to do; odd but valid files load."""

from __future__ import annotations

import io
import os
import warnings

import pytest
from PIL import Image, ImageCms, ImageFile, ImageOps

from desktop.errors import UserError
from desktop.imaging import intake, refusals, source_files, srgb_bands
from desktop.imaging.intake import ImageRefused, check_image_file, load_image

from .corpus import (
    broken_crc_png,
    corrupt_idat_png,
    jpeg_bytes,
    noisy_rgb,
    png_bytes,
    png_header_only,
    write,
)

FIXES = ("choose", "export", "try", "save", "copy", "check", "download")


def refusal(source, **kwargs) -> str:
    with pytest.raises(ImageRefused) as info:
        load_image(source, **kwargs)
    return str(info.value)


def assert_sentence(msg: str, filename: str, *needles: str) -> None:
    assert f'"{filename}"' in msg, msg
    assert msg.endswith("."), msg
    assert ". " not in msg, f"more than one sentence: {msg}"
    assert any(fix in msg for fix in FIXES), f"no fix offered: {msg}"
    for needle in needles:
        assert needle in msg, f"{needle!r} missing from: {msg}"


# -- refusals ------------------------------------------------------------------------------


def test_refusal_is_a_user_error():
    assert issubclass(ImageRefused, UserError)


def test_truncated_jpeg(tmp_path):
    data = jpeg_bytes(noisy_rgb((400, 300)))
    path = write(tmp_path / "holiday.jpg", data[: len(data) // 2])
    assert_sentence(refusal(path), "holiday.jpg", "damaged or incomplete")


def test_truncated_png(tmp_path):
    data = png_bytes(noisy_rgb((200, 200)))
    path = write(tmp_path / "cut.png", data[: len(data) * 2 // 3])
    assert_sentence(refusal(path), "cut.png", "damaged or incomplete")


def test_png_with_broken_header_crc(tmp_path):
    path = write(tmp_path / "crc.png", broken_crc_png(noisy_rgb((50, 50))))
    assert_sentence(refusal(path), "crc.png", "PNG", "damaged")


def test_png_with_garbage_pixel_data(tmp_path):
    path = write(tmp_path / "garbage.png", corrupt_idat_png(noisy_rgb((64, 64))))
    assert_sentence(refusal(path), "garbage.png", "damaged")


def test_truncation_is_refused_even_if_someone_enabled_load_truncated(tmp_path, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = jpeg_bytes(noisy_rgb((300, 300)))
    path = write(tmp_path / "half.jpg", data[: len(data) // 2])
    assert_sentence(refusal(path), "half.jpg", "damaged")


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.png", b"")
    assert_sentence(refusal(path), "empty.png", "empty")


def test_text_file_named_png(tmp_path):
    path = write(tmp_path / "notes.png", b"Shopping list:\n- eggs\n- milk\n" * 20)
    assert_sentence(refusal(path), "notes.png", "a text file", "JPEG, PNG")


def test_pdf_named_jpg(tmp_path):
    path = write(tmp_path / "scan.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    assert_sentence(refusal(path), "scan.jpg", "a PDF document")


def test_a_heic_with_nothing_in_it_is_named_and_called_damaged(tmp_path):
    path = write(
        tmp_path / "IMG_0001.HEIC",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64,
    )
    assert_sentence(refusal(path), "IMG_0001.HEIC", "HEIC", "damaged")


def test_psd_is_named(tmp_path):
    path = write(tmp_path / "layers.psd", b"8BPS\x00\x01" + b"\x00" * 100)
    assert_sentence(refusal(path), "layers.psd", "Photoshop")


def test_unknown_binary(tmp_path):
    path = write(tmp_path / "blob.bin", bytes(range(1, 256)) * 4)
    assert_sentence(refusal(path), "blob.bin", "not in an image format")


def test_decompression_bomb_header_is_refused_without_decoding(tmp_path):
    path = write(tmp_path / "bomb.png", png_header_only(60000, 60000))
    msg = refusal(path)  # 3.6 gigapixels: decoding would need ~14 GB, so nothing was decoded
    assert_sentence(msg, "bomb.png", "100 megapixel")
    with pytest.raises(ImageRefused, match="100 megapixel"):
        check_image_file(path)


@pytest.mark.parametrize("size", [(12500, 12000), (10001, 10000)])
@pytest.mark.parametrize("bomb_warning", ["error", "ignore"])
def test_just_over_the_pixel_limit_is_refused(tmp_path, size, bomb_warning):
    """Refused whether Pillow's warning is an error (as intake sets it) or silenced elsewhere."""
    path = write(tmp_path / "big.png", png_header_only(*size))
    with warnings.catch_warnings():
        warnings.simplefilter(bomb_warning, Image.DecompressionBombWarning)
        assert_sentence(refusal(path), "big.png", "100 megapixel")


def test_pixel_limit_is_set_explicitly():
    assert intake.MAX_PIXELS == 100_000_000
    assert Image.MAX_IMAGE_PIXELS == intake.MAX_PIXELS


def test_file_over_100_mb_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.tif"
    with open(path, "wb") as fh:
        fh.write(b"II*\x00")
        fh.truncate(intake.MAX_FILE_BYTES + 1)  # sparse: no 100 MB written
    real_open = os.open
    opened = []

    def spy(file, *args, **kwargs):
        opened.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(source_files.os, "open", spy)
    msg = refusal(path)
    assert_sentence(msg, "huge.tif", "100 MB")
    assert opened == []  # refused from its size alone: not even opened
    small = write(tmp_path / "small.png", png_bytes(noisy_rgb((8, 8))))
    load_image(small)
    assert opened == [str(small)]  # the spy sees the one open of a file that is read


def test_bytes_over_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(refusals, "MAX_FILE_BYTES", 1000)
    msg = refusal(png_bytes(noisy_rgb((100, 100))), name="upload.png")
    assert_sentence(msg, "upload.png", "100 MB")


def test_folder(tmp_path):
    folder = tmp_path / "Holiday photos"
    folder.mkdir()
    assert_sentence(refusal(folder), "Holiday photos", "folder")


def test_missing_path(tmp_path):
    assert_sentence(refusal(tmp_path / "gone.jpg"), "gone.jpg", "no longer exists")


def test_unreadable_file(tmp_path, monkeypatch):
    """As root chmod cannot lock a file, so the refusal of the OS is played by os.open itself."""
    path = write(tmp_path / "secret.png", png_bytes(noisy_rgb((8, 8))))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(source_files.os, "open", refuse)
    assert_sentence(refusal(path), "secret.png", "permission")


def test_bytes_without_a_name_say_the_image():
    msg = refusal(b"")
    assert msg.startswith("Can't open the image: ") and "empty" in msg


# -- what loads, and how ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,ext",
    [
        ("JPEG", "jpg"),
        ("PNG", "png"),
        ("WEBP", "webp"),
        ("GIF", "gif"),
        ("BMP", "bmp"),
        ("TIFF", "tif"),
    ],
)
def test_supported_formats(tmp_path, fmt, ext):
    path = tmp_path / f"photo.{ext}"
    Image.new("RGB", (32, 24), (200, 40, 40)).save(path, fmt)
    loaded = load_image(path)
    assert loaded.format == fmt
    assert loaded.size == (32, 24)
    assert loaded.image.mode == "RGB"
    r, g, b = loaded.image.getpixel((16, 12))
    assert r > 150 and g < 90 and b < 90


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(path, "JPEG")  # red ink
    loaded = load_image(path)
    assert loaded.image.mode == "RGB"
    r, g, b = loaded.image.getpixel((20, 20))
    assert r > 200 and g < 80 and b < 80


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    img = Image.new("I;16", (64, 8))
    img.putdata([i * 1040 for i in range(64)] * 8)  # 0 .. 65520
    img.save(path)
    assert Image.open(path).mode.startswith("I")
    loaded = load_image(path)
    assert loaded.image.mode == "RGB"
    assert loaded.image.getpixel((0, 0)) == (0, 0, 0)
    assert loaded.image.getpixel((63, 0))[0] >= 250
    assert 120 <= loaded.image.getpixel((32, 0))[0] <= 135


def test_exif_orientation_6_rotates(tmp_path):
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 5, 5))  # red marker top-left as stored
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    img.save(path, "JPEG", exif=exif.tobytes(), quality=95)
    loaded = load_image(path)
    assert loaded.image.size == (20, 40)
    assert loaded.size == (20, 40)
    r, g, b = loaded.image.getpixel((17, 2))  # rotated 90 clockwise: marker now top-right
    assert r > 200 and b < 80
    assert check_image_file(path) == (20, 40)


def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(path)
    assert loaded.format == "GIF"
    r, g, b = loaded.image.getpixel((10, 10))
    assert r > 200 and g < 50


def test_alpha_is_composited_over_white(tmp_path):
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    img.paste((0, 0, 0, 255), (0, 0, 5, 10))
    path = write(tmp_path / "cutout.png", png_bytes(img))
    loaded = load_image(path)
    assert loaded.image.getpixel((8, 5)) == (255, 255, 255)
    assert loaded.image.getpixel((1, 5)) == (0, 0, 0)


def test_la_and_palette_transparency(tmp_path):
    la = Image.new("LA", (4, 4), (0, 128))
    assert load_image(png_bytes(la)).image.getpixel((0, 0)) == (127, 127, 127)
    p = Image.new("P", (4, 4), 1)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    p.info["transparency"] = 1
    assert load_image(png_bytes(p, transparency=1)).image.getpixel((0, 0)) == (255, 255, 255)


def test_one_pixel_and_very_wide(tmp_path):
    assert load_image(png_bytes(Image.new("RGB", (1, 1), (1, 2, 3)))).image.getpixel((0, 0)) == (
        1,
        2,
        3,
    )
    wide = load_image(write(tmp_path / "strip.png", png_bytes(Image.new("L", (20000, 1), 77))))
    assert wide.size == (20000, 1) and wide.image.getpixel((19999, 0)) == (77, 77, 77)


def test_icc_profiles_sRGB_and_broken_do_not_break_loading(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img = Image.new("RGB", (8, 8), (10, 200, 30))
    assert load_image(png_bytes(img, icc_profile=srgb)).image.getpixel((0, 0)) == (10, 200, 30)
    assert load_image(png_bytes(img, icc_profile=b"not a profile")).image.getpixel((0, 0)) == (
        10,
        200,
        30,
    )


def test_icc_profile_is_applied(monkeypatch):
    """A non-sRGB profile goes through ImageCms (lcms cannot build Adobe RGB here, so the sRGB
    description check is bypassed and a LAB-tagged conversion is observed instead)."""
    calls = []
    real = ImageCms.buildTransform

    def spy(src, dst, in_mode, out_mode, *args, **kw):
        calls.append((in_mode, out_mode))
        return real(src, dst, in_mode, out_mode, *args, **kw)

    monkeypatch.setattr(srgb_bands.ImageCms, "buildTransform", spy)
    monkeypatch.setattr(srgb_bands.ImageCms, "getProfileDescription", lambda p: "Camera RGB")
    monkeypatch.setattr(srgb_bands, "BAND_BYTES", 1)  # one band per row: 8 bands, one transform
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img = Image.new("RGB", (8, 8), (10, 200, 30))
    out = load_image(png_bytes(img, icc_profile=srgb)).image
    assert calls == [("RGB", "RGB")]
    assert max(abs(a - b) for a, b in zip(out.getpixel((0, 0)), (10, 200, 30), strict=True)) <= 2


def test_draft_decodes_big_jpeg_smaller(tmp_path):
    path = write(tmp_path / "big.jpg", jpeg_bytes(noisy_rgb((4000, 3000))))
    loaded = load_image(path, draft_size=(1000, 1000))
    assert loaded.size == (4000, 3000)
    w, h = loaded.image.size
    assert 1000 <= w < 4000 and 1000 <= h < 3000
    assert load_image(path).image.size == (4000, 3000)


def test_bytes_source_and_file_handle_is_closed(tmp_path):
    data = png_bytes(noisy_rgb((30, 20)))
    loaded = load_image(data)
    assert loaded.format == "PNG" and loaded.size == (30, 20)
    path = write(tmp_path / "x.png", data)
    loaded = load_image(path)
    loaded.image.getpixel((0, 0))
    path.unlink()  # nothing keeps the file open (matters on Windows)
    assert loaded.image.tobytes() == Image.open(io.BytesIO(data)).convert("RGB").tobytes()


# -- converting a band at a time (bounded memory) gives the same picture -------------------


def _over_white(img: Image.Image) -> Image.Image:
    white = Image.new("RGB", img.size, (255, 255, 255))
    return Image.composite(img.convert("RGB"), white, img.getchannel("A"))


def _with_orientation(img: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return png_bytes(img, exif=exif.tobytes())


def _upright(img: Image.Image, orientation: int) -> Image.Image:
    """Pillow's own EXIF rotation, as the reference."""
    img = img.copy()
    img.getexif()[0x0112] = orientation
    return ImageOps.exif_transpose(img)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("band_bytes", [1, 300, 10**9])  # a row a band, a few rows, one band
def test_bands_give_the_same_upright_picture_for_every_orientation(
    monkeypatch, orientation, band_bytes
):
    monkeypatch.setattr(srgb_bands, "BAND_BYTES", band_bytes)
    img = noisy_rgb((37, 23), seed=orientation).convert("RGBA")
    img.putalpha(Image.linear_gradient("L").resize((37, 23)))
    expected = _upright(_over_white(img), orientation)

    loaded = load_image(_with_orientation(img, orientation))

    assert loaded.image.size == expected.size == loaded.size
    assert loaded.image.tobytes() == expected.tobytes()


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_draft_reduces_any_format_band_by_band_like_the_whole_image(monkeypatch, orientation):
    monkeypatch.setattr(srgb_bands, "BAND_BYTES", 1)  # bands as thin as the reduction allows
    img = noisy_rgb((203, 97), seed=3)
    # 203 x 97 asked for >= 60 x 30: factor min(203 // 60, 97 // 30) = 3, then turned upright
    expected = _upright(img.reduce(3), orientation)
    draft = (60, 30) if orientation in (1, 3) else (30, 60)

    loaded = load_image(_with_orientation(img, orientation), draft_size=draft)

    assert loaded.image.tobytes() == expected.tobytes()
    assert loaded.size == ((203, 97) if orientation in (1, 3) else (97, 203))


def test_draft_makes_a_big_png_smaller_but_never_smaller_than_asked(tmp_path):
    path = write(tmp_path / "scan.png", png_bytes(noisy_rgb((2400, 1300))))
    loaded = load_image(path, draft_size=(500, 500))
    assert loaded.size == (2400, 1300)
    assert loaded.image.size == (1200, 650)  # factor 2: a factor of 3 would give 433 < 500
    assert load_image(path, draft_size=(4000, 4000)).image.size == (2400, 1300)


def test_16_bit_scale_is_decided_for_the_whole_picture_not_per_band(monkeypatch):
    """A band whose values all look 8-bit must still be scaled like the rest of the file."""
    monkeypatch.setattr(srgb_bands, "BAND_BYTES", 1)
    img = Image.new("I;16", (4, 6))
    img.putdata([200] * 12 + [65535] * 12)  # near-black top half, white bottom half
    loaded = load_image(png_bytes(img)).image
    assert loaded.getpixel((0, 0)) == (0, 0, 0)  # 200 / 257, not 200
    assert loaded.getpixel((0, 5)) == (255, 255, 255)


def test_grey_and_palette_pictures_still_come_back_rgb():
    grey = load_image(png_bytes(Image.new("L", (5, 5), 77))).image
    assert grey.mode == "RGB" and grey.getpixel((2, 2)) == (77, 77, 77)
    p = Image.new("P", (4, 4), 1)
    p.putpalette([0, 0, 0, 10, 120, 240] + [0] * 762)
    assert load_image(png_bytes(p)).image.getpixel((1, 1)) == (10, 120, 240)


# -- the pixel limit holds on every way in --------------------------------------------------


@pytest.mark.parametrize("how", ["load path", "load bytes", "check path", "check bytes"])
def test_pixel_limit_holds_on_every_entry_point_even_if_pillows_guard_is_off(
    tmp_path, monkeypatch, how
):
    """Our own width x height check runs whatever Pillow's MAX_IMAGE_PIXELS or warning filters
    were set to by other code."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    data = png_header_only(10001, 10000)
    path = write(tmp_path / "wide.png", data)
    call = {
        "load path": lambda: load_image(path),
        "load bytes": lambda: load_image(data, name="wide.png"),
        "check path": lambda: check_image_file(path),
        "check bytes": lambda: check_image_file(data, name="wide.png"),
    }[how]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(ImageRefused) as info:
            call()
    assert_sentence(str(info.value), "wide.png", "100 megapixel")


def test_a_jpeg_bomb_is_refused_before_draft_could_shrink_it(tmp_path):
    """draft() would make a huge JPEG decode small; the limit is on the file's real size."""
    header = jpeg_bytes(Image.new("RGB", (16, 16)))
    sof = header.index(b"\xff\xc0")  # baseline frame header: height and width follow
    data = header[: sof + 5] + (20000).to_bytes(2, "big") * 2 + header[sof + 9 :]
    msg = refusal(data, name="huge.jpg", draft_size=(256, 256))
    assert_sentence(msg, "huge.jpg", "100 megapixel")
