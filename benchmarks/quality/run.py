"""One run of the quality benchmark: every grade put on every reference photo, a style made
from each graded reference by every method, and each style put on the other photos (the
targets), scored against the truth (the same grade put on the target)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.quality import methods as m
from benchmarks.quality.grades import GRADES, grade
from benchmarks.quality.metrics import delta_e76, delta_e2000, ssim_l, to_lab
from benchmarks.quality.photos import Photo, fit, to_float, to_image
from desktop.imaging.intake import load_image
from desktop.resources import sample_photos

APPLY = "Style Studio apply (default strength)"
CUBE = "Style Studio .cube (Pillow)"
REINHARD = "Reinhard 2001"
MKL = "Pitie-Kokaram 2007 (MKL)"
CEILING = "CEILING: 33^3 LUT fitted on the truth"
TRUTH = "TRUTH: the grade itself (for its SSIM)"


def strength_method(pct: int) -> str:
    return f"Style Studio apply at {pct} %"


@dataclass(frozen=True)
class Pair:
    """One (grade, method, reference, target): mean per-pixel distances to the truth before
    (the untouched target) and after, and SSIM of L of the result against the target."""

    grade: str
    method: str
    reference: str
    target: str
    real: bool  # the target is a real photo
    before76: float
    after76: float
    before2000: float
    after2000: float
    ssim: float


@dataclass
class Run:
    size: int
    grades: list[str]
    methods: list[str]
    references: list[str]
    targets: list[Photo]
    pairs: list[Pair] = field(default_factory=list)
    truth_ssim: dict[tuple[str, str], float] = field(default_factory=dict)  # (grade, target)
    # (grade, method) -> list of (target lab, result lab), for the diagnosis
    labs: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    # reference -> mean dE76 by which a style made from the UNGRADED reference changes the
    # other photos: what the method adds of the reference's own content, with no look to find
    floor: dict[str, float] = field(default_factory=dict)
    cube_vs_apply: int = 0  # the largest 8-bit difference between the two Style Studio routes
    seconds: float = 0.0


def calibration() -> np.ndarray:
    """The "typical photo" the baselines map from: the bundled samples' pixels at 128 px."""
    out = []
    for path in sample_photos():
        img = load_image(path).image.convert("RGB")
        img.thumbnail((128, 128))
        out.append(to_float(img).reshape(-1, 3))
    return np.concatenate(out)


def measure(
    photos: list[Photo],
    grade_names: list[str],
    reference_names: list[str],
    *,
    strengths: tuple[int, ...] = (),
    ref_size: int | None = None,
    keep_labs: bool = False,
    save: Path | None = None,
) -> Run:
    """Score every method on every grade. ``photos``: the corpus (references among them by
    name); ``ref_size``: the long edge the reference is graded at (default: the photos')."""
    t0 = time.perf_counter()
    size = max(photos[0].rgb.shape[:2])
    names = [APPLY, CUBE, *(strength_method(s) for s in strengths), REINHARD, MKL, CEILING, TRUTH]
    run = Run(size, grade_names, names, reference_names, photos)
    source = calibration()
    target_lab = {p.name: to_lab(p.rgb) for p in photos}
    refs = [p for p in photos if p.name in reference_names]
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        for ref in refs:
            style = m.StyleStudio(to_image(ref.rgb), Path(tmp) / f"untouched-{ref.name}")
            run.floor[ref.name] = float(np.mean([
                delta_e76(target_lab[p.name], to_lab(to_float(style.apply(to_image(p.rgb)))))
                for p in photos if p.name != ref.name
            ]))
        for gname in grade_names:
            truth = {p.name: grade(gname, p.rgb) for p in photos}
            truth_lab = {n: to_lab(t) for n, t in truth.items()}
            start = {}  # the untouched photo's distances to the truth
            for p in photos:
                before, after = target_lab[p.name], truth_lab[p.name]
                run.truth_ssim[(gname, p.name)] = ssim_l(before, after)
                start[p.name] = (delta_e76(before, after), delta_e2000(before, after))
            ceiling = _ceiling(photos, truth)
            for ref in refs:
                reference = _reference(gname, ref, ref_size)
                style = m.StyleStudio(reference, Path(tmp) / f"{gname}-{ref.name}")
                ref_px = to_float(reference).reshape(-1, 3)
                luts = {REINHARD: m.lut_from(m.reinhard(source, ref_px)),
                        MKL: m.lut_from(m.mkl(source, ref_px))}
                extra = {s: m.StyleStudio(reference, Path(tmp) / f"{gname}-{ref.name}-{s}", s)
                         for s in strengths}
                for p in photos:
                    if p.name == ref.name:
                        continue
                    img = to_image(p.rgb)
                    applied = style.apply(img)
                    cubed = style.apply_cube(img)
                    run.cube_vs_apply = max(run.cube_vs_apply, _max_diff(applied, cubed))
                    outs = {APPLY: to_float(applied), CUBE: to_float(cubed)}
                    outs.update({strength_method(s): to_float(st.apply(img)) for s, st in extra.items()})
                    outs.update({k: m.apply_lut(p.rgb, lut) for k, lut in luts.items()})
                    outs[CEILING] = ceiling[p.name]
                    outs[TRUTH] = truth[p.name]
                    for method, out in outs.items():
                        lab = to_lab(out)
                        run.pairs.append(_pair(gname, method, ref.name, p, target_lab[p.name],
                                               truth_lab[p.name], lab, start[p.name]))
                        if keep_labs and method in (APPLY, CEILING):
                            run.labs.setdefault((gname, method), []).append((target_lab[p.name], lab))
                    if keep_labs:
                        run.labs.setdefault((gname, "truth"), []).append(
                            (target_lab[p.name], truth_lab[p.name]))
                    if save is not None and ref is refs[0]:
                        _sheet_row(save, gname, reference, p, truth[p.name], outs)
    run.seconds = time.perf_counter() - t0
    return run


