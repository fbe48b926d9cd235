"""Learning a look from an edit (issue 20, point 3), not a test: run with

    python benchmarks/bench_edit_fit.py            # add --quick for one source photo

1. Time: a 24-megapixel pair (a sample photo enlarged to 6000 x 4000, and its grade, both
   JPEG q95 files): decoding (at the working size, as the app does, and in full for
   comparison), aligning (upright, shrink, same-photo check) and the 33^3 fit, best of 3.
   Goal: under 2 s in all.
2. Quality: for each global grade of tests/imaging/edit_grades.py, each sample photo in turn
   is the edited one; its fitted LUT goes on the other sample photos and is scored against the
   same grade put on them: % of the way, pooled (1 - Σ ΔE(after, truth) / Σ ΔE(before, truth),
   CIELAB ΔE76). Columns: the fit (pair as is), the fit on an export at 60 % size in JPEG q90,
   the naive fit (mean edited colour per node, empty nodes filled by diffusion), and the
   ceiling (a LUT fitted on each target's own pair). Goal: >= 95 % for the fit.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from desktop.imaging.edit_fit import fit_aligned, fit_edit  # noqa: E402
from desktop.imaging.edit_pair import WORK_EDGE, align_pair  # noqa: E402
from desktop.imaging.intake import load_image  # noqa: E402
from desktop.imaging.lut_fit import identity_table, to_pillow_lut  # noqa: E402
from desktop.resources import sample_photos  # noqa: E402
from tests.imaging.edit_grades import GRADES, Grade, as_float, grade_image, mean_delta_e  # noqa: E402


def best_of(n: int, fn):
    best, out = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def grade_lut(grade: Grade, size: int = 65) -> ImageFilter.Color3DLUT:
    """``grade`` as a fine Pillow table: how a 24 MP edit is made without 24 MP of floats."""
    return to_pillow_lut(grade(identity_table(size)))


def bench_time(folder: Path) -> None:
    coffee = next(p for p in sample_photos() if p.name == "coffee.png")
    big = load_image(coffee).image.resize((6000, 4000), Image.Resampling.BICUBIC)
    orig_path, edit_path = folder / "original.jpg", folder / "edited.jpg"
    big.save(orig_path, "JPEG", quality=95)
    big.filter(grade_lut(GRADES["curves + split tone + saturation"])).save(edit_path, "JPEG", quality=95)
    del big
    draft = (WORK_EDGE, WORK_EDGE)

    def decode(full: bool):
        kw = {} if full else {"draft_size": draft}
        return load_image(orig_path, **kw).image, load_image(edit_path, **kw).image

    t_full, _ = best_of(2, lambda: decode(True))
    t_decode, pair = best_of(3, lambda: decode(False))
    t_align, arrays = best_of(3, lambda: align_pair(*pair))
    t_fit, _ = best_of(3, lambda: fit_aligned(*arrays))
    print("1. A 24 MP pair (6000 x 4000 JPEG q95), best of 3:")
    print(f"   decode both at working size (draft {draft[0]} px) {t_decode:6.2f} s   (full decode: {t_full:.2f} s)")
    print(f"   align (upright, shrink to {arrays[0].shape[1]} x {arrays[0].shape[0]}, check)  {t_align:6.2f} s")
    print(f"   fit 33^3 (and look for local changes)     {t_fit:6.2f} s")
    total = t_decode + t_align + t_fit
    print(f"   total                                     {total:6.2f} s   (goal < 2 s: {'met' if total < 2 else 'NOT met'})")


def naive_fit(orig: np.ndarray, edit: np.ndarray, size: int = 33, rounds: int = 400) -> np.ndarray:
    """The baseline the issue names: each pixel to its nearest node, the mean edited colour per
    node, empty nodes filled by diffusion (Jacobi, filled nodes held)."""
    x, y = orig.reshape(-1, 3).astype(np.float64), edit.reshape(-1, 3).astype(np.float64)
    idx = np.rint(x * (size - 1)).astype(np.intp)
    flat = (idx[:, 0] * size + idx[:, 1]) * size + idx[:, 2]
    count = np.bincount(flat, minlength=size**3)
    sums = np.stack([np.bincount(flat, weights=y[:, c], minlength=size**3) for c in range(3)], axis=1)
    known = count > 0
    table = identity_table(size).reshape(-1, 3).copy()
    table[known] = sums[known] / count[known, None]
    table = table.reshape(size, size, size, 3)
    held = known.reshape(size, size, size)
    for _ in range(rounds):
        padded = np.pad(table, [(1, 1), (1, 1), (1, 1), (0, 0)], mode="edge")
        mean = sum(
            padded[1 + dr : 1 + dr + size, 1 + dg : 1 + dg + size, 1 + db : 1 + db + size]
            for dr, dg, db in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))
        ) / 6.0
        table = np.where(held[..., None], table, mean)
    return table


def jpeg_export(img: Image.Image) -> Image.Image:
    small = img.resize((round(img.width * 0.6), round(img.height * 0.6)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=90)
    out = Image.open(io.BytesIO(buf.getvalue()))
    out.load()
    return out


def bench_quality(quick: bool) -> None:
    photos = {p.stem: load_image(p).image.convert("RGB") for p in sample_photos()}
    sources = ["astronaut"] if quick else list(photos)
    print(f"\n2. % of the way to the true look on the other sample photos (sources: {', '.join(sources)}):")
    print(f"   {'grade':34s} {'fit':>6s} {'JPEG 60%':>9s} {'naive':>6s} {'ceiling':>8s}  worst pair (fit)  fit time")
    totals: dict[str, list[float]] = {"fit": [], "jpeg": [], "naive": [], "ceiling": []}
    for gname, grade in GRADES.items():
        truths = {name: grade_image(img, grade) for name, img in photos.items()}
        ceiling = {name: to_pillow_lut(fit_aligned(as_float(img), as_float(truths[name])).lut) for name, img in photos.items()}
        sums = {k: [0.0, 0.0] for k in totals}
        worst, fit_times = 100.0, []
        for src in sources:
            start = time.perf_counter()
            fit = fit_edit(photos[src], truths[src])
            fit_times.append(time.perf_counter() - start)
            luts = {
                "fit": fit.pillow_lut(),
                "jpeg": fit_edit(photos[src], jpeg_export(truths[src])).pillow_lut(),
                "naive": to_pillow_lut(naive_fit(as_float(photos[src]), as_float(truths[src]))),
            }
            for name, img in photos.items():
                if name == src:
                    continue
                before = mean_delta_e(img, truths[name])
                for key, lut in [*luts.items(), ("ceiling", ceiling[name])]:
                    after = mean_delta_e(img.filter(lut), truths[name])
                    sums[key][0] += before
                    sums[key][1] += after
                    if key == "fit":
                        worst = min(worst, 100.0 * (1.0 - after / before))
        scores = {k: 100.0 * (1.0 - a / b) for k, (b, a) in sums.items()}
        for k, v in scores.items():
            totals[k].append(v)
        print(f"   {gname:34s} {scores['fit']:6.1f} {scores['jpeg']:9.1f} {scores['naive']:6.1f} {scores['ceiling']:8.1f}  {worst:16.1f}  {np.mean(fit_times):6.2f} s")
    means = {k: float(np.mean(v)) for k, v in totals.items()}
    print(f"   {'mean over grades':34s} {means['fit']:6.1f} {means['jpeg']:9.1f} {means['naive']:6.1f} {means['ceiling']:8.1f}")
    print(f"   goal >= 95 %: {'met' if means['fit'] >= 95 else 'NOT met'}; lowest grade {min(totals['fit']):.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one source photo (astronaut) instead of all five")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_time(Path(tmp))
    bench_quality(args.quick)


if __name__ == "__main__":
    main()
