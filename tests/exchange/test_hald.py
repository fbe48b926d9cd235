"""HaldCLUT PNGs: ours are level 8 (512x512) and hold the grade; any level is read back; an
image that is not a Hald, or that intake refuses, is refused in one sentence."""

from __future__ import annotations

import pytest
from PIL import Image

from desktop.errors import UserError
from desktop.exchange.hald import read_hald, write_hald
from desktop.imaging.description import grade_from_description
from desktop.imaging.grade import build_lut, identity_lut


def test_our_hald_is_level_8_and_holds_the_grade(tmp_path):
    grade = build_lut(grade_from_description("warm vivid sunset"), strength=1.0)
    path = write_hald(tmp_path / "warm.png", grade)
    with Image.open(path) as im:
        assert (im.format, im.size, im.mode) == ("PNG", (512, 512), "RGB")
    back = read_hald(path)
    assert (back.dimensions, back.size, back.title) == (3, 64, "warm")
    photo = Image.radial_gradient("L").convert("RGB").resize((64, 64))
    photo = Image.merge("RGB", (photo.getchannel(0), photo.getchannel(1).transpose(Image.Transpose.FLIP_LEFT_RIGHT), photo.getchannel(2).rotate(90)))
    ours = photo.filter(grade).tobytes()
    via_hald = photo.filter(back.to_pillow()).tobytes()
    assert max(abs(a - b) for a, b in zip(ours, via_hald, strict=True)) <= 3


@pytest.mark.parametrize("level", [2, 4])
def test_any_level_is_read(tmp_path, level):
    path = write_hald(tmp_path / f"id{level}.png", identity_lut(17), level=level)
    lut = read_hald(path)
    assert lut.size == level * level
    assert lut.to_unit().table.tolist() == pytest.approx(identity_lut(level * level).table, abs=1 / 255)


def test_a_photo_is_not_a_hald(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), "red").save(path)
    with pytest.raises(UserError) as err:
        read_hald(path)
    assert "300x200 pixels, not a HaldCLUT" in str(err.value)


def test_a_damaged_png_is_refused_by_intake(tmp_path):
    path = tmp_path / "broken.png"
    good = tmp_path / "good.png"
    write_hald(good, identity_lut(9), level=4)
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError) as err:
        read_hald(path)
    assert '"broken.png"' in str(err.value) and "\n" not in str(err.value)
