"""The corpus: colour grades written as code, the looks a colourist makes (issue 20, section 1).

Each grade is a global per-pixel function: float sRGB values in 0..1 (any shape ``(..., 3)``)
to float sRGB in 0..1, display-referred like a grade made with curves, levels and colour
balance in a photo editor. Being global, each one can be held exactly by a fine enough 3D LUT,
so "how far a style gets" is not limited by the format, only by how the style reads the look.

Amounts are what one would use on a real photo (a look, not an effect): each changes a photo
by a mean CIELAB distance of roughly 4 to 20.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Grade = Callable[[np.ndarray], np.ndarray]

_LUMA = np.array([0.2126, 0.7152, 0.0722])  # Rec. 709 weights on the encoded values


def luma(rgb: np.ndarray) -> np.ndarray:
    """Lightness as a colourist's luma: the Rec. 709 weighted sum of the encoded values."""
    return (rgb @ _LUMA)[..., None]


def to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def to_srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0, 1)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def s_curve(x: np.ndarray, k: float) -> np.ndarray:
    """A logistic S through (0, 0), (0.5, 0.5), (1, 1); steeper in the middle for larger k."""
    lo, hi = 1 / (1 + np.exp(k / 2)), 1 / (1 + np.exp(-k / 2))
    return (1 / (1 + np.exp(-k * (x - 0.5))) - lo) / (hi - lo)


def saturate(rgb: np.ndarray, amount: np.ndarray | float) -> np.ndarray:
    """Scale every colour's distance from its grey (same luma) by ``amount``."""
    y = luma(rgb)
    return y + amount * (rgb - y)


def smooth(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0, 1)
    return t * t * (3 - 2 * t)


# -- the grades ---------------------------------------------------------------------------------


def split_toning(rgb: np.ndarray) -> np.ndarray:
    """Teal shadows, orange highlights (a colour balance per tone band), neutrals kept in the
    middle."""
    y = luma(rgb)
    shadows = (1 - smooth(y, 0.0, 0.6)) * np.array([-0.1, 0.02, 0.09])
    highs = smooth(y, 0.4, 1.0) * np.array([0.1, 0.03, -0.1])
    return rgb + shadows + highs


def lifted_blacks(rgb: np.ndarray) -> np.ndarray:
    """A matte look: black output raised to 12 %, the rest of the curve eased into it."""
    return 0.12 + 0.88 * rgb ** 1.05


def crushed_blacks(rgb: np.ndarray) -> np.ndarray:
    """The darkest tones pushed down to black: 12 % and below become 0, a soft toe joins the
    identity at 40 % (midtones and highlights kept)."""
    black, knee = 0.12, 0.4
    t = np.clip((rgb - black) / (knee - black), 0, 1)
    toe = knee * (3 * t**2 - 2 * t**3) + (knee - black) * (t**3 - t**2)
    return np.where(rgb >= knee, rgb, toe)


def rolled_whites(rgb: np.ndarray) -> np.ndarray:
    """Highlights rolled off: a soft shoulder from 40 % that tops out at 80 % (no pure white)."""
    knee, top = 0.4, 0.8
    over = np.clip(rgb - knee, 0, None)
    room = top - knee
    rolled = knee + room * (1 - np.exp(-over / room * 1.15)) / (1 - np.exp(-(1 - knee) / room * 1.15))
    return np.where(rgb > knee, rolled, rgb)


def channel_curves(rgb: np.ndarray) -> np.ndarray:
    """RGB curves: red raised in the mids, green a touch of S, blue lifted in the shadows and
    lowered in the highlights (a warm, slightly vintage print)."""
    r = rgb[..., 0] ** 0.82
    g = 0.7 * rgb[..., 1] + 0.3 * s_curve(rgb[..., 1], 4)
    b = 0.08 + 0.8 * rgb[..., 2] ** 1.1
    return np.stack([r, g, b], axis=-1)


def muted(rgb: np.ndarray) -> np.ndarray:
    """Saturation down 45 %."""
    return saturate(rgb, 0.55)


def vibrance(rgb: np.ndarray) -> np.ndarray:
    """Vibrance up: dull colours gain up to +70 % saturation, vivid ones nearly nothing."""
    spread = rgb.max(-1, keepdims=True) - rgb.min(-1, keepdims=True)
    return saturate(rgb, 1 + 0.7 * (1 - smooth(spread, 0.0, 0.7)))


