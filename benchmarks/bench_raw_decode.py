"""Decoding the photos people bring, one process: a camera RAW (a DNG this script writes, a
12-bit Bayer mosaic of ``--megapixels``), at full size and at half size (what ``apply
--long-edge`` up to half the photo's long edge gets), and a HEIC and an AVIF of the same size,
each against a bare rawpy / pillow-heif / Pillow loop doing the same decode, with the peak
memory of the intake's decode against the decoded image.

    .venv/bin/python benchmarks/bench_raw_decode.py [--megapixels 24] [--repeat 3]

Each measurement runs in a fresh process (its ``VmHWM`` high-water mark less its resident size
before the decode). Prints seconds and ratios measured in this run. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
def rss(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0
kind, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
from desktop.imaging.intake import load_image
import rawpy, pi_heif as pillow_heif
from PIL import Image
pillow_heif.register_heif_opener()
from desktop.imaging.raw_photos import DEVELOPMENT
before = rss('VmRSS')
best = 1e9
for _ in range(repeat):
    t = time.perf_counter()
    if kind == 'ours-full':
        img = load_image(path).image
    elif kind == 'ours-half':
        img = load_image(path, draft_size=(2048, 2048)).image
    elif kind == 'bare-full':
        with rawpy.imread(path) as raw:
            img = raw.postprocess(highlight_mode=rawpy.HighlightMode.Clip, **DEVELOPMENT)
    elif kind == 'bare-half':
        with rawpy.imread(path) as raw:
            img = raw.postprocess(half_size=True, highlight_mode=rawpy.HighlightMode.Clip, **DEVELOPMENT)
    elif kind == 'ours':
        img = load_image(path).image
    else:
        with Image.open(path) as im:
            img = im.convert('RGB')
    best = min(best, time.perf_counter() - t)
size = img.size if hasattr(img, 'size') and not hasattr(img, 'shape') else (img.shape[1], img.shape[0])
print(json.dumps({{'seconds': best, 'peak': rss('VmHWM') - before, 'decoded': size[0] * size[1] * 3}}))
"""


def run(kind: str, path: Path, repeat: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), kind, str(path), str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--megapixels", type=float, default=24)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from tests.photo_makers import write_avif, write_dng, write_heic

    w = int((args.megapixels * 1e6 * 1.5) ** 0.5) // 2 * 2
    h = int(w / 1.5) // 2 * 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dng = write_dng(folder / "big.dng", (w, h))
        heic = write_heic(folder / "big.heic", (w, h))
        avif = write_avif(folder / "big.avif", (w, h))
        print(f"{w} x {h} ({w * h / 1e6:.1f} MP); best of {args.repeat}; one process")
        print(f"{'decode':34} {'seconds':>8} {'vs bare':>8} {'peak MB':>8} {'peak/decoded':>13}")
        rows = [
            ("DNG full size (Style Studio)", "ours-full", "bare-full", dng),
            ("DNG half size (Style Studio)", "ours-half", "bare-half", dng),
            ("HEIC (Style Studio)", "ours", "bare", heic),
            ("AVIF (Style Studio)", "ours", "bare", avif),
        ]
        full = None
        for label, ours, bare, path in rows:
            mine, theirs = run(ours, path, args.repeat), run(bare, path, args.repeat)
            if ours == "ours-full":
                full = mine["seconds"]
            ratio = theirs["seconds"] / mine["seconds"]
            print(f"{label:34} {mine['seconds']:8.2f} {ratio:7.2f}x {mine['peak'] / 1e6:8.0f} {mine['peak'] / mine['decoded']:12.1f}x")
        if full is not None:
            half = run("ours-half", dng, args.repeat)["seconds"]
            print(f"half-size decode: {full / half:.1f}x faster than full size")


if __name__ == "__main__":
    main()
