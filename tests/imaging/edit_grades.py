"""Known global colour grades, written in numpy, and how far a look lands (CIELAB).

The edits a person makes in Lightroom or darktable, as code: ``GRADES[name](rgb)`` takes and
returns floats 0..1 (sRGB), pixel by pixel, with no spatial change. ``percent_of_way`` is the
issue's measure: how far a photo moved from its untouched self to the truth, as mean Lab ΔE
(CIE76): 100 = exactly the true look, 0 = unchanged. Shared by tests/imaging/test_edit_fit.py
and benchmarks/bench_edit_fit.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

LUMA = np.array([0.2126, 0.7152, 0.0722])
Grade = Callable[[np.ndarray], np.ndarray]


def as_float(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float64) / 255.0


def as_image(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8), "RGB")


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ LUMA


def contrast(x: np.ndarray, amount: float) -> np.ndarray:
    """An S-curve through mid-grey (amount 0 = none), monotone for |amount| < 1."""
    return x - amount * np.sin(2.0 * np.pi * x) / (2.0 * np.pi)


def levels(x: np.ndarray, black: float, white: float) -> np.ndarray:
    """Output blacks lifted to ``black`` and whites rolled to ``white``."""
    return black + (white - black) * x


def gamma(x: np.ndarray, g: float) -> np.ndarray:
    return np.clip(x, 0.0, 1.0) ** g


def saturate(rgb: np.ndarray, amount: float) -> np.ndarray:
    y = luma(rgb)[..., None]
    return y + amount * (rgb - y)


def split_tone(rgb: np.ndarray, shadows: tuple[float, float, float], highlights: tuple[float, float, float]) -> np.ndarray:
    y = luma(rgb)[..., None]
    return rgb + (1.0 - y) ** 2 * np.array(shadows) + y**2 * np.array(highlights)


def curves_split_saturation(rgb: np.ndarray) -> np.ndarray:
    """The test's grade: an S-curve with lifted blacks, teal shadows and orange highlights,
    saturation up a third."""
    out = levels(contrast(rgb, 0.6), 0.05, 0.97)
    out = split_tone(out, (-0.05, 0.02, 0.06), (0.06, 0.02, -0.05))
    return np.clip(saturate(out, 1.3), 0.0, 1.0)


def tinted_black_and_white(rgb: np.ndarray) -> np.ndarray:
    """A red-filter black and white, contrasty, toned sepia."""
    grey = rgb @ np.array([0.5, 0.4, 0.1])
    grey = contrast(grey, 0.5)[..., None]
    return np.clip(grey * np.array([1.0, 0.9, 0.75]) + np.array([0.04, 0.03, 0.02]), 0.0, 1.0)


def cross_process(rgb: np.ndarray) -> np.ndarray:
    """Per-channel curves: red and green contrasty, blue flattened and lifted."""
    r = contrast(gamma(rgb[..., 0], 0.85), 0.7)
    g = contrast(gamma(rgb[..., 1], 0.95), 0.5)
    b = levels(gamma(rgb[..., 2], 1.2), 0.18, 0.8)
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0)


def faded_cool(rgb: np.ndarray) -> np.ndarray:
    """Lifted blacks, rolled-off whites, a cool cast, colours muted."""
    out = levels(rgb, 0.12, 0.9) + np.array([-0.03, 0.0, 0.05])
    return np.clip(saturate(out, 0.7), 0.0, 1.0)


def bleach_bypass(rgb: np.ndarray) -> np.ndarray:
    """Silver retained: half the colour gone, hard contrast."""
    out = saturate(rgb, 0.45)
    return np.clip(contrast(out, 0.8), 0.0, 1.0)


def warm_punchy(rgb: np.ndarray) -> np.ndarray:
    """Warm cast, crushed blacks, strong saturation."""
    out = gamma(rgb, 1.15) * np.array([1.08, 1.0, 0.86])
    out = levels(out, -0.03, 1.0)
    return np.clip(saturate(out, 1.45), 0.0, 1.0)


GRADES: dict[str, Grade] = {
    "curves + split tone + saturation": curves_split_saturation,
    "tinted black and white": tinted_black_and_white,
    "cross-process": cross_process,
    "faded and cool": faded_cool,
    "bleach bypass": bleach_bypass,
    "warm and punchy": warm_punchy,
}


def grade_image(img: Image.Image, grade: Grade) -> Image.Image:
    return as_image(grade(as_float(img)))


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB floats 0..1 to CIELAB (D65)."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16.0) / 116.0)
    return np.stack([116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]), 200.0 * (f[..., 1] - f[..., 2])], axis=-1)


def mean_delta_e(a: Image.Image, b: Image.Image) -> float:
    return float(np.linalg.norm(srgb_to_lab(as_float(a)) - srgb_to_lab(as_float(b)), axis=-1).mean())


def percent_of_way(before: Image.Image, after: Image.Image, truth: Image.Image) -> float:
    """100 * (1 - ΔE(after, truth) / ΔE(before, truth))."""
    return 100.0 * (1.0 - mean_delta_e(after, truth) / mean_delta_e(before, truth))
