"""Measures of film grain shared by ``bench_film_grain.py`` and the grain tests."""

from __future__ import annotations

import numpy as np


def correlation_length(d: np.ndarray) -> float:
    """Pixels along a row at which the noise's autocorrelation falls to one half (interpolated)."""
    d = d - d.mean()
    var = float((d * d).mean())
    previous = 1.0
    for lag in range(1, 64):
        r = float((d[:, :-lag] * d[:, lag:]).mean()) / var
        if r <= 0.5:
            return lag - 1 + (previous - 0.5) / (previous - r)
        previous = r
    return 64.0