def bleach_bypass(rgb: np.ndarray) -> np.ndarray:
    """The silver-retention print look: the luma overlaid on the colour at 70 % (contrast up,
    colour down), as the usual shader does it."""
    y = luma(rgb)
    mix = np.clip(10 * (y - 0.45), 0, 1)
    multiply = 2 * rgb * y
    screen = 1 - 2 * (1 - y) * (1 - rgb)
    return rgb + 0.7 * (multiply + mix * (screen - multiply) - rgb)


def cross_process(rgb: np.ndarray) -> np.ndarray:
    """Slide film in negative chemistry: red and green steepened, blue flattened and lifted
    (yellow-green highlights, blue shadows)."""
    r = s_curve(rgb[..., 0], 6)
    g = 0.5 * rgb[..., 1] + 0.5 * s_curve(rgb[..., 1], 4.5)
    b = 0.16 + 0.68 * rgb[..., 2]
    return np.stack([r, g, b], axis=-1)


def tinted_mono(rgb: np.ndarray) -> np.ndarray:
    """Black and white toned warm: a gradient map from dark brown through tan to cream."""
    y = luma(rgb)[..., 0]
    stops = np.array([0.0, 0.5, 1.0])
    colours = np.array([[0.08, 0.05, 0.03], [0.56, 0.47, 0.36], [0.98, 0.95, 0.87]])
    return np.stack([np.interp(y, stops, colours[:, c]) for c in range(3)], axis=-1)


def warm_cast(rgb: np.ndarray) -> np.ndarray:
    """White balance moved warm (a tungsten-ish cast): red x1.15, blue x0.75 in linear light."""
    return to_srgb(to_linear(rgb) * np.array([1.15, 1.0, 0.75]))


def cool_cast(rgb: np.ndarray) -> np.ndarray:
    """White balance moved cool (shade, blue hour): red x0.8, green x0.97, blue x1.2."""
    return to_srgb(to_linear(rgb) * np.array([0.8, 0.97, 1.2]))


def film_s_curve(rgb: np.ndarray) -> np.ndarray:
    """A print-film curve: an S on every channel (a little more saturation with it), blacks
    at 3 %, whites at 96 %."""
    return 0.03 + 0.93 * (0.2 * rgb + 0.8 * s_curve(rgb, 6))


def desat_contrast(rgb: np.ndarray) -> np.ndarray:
    """The gritty look: saturation halved, then a strong S on luma (colours ride along)."""
    grey = saturate(rgb, 0.5)
    y = luma(grey)
    new_y = s_curve(np.clip(y, 0, 1), 7)
    return grey + (new_y - y)


def faded_film(rgb: np.ndarray) -> np.ndarray:
    """Faded print: blacks lifted to 9 % with a green-blue cast, whites dimmed to 90 % and
    warmed, saturation down 25 %."""
    x = saturate(rgb, 0.75)
    x = 0.09 + 0.81 * x
    y = luma(x)
    return x + (1 - smooth(y, 0.1, 0.5)) * np.array([-0.02, 0.015, 0.03]) + smooth(
        y, 0.55, 0.95
    ) * np.array([0.03, 0.01, -0.03])


GRADES: dict[str, Grade] = {
    "split toning": split_toning,
    "lifted blacks": lifted_blacks,
    "crushed blacks": crushed_blacks,
    "rolled-off whites": rolled_whites,
    "channel curves": channel_curves,
    "muted": muted,
    "vibrance": vibrance,
    "bleach bypass": bleach_bypass,
    "cross-process": cross_process,
    "tinted mono": tinted_mono,
    "warm cast": warm_cast,
    "cool cast": cool_cast,
    "film S-curve": film_s_curve,
    "desat contrast": desat_contrast,
    "faded film": faded_film,
}


def grade(name: str, rgb: np.ndarray) -> np.ndarray:
    """``rgb`` (float 0..1, shape (..., 3)) graded by the corpus grade ``name``, clipped to
    0..1."""
    return np.clip(GRADES[name](np.asarray(rgb, dtype=float)), 0, 1)