def _reference(gname: str, ref: Photo, ref_size: int | None) -> Image.Image:
    """The graded reference as a user's 8-bit file would hold it."""
    rgb = ref.rgb
    if ref_size and ref_size != max(rgb.shape[:2]):
        path = next(p for p in sample_photos() if p.stem == ref.name)
        rgb = to_float(fit(load_image(path).image.convert("RGB"), ref_size))
    return to_image(grade(gname, rgb))


def _ceiling(photos: list[Photo], truth: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    src = np.concatenate([p.rgb.reshape(-1, 3) for p in photos])
    dst = np.concatenate([truth[p.name].reshape(-1, 3) for p in photos])
    lut = m.pillow_lut(m.fit_lut(src, dst))
    return {p.name: m.apply_lut(p.rgb, lut) for p in photos}


def _pair(gname: str, method: str, ref: str, p: Photo, before: np.ndarray, truth: np.ndarray,
          after: np.ndarray, start: tuple[float, float]) -> Pair:
    return Pair(
        grade=gname, method=method, reference=ref, target=p.name, real=p.real,
        before76=start[0], after76=delta_e76(after, truth),
        before2000=start[1], after2000=delta_e2000(after, truth),
        ssim=ssim_l(before, after),
    )


def _max_diff(a: Image.Image, b: Image.Image) -> int:
    return int(np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).max())


_SHEET: dict[str, list[Image.Image]] = {}
SHEET_COLUMNS = ("untouched", "truth", APPLY, CEILING, REINHARD, MKL)


def _sheet_row(folder: Path, gname: str, reference: Image.Image, p: Photo, truth: np.ndarray,
               outs: dict[str, np.ndarray]) -> None:
    """Add a row (untouched, truth, Style Studio, ceiling, Reinhard, MKL) to the grade's sheet
    ``folder/<grade>.png``, the reference above the rows; rewritten after every row."""
    cells = [p.rgb, truth, outs[APPLY], outs[CEILING], outs[REINHARD], outs[MKL]]
    tiles = [to_image(c) for c in cells]
    w, h = tiles[0].size
    row = Image.new("RGB", (w * len(tiles), h), "white")
    for i, t in enumerate(tiles):
        row.paste(t, (i * w, 0))
    rows = _SHEET.setdefault(gname, [fit(reference, h)])
    rows.append(row)
    width = max(r.width for r in rows)
    sheet = Image.new("RGB", (width, sum(r.height for r in rows)), "white")
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.height
    folder.mkdir(parents=True, exist_ok=True)
    sheet.save(folder / f"{gname.replace(' ', '-')}.png")


def grade_names(spec: str | None) -> list[str]:
    """``--grades a,b``: the named grades in corpus order (every grade when empty)."""
    if not spec:
        return list(GRADES)
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [w for w in wanted if w not in GRADES]
    if unknown:
        raise SystemExit(f"unknown grade(s) {', '.join(unknown)}; the corpus has: {', '.join(GRADES)}")
    return [g for g in GRADES if g in wanted]
