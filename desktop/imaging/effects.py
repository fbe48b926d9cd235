"""Effects (looks): the non-colour-grade part of a style, picked from words in the description
(the words of each family are ``desktop.imaging.words.LOOK_WORDS``).

Since styles carry their colour in the .cube, the families a colour lookup can express
(contrast, mono, sepia, duotone, posterize: ``IN_CUBE``) are built into the LUT by
``desktop.imaging.description.grade_from_description``; ``choose_looks`` only picks the
``EFFECTS`` (grain, vignette, halftone, ink lines, glow, pixel art, light leaks), which Style
Studio renders itself. The in-cube family functions stay for styles saved by older versions.
A style's whole look (grade, then effects) is ``desktop.imaging.apply.render_look``.

Each look family is a Pillow-only function of (image, look, rng). Parameters scale with the
image's long edge, so a look seen on a 768 px preview looks the same on a 6000 px export.
Randomness (grain, light-leak placement) comes only from ``random.Random`` seeded from the
style's seed and the look's name, so the same seed gives the same bytes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageOps

from desktop.imaging.colour import COLOUR_NAMES, rgb_to_lab
from desktop.imaging.words import LOOK_WORDS, find, normalise

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    name: str  # a key of FAMILIES
    amount: float = 1.0  # 0.6 "subtle", 1.0, 1.5 "heavy"
    colours: tuple[RGB, ...] = field(default=())  # duotone ends, pixel-art palette
    variant: str = ""  # e.g. "mono" halftone (one screen) after a duotone/mono/sepia look
    size: float = 1.0  # grain size: 1 "fine", 1.8 "medium", 3 "coarse" (GRAIN_SIZES)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "amount": self.amount}
        if self.colours:
            d["colours"] = [list(c) for c in self.colours]
        if self.variant:
            d["variant"] = self.variant
        if self.size != 1.0:
            d["size"] = self.size
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Look:
        """The look stored as ``d``; ValueError when its amount or size is not a finite number."""
        amount, size = float(d.get("amount", 1.0)), float(d.get("size", 1.0))
        if not (math.isfinite(amount) and math.isfinite(size)):
            raise ValueError("a look's amount and size are finite numbers")
        return cls(
            name=d["name"],
            amount=amount,
            colours=tuple(tuple(c) for c in d.get("colours", ())),  # type: ignore[misc]
            variant=str(d.get("variant", "")),
            size=size,
        )


GAMEBOY = ((15, 56, 15), (48, 98, 48), (139, 172, 15), (155, 188, 15))
DEFAULT_DUOTONE = ((28, 32, 96), (255, 206, 160))  # deep navy -> warm peach
_SINGLE_INK = frozenset({"duotone", "mono", "sepia"})
# What a colour lookup can express goes into the .cube; the rest are effects.
IN_CUBE = frozenset({"contrast", "mono", "sepia", "duotone", "posterize"})
EFFECTS = ("glow", "sketch", "halftone", "pixel", "light_leak", "vignette", "grain")
# Grain: how many grains fit along the long edge at size 1 ("fine"), whatever the image's size,
# so a 768 px preview and a 24 MP export show the same grain relative to the picture.
GRAIN_ACROSS = 640
GRAIN_SIGMA = 9.0  # the noise's standard deviation in mid-grey (0..255 levels) at amount 1
GRAIN_SIZES = {"fine": 1.0, "medium": 1.8, "coarse": 3.0}  # Look.size of each named size


def choose_looks(description: str) -> list[Look]:
    """The effects a description asks for, in the order they are applied (the .cube holds the
    rest of the look). Unknown words are ignored."""
    tokens = normalise(description)
    single_ink = any(find(tokens, LOOK_WORDS[name]) for name in _SINGLE_INK)
    looks: list[Look] = []
    for name in EFFECTS:
        hits = find(tokens, LOOK_WORDS[name])
        if not hits:
            continue
        amount = max(h.amount for h in hits)
        colours: tuple[RGB, ...] = ()
        variant = ""
        if name == "pixel" and find(tokens, ("gameboy", "game boy")):
            colours = GAMEBOY
        elif name == "halftone" and single_ink:
            variant = "mono"  # one screen angle: clean dots in the toned colours
        looks.append(Look(name, amount, colours, variant))
    return looks


def duotone_colours(names: list[str]) -> tuple[RGB, RGB]:
    """The dark and light ends of a duotone look (as older styles stored it) for colour names."""
    if not names:
        return DEFAULT_DUOTONE
    first = COLOUR_NAMES[names[0]]
    if len(names) == 1:
        return _mix(first, (0, 0, 0), 0.7), _mix(first, (255, 255, 255), 0.8)
    a, b = sorted((COLOUR_NAMES[names[0]], COLOUR_NAMES[names[-1]]), key=lambda c: rgb_to_lab(c)[0])
    return _mix(a, (0, 0, 0), 0.45), _mix(b, (255, 255, 255), 0.35)


def _mix(c1: Iterable[int], c2: Iterable[int], t: float) -> RGB:
    return tuple(round(a + (b - a) * t) for a, b in zip(c1, c2, strict=True))  # type: ignore[return-value]


def apply_looks(img: Image.Image, looks: Iterable[Look], seed: int) -> Image.Image:
    """``img`` with ``looks`` applied in the canonical order; same seed, same bytes."""
    out = img.convert("RGB") if img.mode != "RGB" else img
    order = list(FAMILIES)
    for look in sorted(
        looks, key=lambda lk: order.index(lk.name) if lk.name in FAMILIES else len(order)
    ):
        fn = FAMILIES.get(look.name)
        if fn is None:  # a look from a newer version: skip rather than fail
            continue
        out = fn(out, look, random.Random(f"{seed}:{look.name}"))
    return out



# -- effect levels: a style's grain and vignette set on their own (apply --grain/--vignette) ----

GRAIN_PERCENT = 50.0  # the grain a description's "film grain" gives (amount 1), in percent
VIGNETTE_PERCENT = 60.0  # how much darker a "vignette" makes the corners (amount 1), in percent


def with_levels(
    looks: Iterable[Look], *, grain: float | None = None, grain_size: str | None = None, vignette: float | None = None
) -> list[Look]:
    """``looks`` with their grain and vignette set on their own: ``grain`` in percent (0 none,
    ``GRAIN_PERCENT`` what the words "film grain" give, 100 twice that), ``grain_size`` a key of
    ``GRAIN_SIZES`` (for the grain there is), ``vignette`` in percent darker at the corners (0
    none). A level of 0 removes the effect; one above 0 adds it when the style had none; None
    keeps the style's own."""
    out = list(looks)
    if grain is not None:
        old = next((lk for lk in out if lk.name == "grain"), None)
        out = [lk for lk in out if lk.name != "grain"]
        if grain > 0:
            out.append(Look("grain", grain / GRAIN_PERCENT, size=old.size if old else 1.0))
    if grain_size is not None and grain_size in GRAIN_SIZES:
        out = [replace(lk, size=GRAIN_SIZES[grain_size]) if lk.name == "grain" else lk for lk in out]
    if vignette is not None:
        out = [lk for lk in out if lk.name != "vignette"]
        if vignette > 0:
            out.append(Look("vignette", vignette / VIGNETTE_PERCENT))
    return out


