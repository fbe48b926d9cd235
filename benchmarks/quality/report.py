"""The tables a run prints: one row per method, one row per grade, and the diagnosis (what
each grade does to the photos against what Style Studio's style does, axis by axis)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from benchmarks.quality.metrics import way_pct
from benchmarks.quality.run import APPLY, CEILING, CUBE, TRUTH, Pair, Run

SSIM_FLOOR = 0.8


def by_grade(pairs: list[Pair], method: str, *, real_only: bool = False,
             de2000: bool = False) -> dict[str, float]:
    """Per grade: % of the way, pooled over the grade's (reference, target) pairs."""
    before: dict[str, list[float]] = defaultdict(list)
    after: dict[str, list[float]] = defaultdict(list)
    for p in pairs:
        if p.method == method and (p.real or not real_only):
            before[p.grade].append(p.before2000 if de2000 else p.before76)
            after[p.grade].append(p.after2000 if de2000 else p.after76)
    return {g: way_pct(before[g], after[g]) for g in before}


def summary_rows(run: Run) -> list[dict[str, object]]:
    out = []
    for method in run.methods:
        mine = [p for p in run.pairs if p.method == method]
        per = by_grade(run.pairs, method)
        worst = min(per, key=per.get)
        out.append({
            "method": method,
            "way": float(np.mean(list(per.values()))),
            "way2000": float(np.mean(list(by_grade(run.pairs, method, de2000=True).values()))),
            "real": float(np.mean(list(by_grade(run.pairs, method, real_only=True).values()))),
            "worst": "" if method == TRUTH else f"{per[worst]:.1f} ({worst})",
            "ssim": float(np.mean([p.ssim for p in mine])),
            "low": sum(p.ssim < SSIM_FLOOR for p in mine),
            "n": len(mine),
        })
    return out


def print_summary(run: Run) -> None:
    n_ref = len(run.references)
    n_targets = len(run.targets) - 1
    real = sum(t.real for t in run.targets)
    print(f"{len(run.grades)} grades x {n_ref} references x {n_targets} targets each "
          f"({real} real photos, {len(run.targets) - real} synthetic), {run.size} px, "
          f"{run.seconds:.0f} s")
    print("\n% of the way = 100 * (1 - sum dE(after, truth) / sum dE(before, truth)), mean "
          "per-pixel CIELAB dE pooled over a grade's pairs, then averaged over grades.\n")
    print("| method | % of the way (dE76) | % (CIEDE2000) | real targets only (dE76) "
          "| worst grade | SSIM of L | pairs with SSIM of L < 0.8 |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for r in summary_rows(run):
        print(f"| {r['method']} | {r['way']:.1f} | {r['way2000']:.1f} | {r['real']:.1f} | "
              f"{r['worst']} | {r['ssim']:.3f} | {r['low']} of {r['n']} |")
    print(f"\nStyle Studio .cube against apply: largest difference {run.cube_vs_apply}/255 "
          "on any pixel.")
    if run.floor:
        each = ", ".join(f"{k} {v:.1f}" for k, v in run.floor.items())
        print(f"A style made from an UNGRADED reference changes the other photos by "
              f"{np.mean(list(run.floor.values())):.1f} dE76 on average ({each}): what it "
              "takes from the reference's content when there is no look to find.")


def print_grades(run: Run) -> None:
    """One row per grade: how big the look is, every method's % of the way, and SSIM."""
    shown = [m for m in run.methods if m != TRUTH]
    short = {m: _short(m) for m in shown}
    per = {m: by_grade(run.pairs, m) for m in shown}
    print("\n| grade | size of the look (dE76) | " + " | ".join(short.values())
          + " | SSIM of L: truth, min | Style Studio: min, pairs < 0.8 |")
    print("|---|---:|" + "---:|" * len(shown) + "---:|---:|")
    for g in run.grades:
        mine = [p for p in run.pairs if p.grade == g and p.method == APPLY]
        size = np.mean([p.before76 for p in mine])
        truth = min(v for (gg, _), v in run.truth_ssim.items() if gg == g)
        cells = " | ".join(f"{per[m][g]:.1f}" for m in shown)
        low = sum(p.ssim < SSIM_FLOOR for p in mine)
        print(f"| {g} | {size:.1f} | {cells} | {truth:.3f} | "
              f"{min(p.ssim for p in mine):.3f}, {low} of {len(mine)} |")


def _short(method: str) -> str:
    return {APPLY: "Style Studio apply", CUBE: "Style Studio .cube", CEILING: "CEILING",
            TRUTH: "TRUTH"}.get(method, method.split(" (")[0])


# -- the diagnosis --------------------------------------------------------------------------------

AXES = ("black point (L 1 %)", "mids (L 50 %)", "white point (L 99 %)", "contrast (sd of L)",
        "chroma (mean C)", "shadow cast a (greys)", "shadow cast b (greys)",
        "highlight cast a (greys)", "highlight cast b (greys)")


def axes(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The change ``after`` - ``before`` (two Lab images of one photo) along AXES. A cast is
    read on the photo's near-neutral pixels (chroma < 12 before), in its shadows (L < 35) and
    highlights (L > 65); NaN when it has fewer than 20 such pixels."""
    lb, la = before[..., 0].ravel(), after[..., 0].ravel()
    chroma_before = np.hypot(before[..., 1], before[..., 2]).ravel()
    ca = np.hypot(after[..., 1], after[..., 2]).mean()
    out = [np.percentile(la, q) - np.percentile(lb, q) for q in (1, 50, 99)]
    out += [la.std() - lb.std(), ca - chroma_before.mean()]
    grey = chroma_before < 12
    for mask in (grey & (lb < 35), grey & (lb > 65)):
        for c in (1, 2):
            if mask.sum() < 20:
                out.append(np.nan)
            else:
                out.append(after[..., c].ravel()[mask].mean() - before[..., c].ravel()[mask].mean())
    return np.array(out)


def diagnosis(run: Run) -> dict[str, list[tuple[str, float, float, float]]]:
    """Per grade: (axis, truth's change, Style Studio's change, the ceiling's change), mean over
    the grade's pairs, for the axes where the truth or the style moves by more than 1.5."""
    out = {}
    for g in run.grades:
        mean = {k: np.nanmean([axes(b, a) for b, a in run.labs[(g, k)]], axis=0)
                for k in ("truth", APPLY, CEILING)}
        rows = []
        for i, name in enumerate(AXES):
            t, s, c = mean["truth"][i], mean[APPLY][i], mean[CEILING][i]
            if max(abs(t), abs(s)) > 1.5:
                rows.append((name, float(t), float(s), float(c)))
        out[g] = rows
    return out


def print_diagnosis(run: Run) -> None:
    print("\nDiagnosis: the change each grade makes (truth) against Style Studio's style and the "
          "ceiling, mean over the pairs (Lab units; axes that move by more than 1.5)")
    for g, rows in diagnosis(run).items():
        print(f"\n{g}:")
        for name, t, s, c in rows:
            share = f"{100 * s / t:5.0f} %" if abs(t) > 1.5 else "  (none asked)"
            print(f"  {name:24s} truth {t:+6.1f}   style {s:+6.1f} {share}   ceiling {c:+6.1f}")
