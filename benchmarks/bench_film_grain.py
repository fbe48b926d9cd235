"""Film grain benchmark (not a test): run with

    python benchmarks/bench_film_grain.py

On the rocket sample photo at a 768 px preview and at 24 MP (6000 x 4004):
1. the grain's size relative to the picture (the autocorrelation length of grained - clean,
   over the long edge, on flat mid-grey): the same at both sizes;
2. the grain's spread in dark, mid and bright tones (a grey ramp);
3. "soft grain" on the clear sky: how far the sky's mean Lab colour moves, and its L and chroma
   noise;
4. time: the grain at 768 px and at 24 MP, best of 3, and as a ratio to a Pillow Gaussian blur
   (radius 2) of the same picture in the same run.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from benchmarks.grain_measures import correlation_length  # noqa: E402
from desktop.imaging.effects import Look, apply_looks, choose_looks  # noqa: E402
from desktop.imaging.lab import srgb_to_lab  # noqa: E402
from desktop.resources import sample_photos  # noqa: E402


def added(img: Image.Image, look: Look) -> np.ndarray:
    out = apply_looks(img, [look], seed=7)
    return (np.asarray(out, dtype=np.float64) - np.asarray(img, dtype=np.float64)).mean(axis=2)


def main() -> None:
    rocket = Image.open(next(p for p in sample_photos() if p.name == "rocket.jpg")).convert("RGB")
    print("1. grain size relative to the picture (autocorrelation half-length / long edge)")
    for size in ("fine", "medium", "coarse"):
        look = Look("grain", size={"fine": 1.0, "medium": 1.8, "coarse": 3.0}[size])
        row = []
        for edge in (768, 6000):
            h = round(edge * rocket.height / rocket.width)
            d = added(Image.new("RGB", (edge, h), (118, 118, 118)), look)[:1200, :1200]
            length = correlation_length(d)
            row.append(f"{edge:>5} px: {length:5.2f} px = {1000 * length / edge:.2f} per mille")
        print(f"   {size:<7}", " | ".join(row))

    print("2. grain spread by tone (levels of 255, grain at 50 %)")
    ramp = np.tile(np.linspace(0, 255, 1024).round().astype(np.uint8), (256, 1))
    d = added(Image.fromarray(np.stack([ramp] * 3, axis=2)), Look("grain"))
    for name, lo, hi in (("black (0)", -1, 0.5), ("dark 10-40", 10, 40), ("mid 110-145", 110, 145), ("bright 215-245", 215, 245), ("white (255)", 254.5, 256)):
        band = d[(ramp > lo) & (ramp < hi)]
        print(f"   {name:<15} {band.std():5.2f}")

    print("3. 'soft grain' on the rocket's clear sky (640 px photo)")
    out = apply_looks(rocket, choose_looks("soft grain"), seed=1)
    sky = (slice(10, 120), slice(20, 200))
    before = srgb_to_lab(np.asarray(rocket, dtype=np.float64)[sky] / 255)
    after = srgb_to_lab(np.asarray(out, dtype=np.float64)[sky] / 255)
    change = (after - before).reshape(-1, 3)
    moved = np.linalg.norm(after.reshape(-1, 3).mean(axis=0) - before.reshape(-1, 3).mean(axis=0))
    print(f"   mean colour moved ΔE {moved:.3f}; L noise {change[:, 0].std():.2f}; chroma noise {np.hypot(change[:, 1], change[:, 2]).std():.2f}")

    print("4. time, best of 3")
    for edge in (768, 6000):
        img = rocket.resize((edge, round(edge * rocket.height / rocket.width)), Image.Resampling.BICUBIC)
        grain = min(timeit.repeat(lambda img=img: apply_looks(img, [Look("grain")], seed=1), number=1, repeat=3))
        blur = min(timeit.repeat(lambda img=img: img.filter(ImageFilter.GaussianBlur(2)), number=1, repeat=3))
        print(f"   {img.width} x {img.height}: grain {grain * 1000:7.1f} ms, Gaussian blur {blur * 1000:7.1f} ms, ratio {grain / blur:.2f}")


if __name__ == "__main__":
    main()
