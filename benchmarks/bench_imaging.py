"""Imaging benchmark (not a test): run with

    python benchmarks/bench_imaging.py

1. Intake of a generated 24-megapixel JPEG (6000 x 4000): full decode (the baseline) vs draft
   decoding to the size the app needs, best of 3, with the ratio.
2. The local generator: plan + 4 previews at 768 px + thumbnails, time per stage and total, for
   the first run in the process (sample photos decoded cold) and a warm second run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from desktop.generators.local import plan_style, render_preview  # noqa: E402
from desktop.imaging.intake import load_image  # noqa: E402
from desktop.imaging.thumbnails import save_preview, save_thumbnail  # noqa: E402
from desktop.resources import sample_photos  # noqa: E402


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def make_big_jpeg(path: Path, *, texture: float) -> None:
    """A 6000x4000 JPEG (q90): a sample photo enlarged, with ``texture`` (0..1) of noise mixed
    in. 0.15 gives a file size like a camera's (~8 MB); 0.5 is a worst case for the decoder."""
    size = (6000, 4000)
    coffee = next(p for p in sample_photos() if p.name == "coffee.png")
    photo = load_image(coffee).image.resize(size, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(size, 60).convert("RGB")
    Image.blend(photo, noise, texture).save(path, "JPEG", quality=90)


def bench_intake(folder: Path, texture: float) -> None:
    path = folder / "big.jpg"
    make_big_jpeg(path, texture=texture)
    mb = path.stat().st_size / 1e6
    full = best_of(3, lambda: load_image(path))
    rows = [("full decode (baseline)", full, load_image(path).image.size)]
    for draft in ((1536, 1536), (768, 768)):
        t = best_of(3, lambda d=draft: load_image(path, draft_size=d))
        rows.append((f"draft_size={draft[0]}", t, load_image(path, draft_size=draft).image.size))
    print(f"\n1. Intake of a 6000x4000 JPEG ({mb:.1f} MB, texture {texture}), best of 3")
    print(f"   {'mode':<24}{'time':>10}{'decoded size':>16}{'memory':>9}{'speed-up':>10}")
    for name, t, size in rows:
        mem = size[0] * size[1] * 3 / 1e6
        print(
            f"   {name:<24}{t * 1000:>8.0f}ms{size[0]:>9}x{size[1]:<6}{mem:>7.0f}MB{full / t:>9.1f}x"
        )


def bench_generator(folder: Path, label: str, description: str, reference) -> None:
    stages = []
    start = time.perf_counter()
    t = time.perf_counter()
    plan = plan_style(description, reference, seed=1)
    stages.append(("plan (analysis + LUT + looks)", time.perf_counter() - t))
    previews = []
    for i in range(4):
        t = time.perf_counter()
        previews.append(render_preview(plan, i, size=768))
        stages.append((f"preview {i + 1} of 4", time.perf_counter() - t))
    t = time.perf_counter()
    for i, img in enumerate(previews):
        save_thumbnail(img, folder / f"{label}-{i}.webp")
    stages.append(("4 thumbnails (WebP 256)", time.perf_counter() - t))
    total = time.perf_counter() - start
    t = time.perf_counter()
    for i, img in enumerate(previews):
        save_preview(img, folder / f"{label}-{i}.jpg")
    saving = time.perf_counter() - t
    print(
        f"\n2. Local generator, {label}: {description!r} (looks: {[lk.name for lk in plan.looks]})"
    )
    for name, t in stages:
        print(f"   {name:<32}{t * 1000:>8.0f}ms")
    print(f"   {'TOTAL (target < 1500 ms)':<32}{total * 1000:>8.0f}ms")
    print(f"   {'(+ 4 previews saved as JPEG)':<32}{saving * 1000:>8.0f}ms")


def main() -> None:
    print(f"Python {sys.version.split()[0]}, Pillow {Image.__version__}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_intake(folder, texture=0.15)
        bench_intake(folder, texture=0.5)
        astronaut = next(p for p in sample_photos() if p.name == "astronaut.png")
        reference = load_image(astronaut).image
        bench_generator(folder, "cold", "warm film grain with a vignette", reference)
        bench_generator(folder, "warm", "warm film grain with a vignette", reference)
        bench_generator(folder, "comic", "comic halftone duotone blue", None)


if __name__ == "__main__":
    main()
