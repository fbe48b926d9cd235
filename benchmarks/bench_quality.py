"""Colour-transfer quality of a style's .cube on photos it has never seen (issue 11, §2).

    .venv/bin/python benchmarks/bench_quality.py [--size 160] [--strengths 80,90,100]
                                                 [--targets synthetic|samples] [--pairs]

Needs numpy (and uses colour-science for the Lab conversions when installed: the ``bench``
extra). Every method makes ONE fixed 33^3 LUT per reference, as a .cube must, from the same
information: the reference, and a "typical photo" model from the bundled samples (our NEUTRAL;
the baselines' pooled source statistics). Each LUT is applied with Pillow to every target.

References and the default targets are synthetic scenes made here (sky, ground, shapes,
texture, each with its own palette); none is a bundled sample, and no style sees its targets.
``--targets samples`` grades the bundled photos instead (astronaut, chelsea, coffee, rocket):
real photos, though the typical-photo models were drawn from them.

Methods: ours at several strengths (the default marked); Reinhard et al. 2001 (mean/std in
l-alpha-beta); Pitie & Kokaram 2007 (linear Monge-Kantorovich in RGB); a naive RGB mean/std
LUT; and, for scale only: "fixed-LUT reach", MKL fitted with the targets themselves pooled as
the source (it knows the test photos: what one LUT per reference can reach on them, not a
method), and Reinhard and MKL computed per target ("oracle": needs the target, so no .cube).

Figures, averaged over every (reference, target) pair:
 (a) "% closer": 100 * (1 - d_after / d_before), d = distance of (L, a, b means and stds)
     to the reference's; below the table also pooled, 100 * (1 - sum d_after / sum d_before),
     which a few pairs that start close to the reference cannot swing;
 (b) sliced Wasserstein distance in Lab (64 projections) to the reference's pixels, and its
     "% closer";
 (c) SSIM of the lightness against the target before grading (7x7 windows).
``--pairs`` adds every pair's figures for our default strength, and where SSIM is lowest.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.imaging.analysis import analyse  # noqa: E402
from desktop.imaging.grade import DEFAULT_STRENGTH, LUT_SIZE, GradeStats, build_lut  # noqa: E402
from desktop.imaging.intake import load_image  # noqa: E402
from desktop.resources import sample_photos  # noqa: E402

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour

    _D65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]

    def to_lab(rgb: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb), _D65)

    LAB_BY = "colour-science"
except ImportError:  # plain numpy sRGB -> Lab (D65)
    _M = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
         [0.0193339, 0.1191920, 0.9503041]]
    )

    def to_lab(rgb: np.ndarray) -> np.ndarray:
        lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        xyz = lin @ _M.T / np.array([0.95047, 1.0, 1.08883])
        f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
        return np.stack(
            [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
            axis=-1,
        )

    LAB_BY = "numpy"


# -- synthetic photos --------------------------------------------------------------------------

PALETTES = {  # (sky top, sky bottom, ground dark, ground light, accents...)
    "orange sunset": [(40, 30, 90), (255, 150, 60), (50, 25, 15), (150, 80, 40), (255, 220, 120)],
    "teal night": [(5, 15, 35), (30, 90, 110), (10, 20, 25), (40, 70, 75), (200, 230, 240)],
    "pastel spring": [(190, 215, 240), (250, 225, 230), (170, 200, 160), (235, 240, 210), (240, 180, 200)],
    "green forest": [(120, 150, 140), (190, 200, 170), (20, 45, 20), (80, 110, 50), (150, 130, 60)],
    "magenta neon": [(20, 0, 40), (120, 20, 120), (10, 10, 30), (60, 20, 90), (255, 60, 200)],
    "faded film": [(150, 160, 150), (200, 190, 160), (70, 65, 60), (160, 150, 130), (190, 120, 100)],
    "desert noon": [(90, 150, 220), (200, 220, 240), (150, 100, 60), (230, 190, 140), (120, 60, 30)],
    "icy blue": [(180, 210, 235), (230, 240, 250), (90, 110, 140), (200, 215, 230), (60, 80, 120)],
}
TARGETS = {
    "city dusk": [(30, 40, 80), (200, 120, 110), (30, 30, 35), (120, 115, 110), (250, 200, 90)],
    "meadow": [(100, 160, 230), (210, 230, 245), (40, 90, 30), (140, 180, 70), (230, 60, 50)],
    "beach": [(60, 140, 210), (180, 220, 240), (190, 170, 130), (245, 230, 200), (30, 120, 150)],
    "interior": [(80, 60, 50), (200, 170, 140), (40, 30, 25), (170, 140, 110), (60, 90, 140)],
    "autumn": [(120, 140, 170), (220, 200, 170), (70, 30, 10), (200, 110, 30), (160, 40, 20)],
    "grey day": [(140, 145, 150), (190, 192, 195), (50, 55, 50), (120, 125, 115), (150, 60, 60)],
}


def scene(palette: list[tuple[int, int, int]], seed: int, size: int) -> Image.Image:
    """Sky gradient over textured ground, a sun or lamp, and a few lit shapes."""
    rng = np.random.default_rng(seed)
    h = w = size
    y = np.linspace(0, 1, h)[:, None, None]
    pal = np.array(palette, dtype=float) / 255
    horizon = rng.uniform(0.35, 0.6)
    sky = pal[0] + (pal[1] - pal[0]) * np.clip(y / horizon, 0, 1)
    t = np.clip((y - horizon) / (1 - horizon), 0, 1)
    texture = _noise(rng, h, w, 6) * 0.6 + _noise(rng, h, w, 24) * 0.4
    ground = pal[2] + (pal[3] - pal[2]) * np.clip(0.3 + 0.5 * texture[..., None] + 0.3 * t, 0, 1)
    img = np.where(y < horizon, np.broadcast_to(sky, (h, w, 3)), ground)
    yy, xx = np.mgrid[0:h, 0:w] / size
    cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.1, horizon * 0.8)
    glow = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 0.01)[..., None]
    img = img + (pal[4] - img) * glow * 0.9
    for _ in range(4):  # shapes: buildings, trees, people
        x0, x1 = sorted(rng.uniform(0, 1, 2))
        y0 = rng.uniform(horizon - 0.25, horizon + 0.1)
        shade = rng.uniform(0.25, 1.0)
        colour = pal[rng.integers(2, 5)] * shade
        mask = (xx > x0) & (xx < x0 + (x1 - x0) * 0.4) & (yy > y0)
        side = np.clip(1 - (xx - x0) / max(1e-3, (x1 - x0) * 0.4), 0.6, 1)[..., None]
        img = np.where(mask[..., None], colour * side, img)
    img = img + rng.normal(0, 0.012, img.shape)  # sensor noise
    return Image.fromarray((np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


def _noise(rng, h, w, cells) -> np.ndarray:
    small = Image.fromarray((rng.uniform(0, 255, (cells, cells))).astype(np.uint8), "L")
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=float) / 255


# -- the methods: each returns one fixed LUT per reference -----------------------------------


def _grid_rgb(size: int = LUT_SIZE) -> np.ndarray:
    v = np.linspace(0, 1, size)
    b, g, r = np.meshgrid(v, v, v, indexing="ij")  # red fastest
    return np.stack([r, g, b], axis=-1).reshape(-1, 3)


def _lut_from(fn, size: int = LUT_SIZE) -> ImageFilter.Color3DLUT:
    out = np.clip(fn(_grid_rgb(size)), 0, 1)
    return ImageFilter.Color3DLUT(size, out.reshape(-1).tolist(), channels=3)


def pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=float).reshape(-1, 3) / 255


_RGB2LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
_LMS2LAB = np.diag([1 / math.sqrt(3), 1 / math.sqrt(6), 1 / math.sqrt(2)]) @ np.array(
    [[1, 1, 1], [1, 1, -2], [1, -1, 0]]
)


def _lalphabeta(rgb: np.ndarray) -> np.ndarray:
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return np.log10(np.maximum(lin @ _RGB2LMS.T, 1e-4)) @ _LMS2LAB.T


def _from_lalphabeta(lab: np.ndarray) -> np.ndarray:
    lin = (10 ** (lab @ np.linalg.inv(_LMS2LAB).T)) @ np.linalg.inv(_RGB2LMS).T
    lin = np.clip(lin, 0, 1)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def reinhard(source: np.ndarray, ref: np.ndarray):
    s, r = _lalphabeta(source), _lalphabeta(ref)
    ms, ss, mr, sr = s.mean(0), s.std(0) + 1e-6, r.mean(0), r.std(0)
    return lambda rgb: _from_lalphabeta((_lalphabeta(rgb) - ms) / ss * sr + mr)


def _sqrtm(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 1e-12, None))) @ v.T


def mkl(source: np.ndarray, ref: np.ndarray):
    """Pitie & Kokaram 2007: the linear map between two Gaussians (Monge-Kantorovich)."""
    ms, mr = source.mean(0), ref.mean(0)
    cs = np.cov(source.T) + 1e-6 * np.eye(3)
    cr = np.cov(ref.T) + 1e-6 * np.eye(3)
    cs_half = _sqrtm(cs)
    cs_ihalf = np.linalg.inv(cs_half)
    t = cs_ihalf @ _sqrtm(cs_half @ cr @ cs_half) @ cs_ihalf
    return lambda rgb: (rgb - ms) @ t.T + mr


def naive_rgb(source: np.ndarray, ref: np.ndarray):
    ms, ss, mr, sr = source.mean(0), source.std(0) + 1e-6, ref.mean(0), ref.std(0)
    return lambda rgb: (rgb - ms) / ss * sr + mr


# -- metrics -------------------------------------------------------------------------------------


def lab_of(img: Image.Image) -> np.ndarray:
    return to_lab(pixels(img))


def stats(lab: np.ndarray) -> np.ndarray:
    return np.concatenate([lab.mean(0), lab.std(0)])


_DIRS = np.random.default_rng(0).normal(size=(64, 3))
_DIRS /= np.linalg.norm(_DIRS, axis=1, keepdims=True)


def swd(a: np.ndarray, b: np.ndarray, n: int = 4096) -> float:
    rng = np.random.default_rng(1)
    a = a[rng.choice(len(a), n)]
    b = b[rng.choice(len(b), n)]
    pa, pb = np.sort(a @ _DIRS.T, axis=0), np.sort(b @ _DIRS.T, axis=0)
    return float(np.abs(pa - pb).mean())


def _box(x: np.ndarray, k: int = 7) -> np.ndarray:
    c = np.pad(x, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    c1, c2 = 0.01**2, 0.03**2
    mx, my = _box(x), _box(y)
    vx, vy, cxy = _box(x * x) - mx**2, _box(y * y) - my**2, _box(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


# -- the run ----------------------------------------------------------------------------------


def _calibration() -> list[Image.Image]:
    out = []
    for path in sample_photos():
        img = load_image(path).image.convert("RGB")
        img.thumbnail((128, 128))
        out.append(img)
    return out


def _sample_targets(size: int) -> dict[str, Image.Image]:
    out = {}
    for path in sample_photos():
        if "hubble" in path.stem:  # all black sky: nothing to grade
            continue
        out[path.stem] = load_image(path).image.convert("RGB").resize((size, size))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--strengths", default="50,60,70,80,90,100")
    ap.add_argument("--targets", choices=("synthetic", "samples"), default="synthetic")
    ap.add_argument("--pairs", action="store_true", help="print every pair for the default")
    args = ap.parse_args()
    size = args.size
    strengths = [int(s) for s in args.strengths.split(",")]
    default = round(DEFAULT_STRENGTH * 100)
    if default not in strengths:
        strengths.append(default)

    def ours(s: int) -> str:
        return f"ours {s}%" + (" (default)" if s == default else "")

    refs = {name: scene(p, 100 + i, size) for i, (name, p) in enumerate(PALETTES.items())}
    if args.targets == "samples":
        targets = _sample_targets(size)
    else:
        targets = {name: scene(p, 200 + i, size) for i, (name, p) in enumerate(TARGETS.items())}
    # The "typical photo" the baselines map from, as NEUTRAL does.
    source = np.concatenate([pixels(img) for img in _calibration()])
    pooled_targets = np.concatenate([pixels(t) for t in targets.values()])

    target_lab = {n: lab_of(t) for n, t in targets.items()}
    rows: dict[str, list[tuple[float, float, float, float, float, float]]] = {}
    detail: list[tuple[str, str, float, float, float]] = []
    t0 = time.perf_counter()
    for rname, ref in refs.items():
        ref_px = pixels(ref)
        ref_lab = to_lab(ref_px)
        ref_stats = stats(ref_lab)
        grade = GradeStats.from_analysis(analyse(ref))
        luts = {ours(s): build_lut(grade, strength=s / 100) for s in strengths}
        luts["Reinhard 2001"] = _lut_from(reinhard(source, ref_px))
        luts["Pitie-Kokaram 2007 (MKL)"] = _lut_from(mkl(source, ref_px))
        luts["naive RGB mean/std"] = _lut_from(naive_rgb(source, ref_px))
        luts["fixed-LUT reach (MKL from the targets, scale only)"] = _lut_from(
            mkl(pooled_targets, ref_px)
        )
        for tname, target in targets.items():
            before = target_lab[tname]
            d0 = np.linalg.norm(stats(before) - ref_stats)
            w0 = swd(before, ref_lab)
            outs = {m: target.filter(lut) for m, lut in luts.items()}
            tpx = pixels(target)
            for m, fn in (("oracle Reinhard (per photo, no .cube)", reinhard),
                          ("oracle MKL (per photo, no .cube)", mkl)):
                arr = np.clip(fn(tpx, ref_px)(tpx), 0, 1).reshape(size, size, 3)
                outs[m] = Image.fromarray((arr * 255 + 0.5).astype(np.uint8), "RGB")
            for m, out in outs.items():
                after = lab_of(out)
                d1 = np.linalg.norm(stats(after) - ref_stats)
                w1 = swd(after, ref_lab)
                s = ssim(before[:, 0].reshape(size, size) / 100, after[:, 0].reshape(size, size) / 100)
                rows.setdefault(m, []).append((100 * (1 - d1 / d0), w1, 100 * (1 - w1 / w0), s, d0, d1))
                if m == ours(default):
                    detail.append((rname, tname, 100 * (1 - d1 / d0), 100 * (1 - w1 / w0), s))
    elapsed = time.perf_counter() - t0

    n_pairs = len(refs) * len(targets)
    print(f"{len(refs)} references x {len(targets)} unseen {args.targets} targets = {n_pairs} pairs, "
          f"{size} px, Lab by {LAB_BY}, {elapsed:.0f} s")
    print()
    print("| method | (a) Lab mean/spread % closer | (b) sliced Wasserstein (Lab) | (b) % closer | (c) SSIM of L | pairs with SSIM < 0.8 |")
    print("|---|---:|---:|---:|---:|---:|")
    for m, vals in rows.items():
        a = np.array(vals)
        print(f"| {m} | {a[:, 0].mean():.1f} | {a[:, 1].mean():.2f} | {a[:, 2].mean():.1f} | "
              f"{a[:, 3].mean():.3f} | {(a[:, 3] < 0.8).sum()} |")
    before_swd = np.mean([swd(target_lab[t], lab_of(r)) for r in refs.values() for t in targets])
    print(f"\nsliced Wasserstein before grading: {before_swd:.2f}")
    print("(a) pooled, 100 * (1 - sum d_after / sum d_before): " + ", ".join(
        f"{m.split(' (')[0]} {100 * (1 - np.array(v)[:, 5].sum() / np.array(v)[:, 4].sum()):.1f}"
        for m, v in rows.items()
    ))
    if args.pairs:
        print(f"\nEvery pair, {ours(default)}: (a) % closer, (b) % closer, (c) SSIM")
        for rname, tname, a, b, s in detail:
            print(f"  {rname:14s} -> {tname:10s} {a:6.1f} {b:6.1f} {s:.3f}")
        print("Per reference (mean (a), lowest SSIM):")
        for rname in refs:
            mine = [d for d in detail if d[0] == rname]
            print(f"  {rname:14s} {np.mean([d[2] for d in mine]):6.1f} {min(d[4] for d in mine):.3f}")


if __name__ == "__main__":
    main()
