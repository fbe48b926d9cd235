"""Applying a style to a batch of photos: Style Studio's batch against a floor and a peer.

    .venv/bin/python benchmarks/bench_apply.py [--photos 200] [--megapixels 12] [--processes N]

* floor: the bare loop (Pillow open -> Color3DLUT filter -> save q92) in a
  ProcessPoolExecutor with the same number of processes;
* Style Studio: the real ``style.apply`` job (enqueue, work pool, worker processes, items
  persisted), LUT only (the style has no look effects), JPEG q92 out;
* peer: ImageMagick's ``convert -hald-clut`` with the same LUT as a HaldCLUT, the same
  parallelism (skipped when ImageMagick is not installed);
* scaling: Style Studio with 1 and with N processes;
* peak memory of a worker process (max RSS of the pool's children) against one decoded photo.

Prints photos/s and ratios measured in this run. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageFilter  # noqa: E402


def make_photos(folder: Path, count: int, megapixels: float) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    rng = random.Random(1)
    base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    noise = Image.effect_noise((w, h), 40).convert("RGB")
    paths = []
    for i in range(count):
        tint = Image.new("RGB", (w, h), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        img = Image.blend(Image.blend(base, tint, 0.4), noise, 0.2)
        p = folder / f"photo{i:04}.jpg"
        img.save(p, quality=92)
        paths.append(p)
    return paths


_LUT: ImageFilter.Color3DLUT | None = None


def _floor_init(cube: str) -> None:
    global _LUT
    from desktop.imaging.lut import read_cube

    _LUT = read_cube(cube)


def _floor_one(src: str, dst: str) -> None:
    with Image.open(src) as im:
        im.filter(_LUT).save(dst, quality=92)


def floor(paths: list[Path], out: Path, cube: Path, procs: int) -> float:
    out.mkdir()
    with ProcessPoolExecutor(procs, initializer=_floor_init, initargs=(str(cube),)) as ex:
        ex.submit(_floor_init, str(cube)).result()
        start = time.perf_counter()
        list(ex.map(_floor_one, [str(p) for p in paths], [str(out / p.name) for p in paths]))
        return len(paths) / (time.perf_counter() - start)


def magick(paths: list[Path], out: Path, cube: Path, procs: int, exe: str) -> float:
    from desktop.imaging.lut import read_cube

    out.mkdir()
    hald = out.parent / "hald.png"
    subprocess.run([exe, "hald:8", str(out.parent / "identity.png")], check=True)
    Image.open(out.parent / "identity.png").convert("RGB").filter(read_cube(cube)).save(hald)
    start = time.perf_counter()
    with ThreadPoolExecutor(procs) as ex:
        list(ex.map(lambda p: subprocess.run([exe, str(p), str(hald), "-hald-clut", "-quality", "92", str(out / p.name)], check=True), paths))
    return len(paths) / (time.perf_counter() - start)


def studio(home: Path, style: int, src: Path, out: Path, procs: int) -> tuple[float, float]:
    """photos/s of the style.apply job, and the max RSS (MB) of its worker processes."""
    from desktop.jobs import processes
    from desktop.pipelines.style_apply import enqueue_apply
    from desktop.runtime import open_runtime

    os.environ["STYLESTUDIO_WORKER_PROCESSES"] = str(procs)
    processes.shutdown()
    rt = open_runtime(home)
    try:
        # warm the pool (spawning workers is a one-off cost of the app, not of a batch)
        warm = src.parent / "warm"
        warm.mkdir(exist_ok=True)
        Image.new("RGB", (64, 64)).save(warm / "w.jpg")
        for _ in range(procs):
            enqueue_apply(rt, style, [warm], out=out.parent / f"warm-out-{procs}", format="jpeg")
        asyncio.run(rt.engine.pool(max_parallel=procs).run(exit_when_idle=True))
        job = enqueue_apply(rt, style, [src], out=out, format="jpeg", quality=92)
        start = time.perf_counter()
        asyncio.run(rt.engine.pool(max_parallel=1).run(exit_when_idle=True))
        elapsed = time.perf_counter() - start
        row = rt.engine.require(job)
        assert row.status == "succeeded", row.error
        n = row.result_dict()["done"]
    finally:
        rt.close()
    processes.shutdown(wait=True)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return n / elapsed, rss_mb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--megapixels", type=float, default=12)
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    procs = args.processes
    tmp = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    try:
        os.environ["STYLESTUDIO_HOME"] = str(tmp / "home")
        from desktop.pipelines.style_generate import enqueue_style
        from desktop.runtime import open_runtime

        rt = open_runtime(tmp / "home")
        job = enqueue_style(rt, "warm golden tones", previews=1, size=64, seed=3)
        asyncio.run(rt.engine.pool().run(exit_when_idle=True))
        row = rt.engine.require(job)
        style = int(row.result_dict()["id"])
        from desktop.library import Library

        info = Library(rt.db, rt.paths).require(style)
        assert not info.params.get("looks"), "the benchmark style must be LUT only"
        cube = info.lut_path
        rt.close()
        print(f"Making {args.photos} photos of {args.megapixels:g} MP...", flush=True)
        paths = make_photos(tmp / "in", args.photos, args.megapixels)
        decoded_mb = Image.open(paths[0]).size[0] * Image.open(paths[0]).size[1] * 3 / 2**20

        fl = floor(paths, tmp / "floor", cube, procs)
        ours, rss = studio(tmp / "home", style, tmp / "in", tmp / "ours", procs)
        ours1, _ = studio(tmp / "home", style, tmp / "in", tmp / "ours1", 1)
        exe = shutil.which("magick") or ("/usr/bin/convert" if Path("/usr/bin/convert").exists() else None)
        im = magick(paths, tmp / "magick", cube, procs, exe) if exe else None

        print(f"\n{args.photos} photos of {args.megapixels:g} MP, JPEG q92 out, {procs} processes, {os.cpu_count()} cores")
        print("| run | photos/s | ratio |")
        print("|---|---:|---:|")
        print(f"| floor: Pillow open -> Color3DLUT -> save, ProcessPoolExecutor({procs}) | {fl:.2f} | 1.00x |")
        print(f"| Style Studio `style.apply`, LUT only, {procs} processes | {ours:.2f} | {ours / fl:.2f}x of floor (goal >= 0.85x) |")
        if im is not None:
            print(f"| ImageMagick `-hald-clut`, {procs} in parallel | {im:.2f} | Style Studio is {ours / im:.2f}x of it |")
        else:
            print("| ImageMagick | not installed | |")
        print(f"| Style Studio, 1 process | {ours1:.2f} | scaling 1 -> {procs}: {ours / ours1:.2f}x (goal >= 1.7x) |")
        print(f"\nPeak RSS of a worker process: {rss:.0f} MB; one decoded photo: {decoded_mb:.0f} MB "
              f"({rss / decoded_mb:.1f}x, includes the interpreter and Pillow, about 40 MB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