def levels_of(looks: Iterable[Look]) -> dict[str, Any]:
    """The grain (percent and size name) and vignette (percent) of ``looks``: what the detail
    pane's effect controls show; 0 for an effect the style does not have."""
    found = {lk.name: lk for lk in looks}
    grain, vignette = found.get("grain"), found.get("vignette")
    size = min(GRAIN_SIZES, key=lambda k: abs(GRAIN_SIZES[k] - grain.size)) if grain else "fine"
    return {
        "grain": round(grain.amount * GRAIN_PERCENT) if grain else 0,
        "grain_size": size,
        "vignette": round(min(1.0, VIGNETTE_PERCENT / 100 * vignette.amount) * 100) if vignette else 0,
    }

# -- the families ------------------------------------------------------------------------------


def _unit(img: Image.Image) -> float:
    """Scale factor: 1.0 at a 768 px long edge."""
    return max(img.size) / 768


def _blend(original: Image.Image, effect: Image.Image, amount: float) -> Image.Image:
    return effect if amount >= 1 else Image.blend(original, effect, max(0.0, amount))


def _contrast(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    k = 1 + 0.5 * look.amount
    lo, hi = _sigmoid(-0.5 * k * 6), _sigmoid(0.5 * k * 6)
    table = [round(255 * (_sigmoid((v / 255 - 0.5) * k * 6) - lo) / (hi - lo)) for v in range(256)]
    mix = 0.7
    table = [round(v * (1 - mix) + t * mix) for v, t in zip(range(256), table, strict=True)]
    return img.point(table * 3)


def _sigmoid(x: float) -> float:
    return 1 / (1 + 2.718281828459045**-x)


def _mono(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    grey = ImageOps.autocontrast(img.convert("L"), cutoff=0.5).convert("RGB")
    return _blend(img, grey, look.amount)


def _sepia(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    grey = ImageOps.autocontrast(img.convert("L"), cutoff=0.5)
    toned = ImageOps.colorize(grey, black=(38, 24, 12), white=(255, 244, 214), mid=(160, 118, 76))
    return _blend(img, toned, 0.85 * look.amount)


def _duotone(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    dark, light = look.colours or DEFAULT_DUOTONE
    grey = ImageOps.autocontrast(img.convert("L"), cutoff=1)
    return _blend(img, ImageOps.colorize(grey, black=dark, white=light), look.amount)


def _glow(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    blurred = _fast_blur(img, 12 * _unit(img) * look.amount)
    glow = ImageChops.screen(img, blurred)
    soft = Image.blend(img, blurred, min(0.5, 0.25 * look.amount))
    return Image.blend(soft, glow, min(0.8, 0.45 * look.amount))


def _fast_blur(img: Image.Image, radius: float) -> Image.Image:
    """A wide Gaussian blur done at quarter size (the result is smooth anyway)."""
    w, h = img.size
    f = 4 if min(w, h) >= 64 else 1
    small = img.resize((max(1, w // f), max(1, h // f)), Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(max(0.5, radius / f)))
    return small.resize((w, h), Image.Resampling.BILINEAR)


def _posterize(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    levels = 4 if look.amount > 1 else 7 if look.amount < 1 else 5
    table = [round(round(v / 255 * (levels - 1)) * 255 / (levels - 1)) for v in range(256)]
    smooth = img.filter(ImageFilter.GaussianBlur(0.8 * _unit(img)))  # fewer speckles between bands
    return smooth.point(table * 3)


def _sketch(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    u = _unit(img)
    grey = img.convert("L")
    if u > 1.5:  # find edges at preview scale so lines keep their weight on big images
        small = grey.resize((round(img.width / u), round(img.height / u)), Image.Resampling.BOX)
    else:
        small = grey
    soft = small.filter(ImageFilter.GaussianBlur(0.8))
    wide = small.filter(ImageFilter.GaussianBlur(2.5))
    gain = 5.0 * look.amount
    edges = ImageChops.subtract(wide, soft, scale=1 / gain)  # dark side of each edge: ink
    lines = ImageOps.invert(edges.filter(ImageFilter.MaxFilter(3)) if look.amount > 1 else edges)
    if lines.size != img.size:
        lines = lines.resize(img.size, Image.Resampling.BILINEAR)
    wash = Image.blend(img, Image.new("RGB", img.size, (250, 247, 240)), 0.55)
    return ImageChops.multiply(wash, Image.merge("RGB", (lines, lines, lines)))


def _halftone(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    cell = max(4, round(7 * _unit(img) * look.amount**0.5))
    bands = []
    angles = (45, 45, 45) if look.variant == "mono" else (15, 75, 45)
    for band, angle in zip(img.split(), angles, strict=True):
        screen = _screen(img.size, cell, angle)
        # (value - threshold) * 4 + 128: a steep ramp that anti-aliases the dot edges.
        bands.append(ImageChops.subtract(band, screen, scale=0.25, offset=128))
    dots = Image.merge("RGB", bands)
    return Image.blend(dots, img, 0.12)


@lru_cache(maxsize=32)
def _screen(size: tuple[int, int], cell: int, angle: int) -> Image.Image:
    """A clustered-dot threshold map: a dot grows from each cell's centre as the tone darkens."""
    c = (cell - 1) / 2
    order = sorted(range(cell * cell), key=lambda i: (i % cell - c) ** 2 + (i // cell - c) ** 2)
    values = [0] * (cell * cell)
    for rank, i in enumerate(order):
        values[i] = round(255 * (1 - (rank + 0.5) / len(order)))
    tile = Image.new("L", (cell, cell))
    tile.putdata(values)
    w, h = size
    side = int((w * w + h * h) ** 0.5) + 2 * cell
    n = side // cell + 1
    row = Image.new("L", (n * cell, cell))
    for i in range(n):
        row.paste(tile, (i * cell, 0))
    big = Image.new("L", (n * cell, n * cell))
    for j in range(n):
        big.paste(row, (0, j * cell))
    big = big.rotate(angle, resample=Image.Resampling.NEAREST)
    left, top = (big.width - w) // 2, (big.height - h) // 2
    return big.crop((left, top, left + w, top + h))


def _pixel(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    w, h = img.size
    across = max(16, round(112 / look.amount))  # blocks along the long edge
    block = max(1, round(max(w, h) / across))
    small = img.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BOX)
    if look.colours:
        pal = Image.new("P", (1, 1))
        flat = [v for c in look.colours for v in c]
        pal.putpalette(flat + flat[-3:] * (256 - len(look.colours)))
        small = ImageOps.autocontrast(small, cutoff=1).quantize(
            palette=pal, dither=Image.Dither.NONE
        )
    else:
        small = small.quantize(
            colors=16 if look.amount >= 1 else 32,
            method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE,
        )
    return small.convert("RGB").resize((w, h), Image.Resampling.NEAREST)


def _light_leak(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    w, h = img.size
    # radial_gradient is distance from the centre, 255 at the corners (181 at the edge middles).
    falloff = [round(255 * max(0.0, 1 - v / 181) ** 2) for v in range(256)]
    blob = Image.radial_gradient("L").point(falloff).resize((round(w * 1.2), round(h * 1.5)))
    glow = Image.new("L", (w, h), 0)
    side = rng.choice(("left", "right", "top"))
    along = rng.uniform(-0.3, 0.3)
    if side == "left":
        pos = (round(-blob.width * 0.5), round((h - blob.height) / 2 + along * h))
    elif side == "right":
        pos = (round(w - blob.width * 0.5), round((h - blob.height) / 2 + along * h))
    else:
        pos = (round((w - blob.width) / 2 + along * w), round(-blob.height * 0.5))
    glow.paste(blob, pos)
    strength = min(1.0, 0.95 * look.amount)
    glow = glow.point([round(v * strength) for v in range(256)])
    hue = rng.choice(((255, 110, 30), (255, 70, 50), (255, 150, 40)))
    colour = Image.composite(Image.new("RGB", (w, h), hue), Image.new("RGB", (w, h)), glow)
    return ImageChops.screen(img, colour)


def _vignette(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    w, h = img.size
    grad = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)  # 255 at corners
    depth = min(1.0, 0.6 * look.amount)  # how much darker the corners get
    table = []
    for v in range(256):
        t = min(1.0, max(0.0, (v / 255 - 0.35) / 0.65))
        table.append(round(255 * (1 - depth * t * t * (3 - 2 * t))))
    mask = grad.point(table)
    return ImageChops.multiply(img, Image.merge("RGB", (mask, mask, mask)))



def _grain(img: Image.Image, look: Look, rng: random.Random) -> Image.Image:
    """Film-like grain: one monochrome noise field (the same change to R, G and B, so colours
    keep their hue and a blue sky stays blue), strongest in mid-tones and fading to nothing at
    pure black and pure white (``grain_weight``). The field is drawn on a grid of
    ``GRAIN_ACROSS / look.size`` grains along the long edge and resized to the image, then
    scaled to a standard deviation of one, so grain has the same apparent size and strength at
    any image size. Deterministic: its numbers come from ``rng``."""
    import numpy as np

    field = grain_field(img.size, look.size, rng)
    levels = np.arange(256, dtype=np.float32) / 255
    per_tone = (GRAIN_SIGMA * look.amount * grain_weight(levels)).astype(np.float32)
    luma = np.asarray(img.convert("L"))  # Rec. 601 luma, as _LUMA
    rgb = np.asarray(img)
    out = np.empty_like(rgb)
    for top in range(0, rgb.shape[0], 512):  # strips: a 24 MP photo never needs a wide copy whole
        rows = slice(top, top + 512)
        delta = np.rint(field[rows] * per_tone[luma[rows]]).astype(np.int16)
        out[rows] = np.clip(rgb[rows].astype(np.int16) + delta[..., None], 0, 255)
    return Image.fromarray(out)


def grain_weight(luma: Any) -> Any:
    """How much grain a tone gets (0..1 per pixel, luma 0..1): 1 in mid-grey, falling smoothly
    to 0 at pure black and pure white, steeper in the shadows than a parabola so a dark sky
    does not turn to speckles."""
    import numpy as np

    t = np.clip(luma, 0.0, 1.0)
    return (4 * t * (1 - t)) ** 1.5


def grain_field(size: tuple[int, int], grain_size: float, rng: random.Random) -> Any:
    """A zero-mean, unit-deviation noise field (float32, rows × columns) whose grains are
    ``grain_size / GRAIN_ACROSS`` of the long edge, at least one pixel."""
    import numpy as np

    w, h = size
    long = max(w, h)
    across = max(1, min(long, round(GRAIN_ACROSS / max(0.25, grain_size))))
    gw, gh = max(1, round(w * across / long)), max(1, round(h * across / long))
    noise = np.random.default_rng(rng.getrandbits(64)).standard_normal((gh, gw), dtype=np.float32)
    noise = _binomial(_binomial(noise, 0), 1)  # round grains, not square cells
    if (gw, gh) != (w, h):
        noise = np.asarray(Image.fromarray(noise).resize((w, h), Image.Resampling.BICUBIC))
    noise = noise - noise.mean()
    spread = float(noise.std())
    return noise / spread if spread > 0 else noise


def _binomial(a: Any, axis: int) -> Any:
    """``a`` smoothed by the kernel (1, 2, 1) / 4 along ``axis`` (edges repeated)."""
    import numpy as np

    if a.shape[axis] < 3:
        return a
    padded = np.concatenate([np.take(a, [0], axis), a, np.take(a, [-1], axis)], axis=axis)
    n = a.shape[axis]
    return (np.take(padded, range(n), axis) + 2 * a + np.take(padded, range(2, n + 2), axis)) / 4


FAMILIES: dict[str, Callable[[Image.Image, Look, random.Random], Image.Image]] = {
    "contrast": _contrast,
    "mono": _mono,
    "sepia": _sepia,
    "duotone": _duotone,
    "glow": _glow,
    "posterize": _posterize,
    "sketch": _sketch,
    "halftone": _halftone,
    "pixel": _pixel,
    "light_leak": _light_leak,
    "vignette": _vignette,
    "grain": _grain,
}
