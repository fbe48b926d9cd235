"""Imaging benchmark (not a test): run with

    python benchmarks/bench_imaging.py

1. Intake of a generated 24-megapixel JPEG (6000 x 4000): full decode (the baseline) vs draft
   decoding to the size the app needs, best of 3, with the ratio.
2. The local generator: plan + 4 previews at 768 px + thumbnails, time per stage and total, for
   the first run in the process (sample photos decoded cold) and a warm second run.
3. Targets that used to be asserted in tests (tests assert behaviour, timings live here): a
   LUT build, analysis of a 12-megapixel picture, all looks at 768 px, refusing a
   decompression-bomb header and a file over 100 MB, each against its target.
4. A 100-megapixel 16-bit grey PNG (a ~1 MB file): full decode vs decode for analysis
   (draft_size 1024), time and peak memory, each in a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from desktop.generators.local import plan_style, render_preview  # noqa: E402
from desktop.imaging.analysis import analyse  # noqa: E402
from desktop.imaging.description import grade_from_description  # noqa: E402
from desktop.imaging.effects import FAMILIES, Look, apply_looks  # noqa: E402
from desktop.imaging.grade import build_lut  # noqa: E402
from desktop.imaging.intake import ImageRefused, load_image  # noqa: E402
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


def _refused(path: Path) -> None:
    try:
        load_image(path)
    except ImageRefused:
        return
    raise AssertionError(f"{path.name} was not refused")


def bench_targets(folder: Path) -> None:
    from tests.imaging.corpus import png_header_only

    bomb = folder / "bomb.png"
    bomb.write_bytes(png_header_only(60000, 60000))
    huge = folder / "huge.tif"
    with open(huge, "wb") as fh:
        fh.write(b"II*\x00")
        fh.truncate(100 * 1024 * 1024 + 1)
    big = Image.new("RGB", (4000, 3000), (90, 120, 150))
    astronaut = next(p for p in sample_photos() if p.name == "astronaut.png")
    photo = load_image(astronaut).image.resize((768, 768))
    everything = [Look(name) for name in FAMILIES]
    apply_looks(photo, everything, seed=0)  # warm caches (halftone screens)
    rows = [
        ("build a 33^3 LUT from words", 0.5, lambda: build_lut(grade_from_description("warm teal and orange, moody"))),
        ("analyse 4000x3000", 0.5, lambda: analyse(big)),
        ("all looks at 768 px (warm)", 1.0, lambda: apply_looks(photo, everything, seed=1)),
        ("refuse a 60000x60000 PNG header", 1.0, lambda: _refused(bomb)),
        ("refuse a 100 MB + 1 byte file", 0.5, lambda: _refused(huge)),
    ]
    print("\n3. Targets once asserted in tests, best of 3")
    print(f"   {'what':<34}{'time':>9}{'target':>9}{'of target':>11}")
    for name, target, fn in rows:
        t = best_of(3, fn)
        print(f"   {name:<34}{t * 1000:>7.0f}ms{target * 1000:>7.0f}ms{t / target:>10.0%}")


_MEASURE = """
import json, sys, time
from desktop.imaging.intake import load_image
def hwm():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))
draft = json.loads(sys.argv[2])
before, start = hwm(), time.perf_counter()
im = load_image(sys.argv[1], draft_size=tuple(draft) if draft else None).image
print(json.dumps([time.perf_counter() - start, (hwm() - before) / 1024, im.size]))
"""


def bench_big_png(folder: Path) -> None:
    from tests.imaging.corpus import write_big_png

    path = write_big_png(folder / "grey16.png", 10000, 10000, channels=1, depth=16)
    print(f"\n4. A 100-megapixel 16-bit grey PNG ({path.stat().st_size / 1e6:.1f} MB), fresh process each")
    print(f"   {'mode':<28}{'time':>8}{'peak memory':>13}{'decoded size':>16}{'speed-up':>10}")
    root = Path(__file__).resolve().parent.parent
    base = None
    for name, draft in (("full decode (baseline)", None), ("draft_size=1024", [1024, 1024])):
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path), json.dumps(draft)],
            capture_output=True, text=True, cwd=root, check=True,
        )
        t, mb, size = json.loads(out.stdout)
        base = base or t
        print(f"   {name:<28}{t:>7.1f}s{mb:>10.0f} MB{size[0]:>9}x{size[1]:<6}{base / t:>9.1f}x")


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
        bench_targets(folder)
        if os.path.exists("/proc/self/status"):
            bench_big_png(folder)


if __name__ == "__main__":
    main()
