"""A 16-bit TIFF styled three ways, one process each, same file, same run: 16 bits out (the
float road: tifffile, numpy trilinear LUT in strips, Deflate), 8 bits out of the same file
(``--depth 8``: Pillow's 8-bit road), and 16 bits out in Display P3; with the peak memory of
each against the decoded 16-bit image (width x height x 6 bytes).

    .venv/bin/python benchmarks/bench_depth.py [--megapixels 12] [--repeat 2]

Each measurement runs in a fresh process (its ``VmHWM`` less its resident size before the first
photo, after the imports). Not
part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
kind, src, cube, out, repeat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
import numpy, tifffile, png
from desktop.exchange.cube import read_pillow_lut
from desktop.imaging.apply import OutputOptions, Recipe, render_file
recipe = Recipe(cube, read_lut=read_pillow_lut)
options = {{"deep": OutputOptions(), "eight": OutputOptions(depth=8), "p3": OutputOptions(colour_space="display-p3")}}[kind]
import os
def status():
    with open('/proc/self/status') as fh:
        return {{k: v for k, _, v in (line.partition(':') for line in fh)}}
kb = lambda field: int(status()[field].split()[0]) * 1024
before = kb('VmRSS')
best = 1e9
for i in range(repeat):
    target = f"{{out}}.{{i}}.tif"
    t = time.perf_counter()
    render_file(recipe, src, target, options, "TIFF")
    best = min(best, time.perf_counter() - t)
    os.unlink(target)
print(json.dumps({{"seconds": best, "peak": kb('VmHWM') - before}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--megapixels", type=float, default=12)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    import numpy as np
    import tifffile

    sys.path.insert(0, str(ROOT))
    from desktop.exchange.cube import write_pillow_lut
    from desktop.imaging.grade import identity_lut

    w = int((args.megapixels * 1e6 * 1.5) ** 0.5)
    h = int(w / 1.5)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big16.tif"
        ramp = np.linspace(0, 65535, w, dtype=np.float32)
        pixels = np.empty((h, w, 3), dtype=np.uint16)
        pixels[..., 0] = ramp
        pixels[..., 1] = ramp[::-1]
        pixels[..., 2] = np.linspace(0, 65535, h, dtype=np.float32)[:, None]
        tifffile.imwrite(src, pixels, photometric="rgb", compression="zlib", metadata=None)
        del pixels
        cube = Path(tmp) / "look.cube"
        write_pillow_lut(cube, identity_lut(33).transform(lambda r, g, b: (0.1 + 0.8 * r * r, g ** 0.8, 0.2 + 0.6 * b)), "look")
        image_bytes = w * h * 6
        print(f"{w} x {h} ({w * h / 1e6:.1f} MP) 16-bit TIFF, best of {args.repeat}")
        print("| road | seconds | vs 8-bit out | peak memory | peak / decoded 16-bit image |")
        print("| --- | ---: | ---: | ---: | ---: |")
        results = {}
        for kind in ("eight", "deep", "p3"):
            code = CHILD.format(root=str(ROOT))
            res = subprocess.run(
                [sys.executable, "-c", code, kind, str(src), str(cube), str(Path(tmp) / kind), str(args.repeat)],
                capture_output=True, text=True, check=True,
            )
            results[kind] = json.loads(res.stdout.strip().splitlines()[-1])
        names = {"eight": "8 bits out (--depth 8)", "deep": "16 bits out", "p3": "16 bits out, Display P3"}
        for kind, r in results.items():
            ratio = r["seconds"] / results["eight"]["seconds"]
            print(f"| {names[kind]} | {r['seconds']:.2f} | {ratio:.2f}x | {r['peak'] / 1e6:.0f} MB | {r['peak'] / image_bytes:.1f}x |")


if __name__ == "__main__":
    main()
