"""Pure-python colour maths: sRGB <-> CIE Lab (D65) and human colour names.

No numpy: these run on a handful of values (palette entries, distinct colours of a small
thumbnail, LUT grid points), so plain floats are fast enough. Lab uses the D65 white of sRGB,
so sRGB white is exactly L=100, a=b=0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

RGB = tuple[int, int, int]
Lab = tuple[float, float, float]

# D65 reference white (sRGB), XYZ scaled so Y = 1.
XN, YN, ZN = 0.95047, 1.0, 1.08883

# Linear sRGB -> XYZ (D65) and back (IEC 61966-2-1).
M_RGB_TO_XYZ = (
    (0.4124564, 0.3575761, 0.1804375),
    (0.2126729, 0.7151522, 0.0721750),
    (0.0193339, 0.1191920, 0.9503041),
)
M_XYZ_TO_RGB = (
    (3.2404542, -1.5371385, -0.4985314),
    (-0.9692660, 1.8760108, 0.0415560),
    (0.0556434, -0.2040259, 1.0572252),
)

_EPS = 216 / 24389  # (6/29)^3
_KAPPA = 24389 / 27


def srgb_to_linear(c: float) -> float:
    """One sRGB-encoded channel in 0..1 to linear light."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c: float) -> float:
    """Linear light to an sRGB-encoded channel, clamped to 0..1."""
    if c <= 0.0031308:
        return max(0.0, 12.92 * c)
    return min(1.0, 1.055 * c ** (1 / 2.4) - 0.055)


# The 256 possible 8-bit inputs, decoded once.
LINEAR_8BIT = tuple(srgb_to_linear(i / 255) for i in range(256))


def lab_f(t: float) -> float:
    return t ** (1 / 3) if t > _EPS else (_KAPPA * t + 16) / 116


def lab_f_inv(f: float) -> float:
    f3 = f * f * f
    return f3 if f3 > _EPS else (116 * f - 16) / _KAPPA


def linear_to_lab(r: float, g: float, b: float) -> Lab:
    """Linear-light RGB (0..1) to Lab."""
    m0, m1, m2 = M_RGB_TO_XYZ
    fx = lab_f((m0[0] * r + m0[1] * g + m0[2] * b) / XN)
    fy = lab_f(m1[0] * r + m1[1] * g + m1[2] * b)
    fz = lab_f((m2[0] * r + m2[1] * g + m2[2] * b) / ZN)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def rgb_to_lab(rgb: Iterable[int]) -> Lab:
    """An 8-bit sRGB colour to Lab."""
    r, g, b = rgb
    return linear_to_lab(LINEAR_8BIT[r], LINEAR_8BIT[g], LINEAR_8BIT[b])


def lab_to_linear(lab: Lab) -> tuple[float, float, float]:
    """Lab to linear-light RGB (may fall outside 0..1 for out-of-gamut colours)."""
    big_l, a, b = lab
    fy = (big_l + 16) / 116
    x = XN * lab_f_inv(fy + a / 500)
    y = YN * lab_f_inv(fy)
    z = ZN * lab_f_inv(fy - b / 200)
    m0, m1, m2 = M_XYZ_TO_RGB
    return (
        m0[0] * x + m0[1] * y + m0[2] * z,
        m1[0] * x + m1[1] * y + m1[2] * z,
        m2[0] * x + m2[1] * y + m2[2] * z,
    )


def lab_to_rgb(lab: Lab) -> RGB:
    """Lab to an 8-bit sRGB colour (out-of-gamut channels are clipped)."""
    return tuple(round(255 * linear_to_srgb(c)) for c in lab_to_linear(lab))  # type: ignore[return-value]


def chroma(lab: Lab) -> float:
    return math.hypot(lab[1], lab[2])


def delta_e(lab1: Lab, lab2: Lab) -> float:
    """CIE76 colour difference (plain Euclidean distance in Lab)."""
    return math.dist(lab1, lab2)


def hex_colour(rgb: Iterable[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# Human colour names, few enough to read as a person would name a swatch.
COLOUR_NAMES: dict[str, RGB] = {
    "black": (10, 10, 10),
    "charcoal": (54, 57, 61),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "white": (248, 248, 246),
    "cream": (245, 235, 200),
    "beige": (215, 196, 160),
    "tan": (180, 145, 100),
    "brown": (120, 75, 40),
    "chocolate": (70, 40, 25),
    "maroon": (110, 20, 30),
    "red": (205, 30, 35),
    "crimson": (170, 15, 60),
    "coral": (250, 120, 90),
    "salmon": (240, 150, 130),
    "orange": (240, 130, 20),
    "amber": (255, 180, 0),
    "gold": (212, 170, 50),
    "yellow": (245, 225, 40),
    "olive": (110, 110, 35),
    "lime": (160, 215, 50),
    "green": (40, 150, 60),
    "forest green": (30, 80, 40),
    "mint": (160, 230, 190),
    "teal": (0, 120, 120),
    "turquoise": (50, 200, 200),
    "sky blue": (120, 180, 235),
    "blue": (30, 80, 200),
    "navy": (20, 30, 80),
    "indigo": (70, 40, 140),
    "purple": (120, 50, 150),
    "lavender": (185, 165, 225),
    "magenta": (210, 40, 160),
    "pink": (240, 150, 190),
    "rose": (200, 90, 120),
}

NEUTRAL_NAMES = frozenset({"black", "charcoal", "grey", "silver", "white"})

_NAME_LABS: tuple[tuple[str, Lab], ...] = tuple(
    (name, rgb_to_lab(rgb)) for name, rgb in COLOUR_NAMES.items()
)


def name_colour(rgb: Iterable[int]) -> str:
    """The nearest human name (in Lab) for an 8-bit sRGB colour."""
    lab = rgb_to_lab(rgb)
    # Chroma matters more than small lightness differences when naming a hue.
    best = min(
        _NAME_LABS,
        key=lambda item: (
            0.6 * (item[1][0] - lab[0]) ** 2
            + (item[1][1] - lab[1]) ** 2
            + (item[1][2] - lab[2]) ** 2
        ),
    )
    return best[0]
