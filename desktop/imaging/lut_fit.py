"""A 3D LUT fitted to pairs of colours (an original photo and its edit), with numpy only.

The LUT is the solution of one regularised least-squares problem, per output channel:

    minimise   Σ_i w_i |T(x_i) − y_i|² / Σ_i w_i              (data: the pair's pixels)
             + λ Σ_axes ∫ |∂²T/∂a²|²                           (smoothness, per axis)
             + μ ∫ |T − A|²                                    (a mild pull toward A)

``T(x)`` is the table read trilinearly at ``x`` (so each pixel weighs on the 8 nodes around
it), the integrals are sums over the lattice scaled by its spacing ``h`` (second differences
/ h², volume h³), so λ and μ mean the same at 9, 17 or 33 points a side. ``A`` is the global
affine colour map (3x4, least squares over the pair): far from every colour the pair holds,
the table leans toward what the whole edit does on average, never toward identity or black.
Between and beyond the pair's colours the second differences extrapolate linearly, so a
table fitted from three flat colours is a smooth, monotone ramp, not a staircase.

The weights were chosen on held-out photos (benchmarks/bench_edit_fit.py): λ = 2e-7 and
μ = 1e-6 land 97-98 % of the way; a stronger pull toward ``A`` (μ = 2e-3) or stiffer
smoothness (λ = 2e-4) fall to about 90 %: the edit's own curvature, carried on linearly, says
more about the colours the pair lacks than its average does. An additive prior (one smooth
curve per input channel and output, pulled harder far from the pair's colours) was tried: it
lifted the worst pairs of two grades but lowered the mean over every edited photo (91.6 ->
90.1 %), so it is not used. The pixels are first pooled by
original colour (``aggregate``), so the cost follows the photo's colours, not its size.

Solved by conjugate gradients (Jacobi preconditioned) on the normal equations, with the data
term pre-summed per lattice cell (an 8x8 matrix and an 8x3 right side per cell, built with
``bincount``) and the smoothness as array slices: no sparse matrix, no scipy. Coarse to fine
(9, 17, then ``size`` points a side): each level starts from the one below, read trilinearly,
so the fine level only has to settle the details.

Tables are indexed ``lut[r, g, b, channel]`` over inputs 0..1; ``to_pillow_lut`` writes them
in Pillow's order (red varies fastest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import ImageFilter

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.floating]

SMOOTHNESS = 2e-7  # λ
PRIOR_WEIGHT = 1e-6  # μ
COARSE_STEPS = ((9, 300), (17, 150))  # (points a side, CG iterations) of the coarse levels
FINE_STEPS = 60  # CG iterations at full size (more change nothing measurable)
AGGREGATE_BINS = 128  # pixels are pooled by original colour, 128 steps a side (see aggregate)
_CORNERS = [(dr, dg, db) for dr in (0, 1) for dg in (0, 1) for db in (0, 1)]
_PAIRS = [(k, j) for k in range(8) for j in range(k, 8)]


def identity_table(size: int) -> Array:
    """The table that changes nothing, ``(size, size, size, 3)``."""
    axis = np.linspace(0.0, 1.0, size)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    return np.stack([r, g, b], axis=-1)


def _cell_weights(x: Array, size: int) -> tuple[NDArray[np.intp], Array]:
    """For colours ``x`` (n, 3) in 0..1: each one's lattice cell (flat index over
    (size-1)^3, r major) and its 8 trilinear corner weights (n, 8), corners in ``_CORNERS``
    order."""
    n = size - 1
    pos = np.clip(x, 0.0, 1.0) * n
    base = np.minimum(pos.astype(np.intp), n - 1)
    frac = pos - base
    cell = (base[:, 0] * n + base[:, 1]) * n + base[:, 2]
    lo = 1.0 - frac
    weights = np.empty((x.shape[0], 8), dtype=np.float64)
    for k, (dr, dg, db) in enumerate(_CORNERS):
        weights[:, k] = (
            (frac[:, 0] if dr else lo[:, 0])
            * (frac[:, 1] if dg else lo[:, 1])
            * (frac[:, 2] if db else lo[:, 2])
        )
    return cell, weights


def apply_table(lut: Array, rgb: Array) -> Array:
    """``lut`` read trilinearly at the colours ``rgb`` (any shape ending in 3, 0..1)."""
    size = lut.shape[0]
    flat = rgb.reshape(-1, 3)
    cell, weights = _cell_weights(flat, size)
    nodes = _cell_corners(lut).reshape(-1, 8, 3)
    out = np.einsum("nk,nkc->nc", weights, nodes[cell])
    return out.reshape(rgb.shape)


def _cell_corners(x: Array) -> Array:
    """The 8 corner values of every cell: (n, n, n, 8, channels)."""
    n = x.shape[0] - 1
    return np.stack([x[dr : dr + n, dg : dg + n, db : db + n] for dr, dg, db in _CORNERS], axis=3)


def _dot(a: Array, b: Array) -> Array:
    """Per channel: the sum over the lattice of a * b (channel-first arrays)."""
    return np.einsum("ci,ci->c", a.reshape(3, -1), b.reshape(3, -1))


class _Problem:
    """The normal equations of one level, ``(D + λ/h·S + μh³) t = d + μh³·prior``, over
    channel-first tables ``(3, size, size, size)``."""

    def __init__(self, x: Array, y: Array, w: Array, size: int, smoothness: float, prior_weight: float, prior: Array) -> None:
        self.size = n1 = size
        n = size - 1
        h = 1.0 / n
        cell, phi = _cell_weights(x, size)
        weighted = phi * (w / w.sum())[:, None]  # the data term is a weighted mean
        # only the cells some pixel falls in carry a data term
        occupied, cell = np.unique(cell, return_inverse=True)
        m = occupied.shape[0]
        gram = np.empty((m, 8, 8))
        for k, j in _PAIRS:
            col = np.bincount(cell, weights=weighted[:, k] * phi[:, j], minlength=m)
            gram[:, k, j] = col
            gram[:, j, k] = col
        self.gram = gram
        ir, rest = np.divmod(occupied, n * n)
        ig, ib = np.divmod(rest, n)
        # the flat node index of each occupied cell's 8 corners, (m * 8,)
        self.nodes = np.stack(
            [((ir + dr) * n1 + ig + dg) * n1 + ib + db for dr, dg, db in _CORNERS], axis=1
        ).reshape(-1)
        nodes = n1**3
        rhs = np.zeros((3, nodes))
        for k in range(8):
            for c in range(3):
                per_cell = np.bincount(cell, weights=weighted[:, k] * y[:, c], minlength=m)
                rhs[c] += np.bincount(self.nodes[k::8], weights=per_cell, minlength=nodes)
        self.lam = smoothness / h  # ∫|f''|² ≈ Σ (d2/h²)² h³
        self.mu = prior_weight * h**3
        self.b = rhs.reshape(3, n1, n1, n1) + self.mu * prior
        diag = np.bincount(self.nodes, weights=np.diagonal(gram, axis1=1, axis2=2).reshape(-1), minlength=nodes)
        # the diagonal of D2ᵀD2 along one axis is 1, 5, 6, ..., 6, 5, 1
        along = np.full(n1, 6.0)
        along[[0, -1]] = 1.0
        along[[1, -2]] = 5.0
        smooth_diag = along[:, None, None] + along[None, :, None] + along[None, None, :]
        self.precond = 1.0 / (diag.reshape(n1, n1, n1) + self.lam * smooth_diag + self.mu)

    def _add_smoothness(self, t: Array, out: Array) -> None:
        """``out += λ Σ_axes D2ᵀ D2 t`` (second differences along each axis)."""
        for axis in (1, 2, 3):
            lo, mid, hi = (
                tuple(slice(start, stop) if i == axis else slice(None) for i in range(4))
                for start, stop in ((None, -2), (1, -1), (2, None))
            )
            d = t[hi] - 2.0 * t[mid] + t[lo]
            d *= self.lam
            out[hi] += d
            out[lo] += d
            d *= 2.0
            out[mid] -= d

    def matvec(self, t: Array) -> Array:
        nodes = self.size**3
        corners = t.reshape(3, -1)[:, self.nodes].reshape(3, -1, 8, 1)
        prod = np.matmul(self.gram, corners).reshape(3, -1)
        out = np.stack([np.bincount(self.nodes, weights=prod[c], minlength=nodes) for c in range(3)])
        out = out.reshape(t.shape)
        self._add_smoothness(t, out)
        out += self.mu * t
        return out

    def solve(self, start: Array, iterations: int, tol: float = 1e-6) -> Array:
        """Preconditioned conjugate gradients, the three channels at once."""
        t = start.copy()
        r = self.b - self.matvec(t)
        z = self.precond * r
        p = z.copy()
        rz = _dot(r, z)
        norm_b = np.sqrt(_dot(self.b, self.b)) + 1e-300
        for _ in range(iterations):
            q = self.matvec(p)
            alpha = rz / np.maximum(_dot(p, q), 1e-300)
            t += alpha[:, None, None, None] * p
            r -= alpha[:, None, None, None] * q
            if np.all(np.sqrt(_dot(r, r)) < tol * norm_b):
                break
            z = self.precond * r
            rz_new = _dot(r, z)
            p = z + (rz_new / np.maximum(rz, 1e-300))[:, None, None, None] * p
            rz = rz_new
        return t


def aggregate(x: Array, y: Array, w: Array, bins: int = AGGREGATE_BINS) -> tuple[Array, Array, Array]:
    """The pixels pooled by original colour (``bins`` steps a side): per occupied bin the
    weighted mean original and edited colours and the total weight. A 33-point table's cell
    is 4 bins wide, so the fit hardly changes; its cost then follows the photo's colours, not
    its pixels."""
    q = np.minimum((np.clip(x, 0.0, 1.0) * bins).astype(np.intp), bins - 1)
    key = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    _, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=w)
    mean_x = np.stack([np.bincount(inverse, weights=w * x[:, c]) for c in range(3)], axis=1)
    mean_y = np.stack([np.bincount(inverse, weights=w * y[:, c]) for c in range(3)], axis=1)
    return mean_x / total[:, None], mean_y / total[:, None], total


def affine_map(x: Array, y: Array, w: Array) -> Array:
    """The (4, 3) affine colour map ``[r, g, b, 1] @ m`` closest to the pairs (weighted least
    squares), a little pulled toward identity so a pair of few colours stays well posed."""
    xa = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    share = (w / w.sum())[:, None]
    ridge = 1e-4 * np.eye(4)
    ridge[3, 3] = 0.0
    eye = np.vstack([np.eye(3), np.zeros((1, 3))])
    gram = xa.T @ (xa * share) + ridge
    return np.linalg.solve(gram, xa.T @ (y * share) + ridge @ eye)


def fit_edit_lut(
    orig_rgb: Array,
    edit_rgb: Array,
    size: int = 33,
    *,
    weights: Array | None = None,
    smoothness: float = SMOOTHNESS,
    prior_weight: float = PRIOR_WEIGHT,
) -> Array:
    """The table ``(size, size, size, 3)`` (``lut[r, g, b]``, values 0..1) that maps the colours
    of ``orig_rgb`` to those of ``edit_rgb`` (same shape, ..., 3, floats 0..1, pixel for
    pixel); ``weights`` (one per pixel) say how much each pixel counts. See the module's
    docstring for the problem solved."""
    if not 2 <= size <= 65:
        raise ValueError(f"a LUT of {size} points a side: 2 to 65 only")
    x = np.asarray(orig_rgb, dtype=np.float64).reshape(-1, 3)
    y = np.asarray(edit_rgb, dtype=np.float64).reshape(-1, 3)
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]
    if x.shape[0] == 0:
        raise ValueError("no pixel to fit a LUT from")
    x, y, w = aggregate(x, y, w)
    affine = affine_map(x, y, w)
    table: Array | None = None
    for level, steps in [(s, n) for s, n in COARSE_STEPS if s < size] + [(size, FINE_STEPS)]:
        ident = identity_table(level)
        prior = np.moveaxis(ident @ affine[:3] + affine[3], -1, 0)
        problem = _Problem(x, y, w, level, smoothness, prior_weight, prior)
        start = prior if table is None else np.moveaxis(apply_table(table, ident), -1, 0)
        table = np.moveaxis(problem.solve(start, steps), 0, -1)
    assert table is not None
    return np.clip(table, 0.0, 1.0)


def to_pillow_lut(lut: Array) -> ImageFilter.Color3DLUT:
    """``lut[r, g, b]`` as Pillow's table (red varies fastest, then green, then blue)."""
    size = lut.shape[0]
    flat = np.ascontiguousarray(np.clip(lut, 0.0, 1.0).transpose(2, 1, 0, 3)).reshape(-1)
    return ImageFilter.Color3DLUT(size, flat.tolist(), channels=3)
