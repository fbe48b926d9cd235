"""The photos people have, against the tools they would use instead: camera RAW and HEIC.

    .venv/bin/python benchmarks/bench_photos.py [--dngs 24] [--megapixels 24] [--rounds 2]
        [--processes 2] [--heics 12] [--heic-megapixels 12] [--skip-heic] [--skip-raw]

* **DNG → JPEG with one look**, ``--dngs`` DNGs of ``--megapixels`` (a 12-bit RGGB mosaic of a
  sample photo, written here; one made, hard-linked to the other names, so every file is read
  and decoded): Style Studio's ``apply`` against ``darktable-cli`` (``lut3d`` with the style's
  ``.cube``, after darktable's default RAW development) and ``rawtherapee-cli`` (the style's
  HaldCLUT as a film simulation, after RawTherapee's default development), whole commands, 2
  processes each; then the same with ``--long-edge 2048`` (Style Studio decodes at half size;
  darktable is given ``--width/--height 2048``), to show the half-size decode paying.
* **HEIC → JPEG**: Style Studio's ``apply`` against a bare loop (pi-heif decode, Pillow's
  ``Color3DLUT`` filter, JPEG q92 save) in a process pool of the same size.

Missing peers are skipped with a line. Prints photos/s, medians and ratios of the same run.
Not part of the test suite; docs/performance.md quotes its figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from bench_peers import make_look, run_each, stylestudio  # noqa: E402
from PIL import Image  # noqa: E402


def sample(width: int, height: int) -> np.ndarray:
    """A sample photo cropped and scaled to ``width`` x ``height``, linear light 0..1."""
    from desktop.resources import sample_photos

    src = Image.open(sample_photos()[0]).convert("RGB")
    scale = max(width / src.width, height / src.height)
    big = src.resize((round(src.width * scale), round(src.height * scale)), Image.Resampling.BICUBIC)
    left, top = (big.width - width) // 2, (big.height - height) // 2
    rgb = np.asarray(big.crop((left, top, left + width, top + height)), dtype=np.float32) / 255
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def write_photo_dng(path: Path, width: int, height: int) -> Path:
    """A DNG of a sample photo (``tests.photo_makers.write_dng`` with a real scene)."""
    from tests.photo_makers import write_dng

    return write_dng(path, (width, height), scene=sample(width, height) * 0.8)


def linked(first: Path, count: int) -> list[Path]:
    made = [first]
    for i in range(1, count):
        target = first.with_name(f"photo{i:03}{first.suffix}")
        os.link(first, target)
        made.append(target)
    return made


def timed_rounds(tools: dict[str, Callable[[Path], None]], count: int, rounds: int, work: Path, tag: str) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            out = work / "out" / f"{tag}-{r}-{names.index(name)}"
            out.mkdir(parents=True)
            t0 = time.perf_counter()
            tools[name](out)
            rates[name].append(count / (time.perf_counter() - t0))
            shutil.rmtree(out)
        print(f"  round {r + 1}: " + ", ".join(f"{n} {rates[n][-1]:.2f}" for n in names) + " photos/s", flush=True)
    return rates


def table(title: str, rates: dict[str, list[float]]) -> None:
    names = list(rates)
    base = statistics.median(rates[names[0]])
    print(f"\n{title}\n| tool | photos/s | median | {names[0]} is |\n|---|---|---:|---:|")
    for i, name in enumerate(names):
        med = statistics.median(rates[name])
        ratio = "1×" if i == 0 else f"{base / med:.2f}×"
        print(f"| {name} | {', '.join(f'{x:.2f}' for x in rates[name])} | {med:.2f} | {ratio} |")
    print(flush=True)


_LUT = None


def _bare_init(hald: str) -> None:
    global _LUT
    import pi_heif as pillow_heif  # what the app reads HEICs with

    from desktop.exchange.hald import read_hald

    pillow_heif.register_heif_opener()
    _LUT = read_hald(hald).to_pillow()


def _bare_one(src: str, out: str) -> None:
    with Image.open(src) as im:
        im.convert("RGB").filter(_LUT).save(out, quality=92)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dngs", type=int, default=24)
    ap.add_argument("--megapixels", type=float, default=24.0)
    ap.add_argument("--heics", type=int, default=12)
    ap.add_argument("--heic-megapixels", type=float, default=12.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--skip-raw", action="store_true")
    ap.add_argument("--skip-heic", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-photos-"))
    try:
        home = work / "home"
        style, luts = make_look(work, home, "warm, faded, teal shadows")
        p = args.processes

        if not args.skip_raw:
            w = int((args.megapixels * 1e6 * 1.5) ** 0.5) // 2 * 2
            h = int(w / 1.5) // 2 * 2
            raws = work / "raws"
            raws.mkdir()
            dngs = linked(write_photo_dng(raws / "photo000.dng", w, h), args.dngs)
            print(f"{len(dngs)} DNGs of {w} x {h} ({w * h / 1e6:.1f} MP) → JPEG q92, {p} processes each", flush=True)
            for edge in (None, 2048):
                extra = ["--long-edge", str(edge)] if edge else []
                tools: dict[str, Callable[[Path], None]] = {
                    "Style Studio": lambda out, extra=extra: stylestudio(home, "apply", style, str(raws), "--out", str(out), "--format", "jpeg", *extra)
                }
                if shutil.which("darktable-cli"):
                    size = ["--width", str(edge), "--height", str(edge)] if edge else []
                    tools["darktable-cli (lut3d)"] = lambda out, size=size: run_each(
                        [["darktable-cli", str(d), str(work / "look.xmp"), str(out / f"{d.stem}.jpg"), *size, "--core", "--configdir", str(out / ".dt{slot}"),
                          "--library", ":memory:", "--conf", f"plugins/darkroom/lut3d/def_path={luts}"] for d in dngs], p)
                else:
                    print("darktable-cli: not installed, skipped (Debian package darktable)")
                if shutil.which("rawtherapee-cli") and not edge:
                    tools["rawtherapee-cli (HaldCLUT)"] = lambda out: run_each(
                        [["rawtherapee-cli", "-o", str(out), "-p", str(work / "look.pp3"), "-j92", "-Y", "-q", "-c", *map(str, dngs[i::p])] for i in range(p)], p)
                elif not edge:
                    print("rawtherapee-cli: not installed, skipped (Debian package rawtherapee)")
                label = f"DNG → JPEG{f', long edge {edge}' if edge else ''}"
                table(label, timed_rounds(tools, len(dngs), args.rounds, work, f"raw{edge or 0}"))

        if not args.skip_heic:
            import pillow_heif

            w = int((args.heic_megapixels * 1e6 * 1.5) ** 0.5) // 2 * 2
            h = int(w / 1.5) // 2 * 2
            heics = work / "heics"
            heics.mkdir()
            rgb = (np.clip(sample(w, h), 0, 1) ** (1 / 2.2) * 255).astype(np.uint8)
            pillow_heif.from_bytes(mode="RGB", size=(w, h), data=rgb.tobytes()).save(str(heics / "photo000.heic"), quality=90)
            photos = linked(heics / "photo000.heic", args.heics)
            print(f"{len(photos)} HEICs of {w} x {h} → JPEG q92, {p} processes each", flush=True)

            def bare(out: Path) -> None:
                with ProcessPoolExecutor(p, initializer=_bare_init, initargs=(str(luts / "look.png"),)) as pool:
                    list(pool.map(_bare_one, [str(x) for x in photos], [str(out / f"{x.stem}.jpg") for x in photos]))

            heic_tools: dict[str, Callable[[Path], None]] = {
                "Style Studio": lambda out: stylestudio(home, "apply", style, str(heics), "--out", str(out), "--format", "jpeg"),
                "bare pillow-heif + Pillow loop": bare,
            }
            table("HEIC → JPEG", timed_rounds(heic_tools, len(photos), args.rounds, work, "heic"))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
