"""Applying a style to a batch of photos: Style Studio's batch against a floor and a peer.

    .venv/bin/python benchmarks/bench_apply.py [--photos 200] [--megapixels 12] [--processes N]
        [--magick-photos 20] [--big-megapixels 99]

* floor: the bare loop (Pillow open -> Color3DLUT filter -> save q92) in a
  ProcessPoolExecutor with the same number of processes (and with 1, for the machine's own
  scaling);
* Style Studio: the real ``style.apply`` job (enqueue, work pool, worker processes, items
  persisted), LUT only (the style has no look effects), JPEG q92 out;
* peer: ImageMagick's ``convert -hald-clut`` with the same LUT as a HaldCLUT, the same
  parallelism, on the first ``--magick-photos`` photos (it is slow; photos/s is compared;
  skipped when ImageMagick is not installed);
* scaling: Style Studio with 1 and with N processes;
* peak memory of a worker process: its high-water mark (``VmHWM``) less its resident size
  before the batch (interpreter, Pillow, the app's modules), against one decoded photo; then
  the same for one ``--big-megapixels`` photo (0: skipped).

The photos are 8 distinct generated JPEGs, hard-linked to the other names (the batch reads
and decodes every one; only the disk space is shared).

Prints photos/s and ratios measured in this run. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageFilter  # noqa: E402

DISTINCT = 8


def make_batch(folder: Path, count: int, megapixels: float) -> list[Path]:
    """``count`` photos: ``DISTINCT`` generated ones, hard-linked to the other names."""
    made = make_photos(folder, min(count, DISTINCT), megapixels)
    for i in range(len(made), count):
        target = folder / f"photo{i:04}.jpg"
        os.link(made[i % len(made)], target)
        made.append(target)
    return made


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
    from desktop.exchange.cube import read_pillow_lut

    _LUT = read_pillow_lut(cube)


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
    from desktop.exchange.cube import read_pillow_lut

    out.mkdir()
    hald = out.parent / "hald.png"
    subprocess.run([exe, "hald:8", str(out.parent / "identity.png")], check=True)
    Image.open(out.parent / "identity.png").convert("RGB").filter(read_pillow_lut(cube)).save(hald)
    start = time.perf_counter()
    with ThreadPoolExecutor(procs) as ex:
        list(ex.map(lambda p: subprocess.run([exe, str(p), str(hald), "-hald-clut", "-quality", "92", str(out / p.name)], check=True), paths))
    return len(paths) / (time.perf_counter() - start)


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def studio(home: Path, style: int, src: Path, out: Path, procs: int) -> tuple[float, float]:
    """photos/s of the style.apply job, and the largest growth (MB) of a worker process's
    peak resident memory over what it held before the batch."""
    from desktop.jobs import processes
    from desktop.pipelines.apply.request import enqueue_apply
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
        for f in processes.warm():
            f.result()
        workers = processes.worker_pids()
        before = {pid: _status_mb(pid, "VmRSS") for pid in workers}
        job = enqueue_apply(rt, style, [src], out=out, format="jpeg", quality=92)
        start = time.perf_counter()
        asyncio.run(rt.engine.pool(max_parallel=1).run(exit_when_idle=True))
        elapsed = time.perf_counter() - start
        row = rt.engine.require(job)
        assert row.status == "succeeded", row.error
        n = row.result_dict()["done"]
        growth = max(_status_mb(pid, "VmHWM") - before[pid] for pid in workers if pid in processes.worker_pids())
    finally:
        rt.close()
    processes.shutdown(wait=True)
    return n / elapsed, growth


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--megapixels", type=float, default=12)
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--magick-photos", type=int, default=20, help="photos for the ImageMagick peer (0: skip it)")
    ap.add_argument("--big-megapixels", type=float, default=99, help="size of the one big photo (0: skip it)")
    args = ap.parse_args()
    procs = args.processes
    tmp = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    try:
        os.environ["STYLESTUDIO_HOME"] = str(tmp / "home")
        from desktop.pipelines.generate.request import enqueue_style
        from desktop.runtime import open_runtime

        rt = open_runtime(tmp / "home")
        job = enqueue_style(rt, "warm golden tones", previews=1, size=64, seed=3)
        asyncio.run(rt.engine.pool().run(exit_when_idle=True))
        row = rt.engine.require(job)
        style = int(row.result_dict()["id"])
        from desktop.library.reading import Library

        info = Library(rt.db, rt.paths).require(style)
        assert not info.params.get("looks"), "the benchmark style must be LUT only"
        cube = info.lut_path
        rt.close()
        print(f"Making {args.photos} photos of {args.megapixels:g} MP...", flush=True)
        paths = make_batch(tmp / "in", args.photos, args.megapixels)
        decoded_mb = Image.open(paths[0]).size[0] * Image.open(paths[0]).size[1] * 3 / 2**20

        print("floor...", flush=True)
        fl = floor(paths, tmp / "floor", cube, procs)
        fl1 = floor(paths, tmp / "floor1", cube, 1)
        print("Style Studio...", flush=True)
        ours, grew = studio(tmp / "home", style, tmp / "in", tmp / "ours", procs)
        ours1, _ = studio(tmp / "home", style, tmp / "in", tmp / "ours1", 1)
        exe = shutil.which("magick") or shutil.which("convert")
        im = None
        if exe and args.magick_photos:
            print("ImageMagick...", flush=True)
            im = magick(paths[: args.magick_photos], tmp / "magick", cube, procs, exe)
        big = None
        if args.big_megapixels:
            print(f"one {args.big_megapixels:g} MP photo...", flush=True)
            (big_path,) = make_photos(tmp / "big", 1, args.big_megapixels)
            big_mb = Image.open(big_path).size[0] * Image.open(big_path).size[1] * 3 / 2**20
            _, big_grew = studio(tmp / "home", style, tmp / "big", tmp / "big-out", 1)
            big = (big_mb, big_grew)

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
        print(f"| floor, 1 process | {fl1:.2f} | the machine's own scaling 1 -> {procs}: {fl / fl1:.2f}x |")
        print(f"\nPeak memory of a worker over its resting size: {grew:.0f} MB; one decoded photo: {decoded_mb:.0f} MB "
              f"({grew / decoded_mb:.2f}x, goal <= 3x)")
        if big is not None:
            print(f"One {args.big_megapixels:g} MP photo: {big[1]:.0f} MB over resting; decoded {big[0]:.0f} MB ({big[1] / big[0]:.2f}x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
