"""Semi-transparent pixels through `apply`: the colours are graded as stored (never blended
with white first) and the alpha comes back byte for byte, in PNG, TIFF and WebP."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps

from desktop.exchange.cube import read_pillow_lut, write_pillow_lut
from desktop.imaging.apply import OutputOptions, Recipe, apply_to_file, render_file
from desktop.imaging.grade import identity_lut
from desktop.imaging.intake import load_image

from .corpus import noisy_rgba

# input format, how Pillow writes it, and the format the styled photo is written in (lossy WebP
# output cannot keep colours within 1, so a WebP's exactness is checked through a PNG output)
CASES = [
    ("PNG", "png", {}, "PNG"),
    ("TIFF", "tif", {}, "TIFF"),
    ("WEBP", "webp", {"lossless": True, "exact": True}, "PNG"),
]


def _identity(tmp_path: Path) -> Recipe:
    write_pillow_lut(tmp_path / "identity.cube", identity_lut(33), "identity")
    return Recipe(str(tmp_path / "identity.cube"), read_lut=read_pillow_lut)


def _grade(tmp_path: Path) -> Recipe:
    """A real, strong grade: red inverted, green lifted, blue pulled down."""
    lut = identity_lut(17).transform(lambda r, g, b: (1 - r, g**0.5, b * 0.6))
    write_pillow_lut(tmp_path / "grade.cube", lut, "grade")
    return Recipe(str(tmp_path / "grade.cube"), read_lut=read_pillow_lut)


def _channels(img: Image.Image) -> tuple[bytes, bytes]:
    return img.convert("RGB").tobytes(), img.getchannel("A").tobytes()


@pytest.mark.parametrize("fmt,ext,params,out_fmt", CASES, ids=[c[0] for c in CASES])
def test_an_identity_style_keeps_every_colour_and_every_alpha(tmp_path, fmt, ext, params, out_fmt):
    src = tmp_path / f"layer.{ext}"
    noisy_rgba().save(src, fmt, **params)
    with Image.open(src) as im:
        original = im.convert("RGBA")
    out = tmp_path / "out.part"

    result = apply_to_file(_identity(tmp_path), str(src), str(out), OutputOptions(), out_fmt)

    assert result["ok"], result
    with Image.open(out) as got:
        assert got.mode == "RGBA" and got.size == original.size
        assert got.getpixel((128, 0)) == (255, 0, 0, 128)  # was (255, 127, 127, 128)
        colour, alpha = _channels(got)
    assert alpha == original.getchannel("A").tobytes()  # byte for byte
    worst = ImageChops.difference(Image.frombytes("RGB", original.size, colour), original.convert("RGB"))
    assert max(hi for _lo, hi in worst.getextrema()) <= 1


def test_a_webp_written_as_webp_keeps_its_alpha_and_its_colour(tmp_path):
    src = tmp_path / "flat.webp"
    Image.new("RGBA", (64, 64), (255, 0, 0, 128)).save(src, "WEBP", lossless=True)
    out = tmp_path / "out.part"
    assert apply_to_file(_identity(tmp_path), str(src), str(out), OutputOptions(), "WEBP")["ok"]
    with Image.open(out) as got:
        assert got.format == "WEBP" and got.mode == "RGBA"
        assert set(got.getchannel("A").tobytes()) == {128}
        r, g, b, _a = got.getpixel((32, 32))
    assert r >= 250 and g <= 6 and b <= 6, (r, g, b)  # lossy, but red: not (255, 127, 127)


@pytest.mark.parametrize("fmt,ext,params,out_fmt", CASES, ids=[c[0] for c in CASES])
def test_a_transparent_pixel_is_graded_like_an_opaque_one_and_stays_transparent(
    tmp_path, fmt, ext, params, out_fmt
):
    colours = [(200, 60, 30), (20, 140, 220), (250, 250, 250), (0, 0, 0)]
    img = Image.new("RGBA", (len(colours), 3))
    for x, (r, g, b) in enumerate(colours):
        img.putpixel((x, 0), (r, g, b, 255))
        img.putpixel((x, 1), (r, g, b, 0))
        img.putpixel((x, 2), (r, g, b, 77))
    src = tmp_path / f"cut-out.{ext}"
    img.save(src, fmt, **params)
    out = tmp_path / "out.part"

    render_file(_grade(tmp_path), str(src), str(out), OutputOptions(), out_fmt)

    with Image.open(out) as got:
        for x, colour in enumerate(colours):
            opaque, clear, part = (got.getpixel((x, y)) for y in range(3))
            assert opaque[3] == 255 and clear[3] == 0 and part[3] == 77
            assert opaque[:3] != colour  # the grade did something
            for other in (clear, part):
                assert max(abs(a - b) for a, b in zip(other[:3], opaque[:3], strict=True)) <= 1, (x, other, opaque)


def test_the_alpha_shrinks_with_the_photo_and_transparent_colour_does_not_bleed(tmp_path):
    """long_edge shrinks colour and alpha together, weighted by alpha: an opaque red half
    beside a fully transparent green half stays red up to the edge, never brownish."""
    img = Image.new("RGBA", (400, 100), (0, 255, 0, 0))
    img.paste((255, 0, 0, 255), (0, 0, 200, 100))
    src = tmp_path / "half.png"
    img.save(src)
    out = tmp_path / "out.part"
    render_file(_identity(tmp_path), str(src), str(out), OutputOptions(long_edge=100), "PNG")
    with Image.open(out) as got:
        assert got.size == (100, 25)
        for x in range(100):
            r, g, b, a = got.getpixel((x, 12))
            if a >= 16:
                assert r >= 240 and g <= 15, (x, (r, g, b, a))
        assert got.getpixel((10, 12))[3] == 255 and got.getpixel((90, 12))[3] == 0


def test_references_and_previews_still_see_transparent_pixels_over_white():
    img = Image.new("RGBA", (2, 1), (255, 0, 0, 128))
    flat = load_image(_png(img)).image
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == (255, 127, 127)
    kept = load_image(_png(img), keep_alpha=True)
    assert kept.image.getpixel((0, 0)) == (255, 0, 0) and kept.alpha is not None
    assert kept.alpha.tobytes() == bytes([128, 128])


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_kept_alpha_is_turned_upright_and_reduced_with_the_colours(orientation):
    img = noisy_rgba(height=60)
    exif = Image.Exif()
    exif[0x0112] = orientation
    draft = (128, 30) if orientation in (1, 3) else (30, 128)  # a factor of 2 either way
    kept = load_image(_png(img, exif=exif.tobytes()), keep_alpha=True, draft_size=draft)
    assert kept.alpha is not None and kept.alpha.size == kept.image.size
    expected = img.reduce(2)  # Pillow weighs colour by alpha (premultiplies) to reduce RGBA
    expected.getexif()[0x0112] = orientation
    expected = ImageOps.exif_transpose(expected)
    assert kept.alpha.tobytes() == expected.getchannel("A").tobytes()
    assert kept.image.tobytes() == expected.convert("RGB").tobytes()


def _png(img: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **params)
    return buf.getvalue()
