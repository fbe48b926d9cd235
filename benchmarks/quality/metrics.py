"""The figures: CIELAB (D65), colour differences (dE76, CIEDE2000), the score "% of the way to
the true look", and SSIM of the lightness. Plain numpy."""

from __future__ import annotations

import numpy as np

_M = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
     [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (float 0..1, shape (..., 3)) to CIELAB, D65."""
    rgb = np.clip(rgb, 0, 1)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = lin @ _M.T / _WHITE
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def delta_e76(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """Mean per-pixel CIE 1976 colour difference."""
    return float(np.linalg.norm(lab1 - lab2, axis=-1).mean())


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """Mean per-pixel CIEDE2000 colour difference (Sharma, Wu and Dalal's formulation)."""
    l1, a1, b1 = (lab1[..., i] for i in range(3))
    l2, a2, b2 = (lab2[..., i] for i in range(3))
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lp_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hp_bar = np.where(
        c1p * c2p == 0, hsum,
        np.where(np.abs(h1p - h2p) <= 180, hsum / 2,
                 np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2)),
    )
    t = (1 - 0.17 * np.cos(np.radians(hp_bar - 30)) + 0.24 * np.cos(np.radians(2 * hp_bar))
         + 0.32 * np.cos(np.radians(3 * hp_bar + 6)) - 0.20 * np.cos(np.radians(4 * hp_bar - 63)))
    d_theta = 30 * np.exp(-(((hp_bar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    sl = 1 + 0.015 * (lp_bar - 50) ** 2 / np.sqrt(20 + (lp_bar - 50) ** 2)
    sc = 1 + 0.045 * cp_bar
    sh = 1 + 0.015 * cp_bar * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    de = np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2
                 + rt * (dcp / sc) * (dhp / sh))
    return float(de.mean())


def way_pct(before: list[float] | np.ndarray, after: list[float] | np.ndarray) -> float:
    """% of the way to the true look: 100 * (1 - sum after / sum before), ``before`` and
    ``after`` the mean per-pixel distances to the truth of each photo, untouched and styled
    (pooled, so a photo that starts near the truth cannot swing it). 100 = exactly the true
    look, 0 = unchanged, below 0 = further away."""
    total = float(np.sum(before))
    return 100 * (1 - float(np.sum(after)) / total) if total > 0 else float("nan")


def _box(x: np.ndarray, k: int = 7) -> np.ndarray:
    c = np.pad(x, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of two 2-D arrays in 0..1 (7x7 box windows)."""
    c1, c2 = 0.01**2, 0.03**2
    mx, my = _box(x), _box(y)
    vx, vy, cxy = _box(x * x) - mx**2, _box(y * y) - my**2, _box(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(s.mean())


def ssim_l(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """SSIM of the CIELAB lightness of two images (each (h, w, 3) Lab)."""
    return ssim(lab1[..., 0] / 100, lab2[..., 0] / 100)
