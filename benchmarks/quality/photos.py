"""The photos the corpus grades: the real sample photos and a few synthetic ones made here.

Real: the bundled sample photos (``desktop.resources.sample_photos()``, the same files as
/work/shared/samples, licences in its LICENSES.md: NASA and SpaceX public domain, CC0). The
Hubble deep field (nearly all black sky) is a target only, never a reference: a graded black
sky shows almost nothing of a grade.

Synthetic (targets only, marked ``synthetic``): sky-over-ground scenes with their own palettes
(city dusk, meadow, beach, interior, autumn, grey day) and a colour chart (the 24 ColorChecker
patches plus a grey ramp), which holds the saturated colours the real photos lack.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from desktop.imaging.intake import load_image
from desktop.resources import sample_photos


@dataclass(frozen=True)
class Photo:
    name: str
    rgb: np.ndarray  # float 0..1, (h, w, 3): 8-bit values / 255
    real: bool
    reference: bool  # may be graded into a reference


def to_float(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=float) / 255


def to_image(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


def fit(img: Image.Image, size: int) -> Image.Image:
    """``img`` with its long edge ``size`` (LANCZOS), as the app sizes previews."""
    scale = size / max(img.size)
    return img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                      Image.Resampling.LANCZOS)


def real_photos(size: int) -> list[Photo]:
    out = []
    for path in sample_photos():
        img = fit(load_image(path).image.convert("RGB"), size)
        out.append(Photo(path.stem, to_float(img), True, "hubble" not in path.stem))
    return out


SCENES = {  # (sky top, sky bottom, ground dark, ground light, accent)
    "city dusk": [(30, 40, 80), (200, 120, 110), (30, 30, 35), (120, 115, 110), (250, 200, 90)],
    "meadow": [(100, 160, 230), (210, 230, 245), (40, 90, 30), (140, 180, 70), (230, 60, 50)],
    "beach": [(60, 140, 210), (180, 220, 240), (190, 170, 130), (245, 230, 200), (30, 120, 150)],
    "interior": [(80, 60, 50), (200, 170, 140), (40, 30, 25), (170, 140, 110), (60, 90, 140)],
    "autumn": [(120, 140, 170), (220, 200, 170), (70, 30, 10), (200, 110, 30), (160, 40, 20)],
    "grey day": [(140, 145, 150), (190, 192, 195), (50, 55, 50), (120, 125, 115), (150, 60, 60)],
}


def scene(palette: list[tuple[int, int, int]], seed: int, size: int) -> np.ndarray:
    """Sky gradient over textured ground, a sun or lamp, and a few lit shapes (8-bit values)."""
    rng = np.random.default_rng(seed)
    h = w = size
    y = np.linspace(0, 1, h)[:, None, None]
    pal = np.array(palette, dtype=float) / 255
    horizon = rng.uniform(0.35, 0.6)
    sky = pal[0] + (pal[1] - pal[0]) * np.clip(y / horizon, 0, 1)
    t = np.clip((y - horizon) / (1 - horizon), 0, 1)
    texture = _noise(rng, h, w, 6) * 0.6 + _noise(rng, h, w, 24) * 0.4
    ground = pal[2] + (pal[3] - pal[2]) * np.clip(0.3 + 0.5 * texture[..., None] + 0.3 * t, 0, 1)
    img = np.where(y < horizon, np.broadcast_to(sky, (h, w, 3)), ground)
    yy, xx = np.mgrid[0:h, 0:w] / size
    cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.1, horizon * 0.8)
    glow = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 0.01)[..., None]
    img = img + (pal[4] - img) * glow * 0.9
    for _ in range(4):  # shapes: buildings, trees, people
        x0, x1 = sorted(rng.uniform(0, 1, 2))
        y0 = rng.uniform(horizon - 0.25, horizon + 0.1)
        shade = rng.uniform(0.25, 1.0)
        colour = pal[rng.integers(2, 5)] * shade
        mask = (xx > x0) & (xx < x0 + (x1 - x0) * 0.4) & (yy > y0)
        side = np.clip(1 - (xx - x0) / max(1e-3, (x1 - x0) * 0.4), 0.6, 1)[..., None]
        img = np.where(mask[..., None], colour * side, img)
    img = img + rng.normal(0, 0.012, img.shape)  # sensor noise
    return np.round(np.clip(img, 0, 1) * 255) / 255


def _noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    small = Image.fromarray((rng.uniform(0, 255, (cells, cells))).astype(np.uint8), "L")
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=float) / 255


# The 24 patches of the classic colour checker, sRGB (D65) 8-bit as commonly published.
CHECKER = [
    (115, 82, 68), (194, 150, 130), (98, 122, 157), (87, 108, 67), (133, 128, 177),
    (103, 189, 170), (214, 126, 44), (80, 91, 166), (193, 90, 99), (94, 60, 108),
    (157, 188, 64), (224, 163, 46), (56, 61, 150), (70, 148, 73), (175, 54, 60),
    (231, 199, 31), (187, 86, 149), (8, 133, 161), (243, 243, 242), (200, 200, 200),
    (160, 160, 160), (122, 122, 121), (85, 85, 85), (52, 52, 52),
]


def chart(size: int) -> np.ndarray:
    """The 24 patches (6 x 4) over a grey ramp from black to white along the bottom fifth."""
    h = w = size
    img = np.zeros((h, w, 3))
    ramp_top = int(h * 0.8)
    ys = np.minimum(np.arange(ramp_top) * 4 // max(1, ramp_top), 3)
    xs = np.minimum(np.arange(w) * 6 // w, 5)
    patches = np.array(CHECKER, dtype=float) / 255
    img[:ramp_top] = patches[ys[:, None] * 6 + xs[None, :]]
    img[ramp_top:] = np.linspace(0, 1, w)[None, :, None]
    return np.round(img * 255) / 255


def synthetic_photos(size: int) -> list[Photo]:
    out = [Photo(name, scene(p, 200 + i, size), False, False) for i, (name, p) in enumerate(SCENES.items())]
    out.append(Photo("colour chart", chart(size), False, False))
    return out


def corpus_photos(size: int, synthetic: bool = True) -> list[Photo]:
    """Every photo of the corpus at long edge ``size``: the real ones first."""
    return real_photos(size) + (synthetic_photos(size) if synthetic else [])
