from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageOps

from desktop.imaging.intake import load_image
from desktop.resources import sample_photos


@pytest.fixture(scope="session")
def samples() -> list[tuple[str, Image.Image]]:
    """The bundled sample photos at 128 px, decoded once."""
    out = []
    for path in sample_photos():
        img = load_image(path).image.convert("RGB")
        img.thumbnail((128, 128))
        out.append((path.stem, img))
    return out


def _ramp(dark: tuple[int, int, int], light: tuple[int, int, int]) -> Image.Image:
    return ImageOps.colorize(Image.linear_gradient("L").resize((96, 96)), dark, light)


def _stripes(a: tuple[int, int, int], b: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", (96, 96), a)
    draw = ImageDraw.Draw(img)
    for x in range(0, 96, 16):
        draw.rectangle((x, 0, x + 7, 95), fill=b)
    return img


# References that disagree with words: each is what a word must win against.
REFERENCES = {
    "sunset": _ramp((90, 20, 0), (255, 190, 80)),  # warm, orange, saturated
    "night": _ramp((0, 5, 40), (60, 110, 200)),  # cold, dark, blue
    "grey": _ramp((100, 100, 100), (150, 150, 150)),  # flat, colourless
    "snow": _ramp((170, 175, 180), (255, 255, 255)),  # bright, flat
    "stark": _stripes((5, 5, 5), (250, 250, 250)),  # maximal contrast
    "candy": _stripes((230, 20, 160), (20, 200, 60)),  # vivid magenta and green
}
