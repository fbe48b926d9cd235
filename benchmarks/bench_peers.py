"""One look on a folder of photos: Style Studio against the tools a person would use instead.

    .venv/bin/python benchmarks/bench_peers.py [--photos 24] [--megapixels 12] [--rounds 3]
        [--processes 2] [--description "warm, faded, teal shadows"]

The same photos (the bundled sample photos, scaled to ``--megapixels`` and saved as JPEG q92),
the same look, the same number of processes, whole commands timed from start to end:

* **Style Studio**: ``stylestudio apply STYLE FOLDER --out OUT`` (its own worker processes);
* **darktable**: ``darktable-cli`` with the ``lut3d`` module reading the style's 33-point
  ``.cube`` (an XMP sidecar written here; ``--core --library :memory:``), one process per
  photo, ``--processes`` at a time;
* **RawTherapee**: ``rawtherapee-cli`` with the style's HaldCLUT as a film simulation
  (strength 100, a ``.pp3`` written here), the photos split over ``--processes`` processes;
* **ImageMagick**: ``convert IN HALD -hald-clut OUT`` (by its Debian path or ``magick``),
  ``--processes`` at a time.

Every peer is optional: a missing one is skipped with a line. The rounds alternate the order.
Prints photos/s per tool and round, the median, Style Studio's speed as a multiple of each
peer's, and how far each peer's photos are from Style Studio's (mean and 99th percentile of
the per-pixel difference, in 1/255; JPEG both ways, so about 1 is the same look). Not part of
the test suite; the README's performance section quotes its figures.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

CLI = [sys.executable, "-m", "desktop.cli"]


def stylestudio(home: Path, *args: str) -> str:
    done = subprocess.run([*CLI, "--home", str(home), *args], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"stylestudio {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def make_photos(folder: Path, count: int, megapixels: float) -> list[Path]:
    from desktop.resources import sample_photos

    folder.mkdir(parents=True, exist_ok=True)
    samples = [Image.open(p).convert("RGB") for p in sample_photos()]
    w = int((megapixels * 1e6 * 3 / 2) ** 0.5)
    h = int(w * 2 / 3)
    made = []
    for i in range(count):
        src = samples[i % len(samples)]
        scale = max(w / src.width, h / src.height)
        big = src.resize((round(src.width * scale), round(src.height * scale)), Image.Resampling.BICUBIC)
        left, top = (big.width - w) // 2, (big.height - h) // 2
        path = folder / f"photo{i:03}.jpg"
        big.crop((left, top, left + w, top + h)).save(path, quality=92)
        made.append(path)
    return made


def darktable_xmp(cube_name: str) -> str:
    """An XMP sidecar whose history is one ``lut3d`` step (module version 3: the file path
    relative to the LUT folder, sRGB, tetrahedral), its parameters hex-encoded."""
    params = cube_name.encode().ljust(512, b"\0") + struct.pack("<iii", 0, 0, 0) + b"\0" * (2048 * 2 * 3) + b"\0" * 128
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:darktable="http://darktable.sf.net/"
    darktable:xmp_version="5" darktable:history_end="1">
   <darktable:history><rdf:Seq>
    <rdf:li darktable:num="0" darktable:operation="lut3d" darktable:enabled="1"
      darktable:modversion="3" darktable:params="{params.hex()}"
      darktable:multi_name="" darktable:multi_priority="0"/>
   </rdf:Seq></darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def make_look(work: Path, home: Path, description: str) -> tuple[str, Path]:
    """One style made from ``description`` in ``home`` and the look in every peer's form, in
    ``work``: ``luts/look.cube`` (33 points) and ``luts/look.png`` (HaldCLUT), ``look.xmp``
    (darktable's lut3d) and ``look.pp3`` (RawTherapee's film simulation). Returns the style's id
    and the LUT folder."""
    style = stylestudio(home, "generate", description).strip().splitlines()[-1].split()[0]
    luts = work / "luts"
    luts.mkdir()
    stylestudio(home, "export", style, "--format", "cube", "--size", "33", "--out", str(luts / "look.cube"))
    stylestudio(home, "export", style, "--format", "hald", "--out", str(luts / "look.png"))
    (work / "look.xmp").write_text(darktable_xmp("look.cube"))
    (work / "look.pp3").write_text(
        f"[Version]\nAppVersion=5.9\nVersion=348\n\n[Film Simulation]\nEnabled=true\nClutFilename={luts / 'look.png'}\nStrength=100\n"
    )
    return style, luts


def run_each(commands: list[list[str]], processes: int) -> None:
    """Run the commands, ``processes`` at a time; ``{slot}`` in a command becomes the number of
    the slot it runs in (0 to processes - 1), for tools that lock a folder of their own."""
    slots: queue.Queue[int] = queue.Queue()
    for i in range(processes):
        slots.put(i)

    def one(cmd: list[str]) -> None:
        slot = slots.get()
        try:
            done = subprocess.run([c.replace("{slot}", str(slot)) for c in cmd], capture_output=True, text=True, timeout=3600)
        finally:
            slots.put(slot)
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {(done.stderr or done.stdout).strip()[-300:]}")

    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, commands))


def magick() -> list[str] | None:
    if shutil.which("magick"):
        return ["magick"]
    return ["/usr/bin/convert"] if os.access("/usr/bin/convert", os.X_OK) else None


def difference(ours: Path, theirs: Path) -> tuple[float, float]:
    a = np.asarray(Image.open(ours).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(theirs).convert("RGB").resize((a.shape[1], a.shape[0])), dtype=np.int16)
    d = np.abs(a - b)
    return float(d.mean()), float(np.percentile(d, 99))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=int, default=24)
    ap.add_argument("--megapixels", type=float, default=12.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--description", default="warm, faded, teal shadows")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    try:
        home = work / "home"
        photos = make_photos(work / "photos", args.photos, args.megapixels)
        style, luts = make_look(work, home, args.description)
        print(f"{len(photos)} photos of {args.megapixels:g} MP, style {style} ({args.description!r}), {args.processes} processes each")

        def ours(out: Path) -> None:
            stylestudio(home, "apply", style, str(work / "photos"), "--out", str(out), "--grain", "0", "--vignette", "0", "--quality", "92")

        tools: dict[str, Callable[[Path], None]] = {"Style Studio": ours}
        if shutil.which("darktable-cli"):

            def darktable(out: Path) -> None:
                conf = out / ".dtconf"
                run_each(
                    [
                        ["darktable-cli", str(p), str(work / "look.xmp"), str(out / p.name), "--core", "--configdir", f"{conf}{{slot}}",
                         "--library", ":memory:", "--conf", f"plugins/darkroom/lut3d/def_path={luts}", "--conf", "plugins/imageio/format/jpeg/quality=92"]
                        for p in photos
                    ],
                    args.processes,
                )

            tools["darktable-cli (lut3d)"] = darktable
        else:
            print("darktable-cli: not installed, skipped (Debian package darktable)")
        if shutil.which("rawtherapee-cli"):

            def rawtherapee(out: Path) -> None:
                shares = [photos[i :: args.processes] for i in range(args.processes)]
                run_each([["rawtherapee-cli", "-o", str(out), "-p", str(work / "look.pp3"), "-j92", "-Y", "-q", "-c", *map(str, s)] for s in shares if s], args.processes)

            tools["rawtherapee-cli (HaldCLUT)"] = rawtherapee
        else:
            print("rawtherapee-cli: not installed, skipped (Debian package rawtherapee)")
        im = magick()
        if im:

            def imagemagick(out: Path) -> None:
                run_each([[*im, str(p), str(luts / "look.png"), "-hald-clut", "-quality", "92", str(out / p.name)] for p in photos], args.processes)

            tools["ImageMagick -hald-clut"] = imagemagick
        else:
            print("ImageMagick: not installed, skipped (Debian package imagemagick)")

        rates: dict[str, list[float]] = {name: [] for name in tools}
        names = list(tools)
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                out = work / "out" / f"{r}-{names.index(name)}"
                if out.exists():
                    shutil.rmtree(out)
                out.mkdir(parents=True)
                t0 = time.perf_counter()
                tools[name](out)
                rates[name].append(len(photos) / (time.perf_counter() - t0))
            print(f"round {r + 1}: " + ", ".join(f"{n} {rates[n][-1]:.2f}" for n in names) + " photos/s")

        base = statistics.median(rates["Style Studio"])
        print()
        print("| tool | photos/s (rounds) | median | Style Studio is | difference from Style Studio, mean / p99 (1/255) |")
        print("|---|---|---:|---:|---:|")
        ours_out = work / "out" / "0-0"
        for i, name in enumerate(names):
            med = statistics.median(rates[name])
            if i == 0:
                agree = "—"
            else:
                diffs = [difference(ours_out / p.name, work / "out" / f"0-{i}" / p.name) for p in photos[:4]]
                agree = f"{statistics.mean(d[0] for d in diffs):.2f} / {max(d[1] for d in diffs):.0f}"
            ratio = "1×" if i == 0 else f"{base / med:.1f}×"
            print(f"| {name} | {', '.join(f'{x:.2f}' for x in rates[name])} | {med:.2f} | {ratio} | {agree} |")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
