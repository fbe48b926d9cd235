"""How far a style made from a graded photo takes other photos to the TRUE look (issue 20, §1).

    .venv/bin/python benchmarks/bench_quality.py [--size 96] [--grades "muted,warm cast"]
        [--refs astronaut,coffee] [--real-only] [--strengths 100] [--diagnose]
        [--save /tmp/quality20]

A corpus of colour grades written as code (``benchmarks/quality/grades.py``: split toning,
lifted and crushed blacks, rolled-off whites, channel curves, muted, vibrance, bleach bypass,
cross-process, tinted mono, warm and cool casts, a film S-curve, desaturated high contrast,
faded film) is put on real photos (the bundled samples) and, as extra targets, synthetic ones
(``benchmarks/quality/photos.py``). For each grade and each reference photo A:
reference = grade(A); a style is made from it by each method; the style is put on every other
photo (the targets); the truth is grade(target).

Score per grade: % of the way = 100 * (1 - sum dE(after, truth) / sum dE(before, truth)), dE
the mean per-pixel CIELAB distance (dE76; CIEDE2000 beside it), pooled over the grade's
(reference, target) pairs; then averaged over grades. 100 = exactly the true look, 0 = the
photo unchanged, below 0 = further away. SSIM of L: the result against the untouched target
(7x7 windows); pairs below 0.8 have lost structure. The old "Lab mean/spread % closer" is
retired: it rewarded copying the reference's content.

Methods (``benchmarks/quality/methods.py``): Style Studio's route (generate "in the colours of
this photo" --reference, then apply at the default strength), the style's .cube applied with
Pillow, Reinhard 2001, Pitie-Kokaram MKL, and the CEILING: a 33^3 LUT fitted on the truth.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.quality.photos import corpus_photos  # noqa: E402
from benchmarks.quality.report import print_diagnosis, print_grades, print_summary  # noqa: E402
from benchmarks.quality.run import grade_names, measure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=96, help="long edge of every photo (px)")
    ap.add_argument("--ref-size", type=int, default=None,
                    help="long edge the reference is graded at (default: --size)")
    ap.add_argument("--grades", default="", help="comma-separated grade names (default: all)")
    ap.add_argument("--refs", default="", help="comma-separated reference photos (default: "
                    "every real photo but the Hubble field)")
    ap.add_argument("--real-only", action="store_true", help="no synthetic targets")
    ap.add_argument("--strengths", default="", help="also Style Studio at these strengths (%%)")
    ap.add_argument("--diagnose", action="store_true", help="what each grade does against what "
                    "the style does, axis by axis")
    ap.add_argument("--save", type=Path, default=None, help="write a contact sheet per grade "
                    "(reference; untouched, truth, Style Studio, ceiling, Reinhard, MKL)")
    args = ap.parse_args()

    photos = corpus_photos(args.size, synthetic=not args.real_only)
    refs = [p.name for p in photos if p.reference]
    if args.refs:
        wanted = [r.strip() for r in args.refs.split(",") if r.strip()]
        unknown = [r for r in wanted if r not in refs]
        if unknown:
            raise SystemExit(f"unknown reference(s) {', '.join(unknown)}; choose from {', '.join(refs)}")
        refs = wanted
    strengths = tuple(int(s) for s in args.strengths.split(",") if s.strip())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        run = measure(photos, grade_names(args.grades), refs, strengths=strengths,
                      ref_size=args.ref_size, keep_labs=args.diagnose, save=args.save)
    print_summary(run)
    print_grades(run)
    if args.diagnose:
        print_diagnosis(run)


if __name__ == "__main__":
    main()
