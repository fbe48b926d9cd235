"""The methods measured, each one fixed 3D LUT per reference (as a .cube must be), applied with
Pillow to 8-bit photos:

* Style Studio, the route of ``stylestudio generate "in the colours of this photo" --reference
  X`` then ``stylestudio apply``: ``generators.local.plan_style`` (the generate job's
  ``plan_work``), the style's stored params as the generate job saves them, and the photo
  graded by ``imaging.apply.apply_look`` with the recipe ``pipelines.apply.recipe.recipe_for``
  makes (the grade rebuilt at the style's strength). The ``.cube`` route: the style's
  ``style.cube`` as ``finish_work`` writes it, read back and applied with Pillow (a recipe
  without a grade, as for a style imported from a .cube);
* Reinhard et al. 2001 (mean and spread in l-alpha-beta) and Pitie and Kokaram 2007 (the
  linear Monge-Kantorovich map in RGB), mapping from a "typical photo" (the bundled samples'
  pooled pixels, as the app's NEUTRAL is made) to the reference;
* the CEILING: a 33^3 LUT fitted on the truth itself, from every (target, graded target) pixel
  pair of a grade: what one LUT can reach; not a method (it knows the answer).
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageFilter

from benchmarks.quality.photos import to_float, to_image
from desktop.exchange.cube import write_pillow_lut
from desktop.generators import local
from desktop.imaging.apply import apply_look
from desktop.pipelines.apply.recipe import recipe_for

DESCRIPTION = "in the colours of this photo"
LUT_SIZE = 33


class StyleStudio:
    """One style made from ``reference`` as the app makes it, and its two ways onto a photo."""

    def __init__(self, reference: Image.Image, folder: Path, strength: int | None = None) -> None:
        """``folder``: where the style's .cube is written (it must outlive the style)."""
        folder.mkdir(parents=True, exist_ok=True)
        s = local.DEFAULT_STRENGTH if strength is None else strength / 100
        self.plan = local.plan_style(DESCRIPTION, reference, seed=1, strength=s)
        self.cube = folder / "style.cube"
        write_pillow_lut(self.cube, self.plan.lut, "bench")
        params = {"seed": 1, "looks": self.plan.to_dict()["look_names"], **self.plan.style_params()}
        style = SimpleNamespace(params=params, description=DESCRIPTION, lut_path=self.cube)
        self.apply_recipe = recipe_for(style, None)
        imported = SimpleNamespace(params={}, description=DESCRIPTION, lut_path=self.cube)
        self.cube_recipe = recipe_for(imported, 100)  # as a .cube from elsewhere: used whole

    def apply(self, img: Image.Image) -> Image.Image:
        return apply_look(img, self.apply_recipe)

    def apply_cube(self, img: Image.Image) -> Image.Image:
        return apply_look(img, self.cube_recipe)


# -- LUTs from functions and tables ---------------------------------------------------------------


def grid_rgb(size: int = LUT_SIZE) -> np.ndarray:
    """The LUT's input colours, (size^3, 3), red varying fastest (Pillow's and .cube's order)."""
    v = np.linspace(0, 1, size)
    b, g, r = np.meshgrid(v, v, v, indexing="ij")
    return np.stack([r, g, b], axis=-1).reshape(-1, 3)


def pillow_lut(table: np.ndarray, size: int = LUT_SIZE) -> ImageFilter.Color3DLUT:
    return ImageFilter.Color3DLUT(size, np.clip(table, 0, 1).reshape(-1).tolist(), channels=3)


def lut_from(fn, size: int = LUT_SIZE) -> ImageFilter.Color3DLUT:
    return pillow_lut(fn(grid_rgb(size)), size)


def apply_lut(rgb: np.ndarray, lut: ImageFilter.Color3DLUT) -> np.ndarray:
    """An 8-bit photo (float 0..1) through ``lut`` with Pillow, back as float."""
    return to_float(to_image(rgb).filter(lut))


# -- the baselines (today's implementations) ------------------------------------------------------

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
    """Reinhard et al. 2001: each l-alpha-beta channel's mean and spread moved to the
    reference's. ``source`` and ``ref`` are (n, 3) pixels."""
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


# -- the ceiling ------------------------------------------------------------------------------------


def _corners(src: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """For each colour of ``src`` (n, 3): the flat indices (n, 8) of the 8 LUT nodes around it
    (red fastest) and their trilinear weights (n, 8)."""
    x = np.clip(src, 0, 1) * (size - 1)
    i0 = np.minimum(np.floor(x).astype(int), size - 2)
    f = x - i0
    idx, wts = [], []
    for dr in (0, 1):
        for dg in (0, 1):
            for db in (0, 1):
                d = np.array([dr, dg, db])
                node = i0 + d
                idx.append(node[:, 0] + size * (node[:, 1] + size * node[:, 2]))
                wts.append(np.prod(np.where(d == 1, f, 1 - f), axis=1))
    return np.stack(idx, 1), np.stack(wts, 1)


def fit_lut(src: np.ndarray, dst: np.ndarray, size: int = LUT_SIZE, rounds: int = 20) -> np.ndarray:
    """The (size^3, 3) table whose trilinear interpolation takes the 8-bit colours ``src`` (n, 3,
    as floats) closest to ``dst`` (n, 3): each node starts at the weighted mean of what its neighbouring
    colours become, is refined on the residuals (Jacobi iterations on the least-squares
    problem), and nodes no colour touches take their neighbours' change from the identity."""
    src, keep = np.unique(np.round(src * 255).astype(np.uint8), axis=0, return_index=True)
    src, dst = src / 255, dst[keep]  # a grade is a function of the colour: one pair per colour
    idx, wts = _corners(src, size)
    n_nodes = size**3
    flat_idx = idx.ravel()
    weight = np.bincount(flat_idx, wts.ravel(), n_nodes)
    seen = weight > 1e-9

    def splat(values: np.ndarray) -> np.ndarray:
        out = np.stack(
            [np.bincount(flat_idx, (wts * values[:, c : c + 1]).ravel(), n_nodes) for c in range(3)], 1
        )
        return np.where(seen[:, None], out / np.maximum(weight, 1e-9)[:, None], 0.0)

    ident = grid_rgb(size)
    table = np.where(seen[:, None], splat(dst), ident)
    for _ in range(rounds):
        pred = np.einsum("nk,nkc->nc", wts, table[idx])
        table = table + splat(dst - pred)
    return _fill(table, ident, seen, size)


def _fill(table: np.ndarray, ident: np.ndarray, seen: np.ndarray, size: int) -> np.ndarray:
    """Unseen nodes: the mean change (from the identity) of their known neighbours, spread
    outward one ring at a time."""
    change = (table - ident).reshape(size, size, size, 3)
    known = seen.reshape(size, size, size).copy()
    change[~known] = 0
    inner = (slice(1, -1),) * 3
    while not known.all():
        padded = np.pad(change * known[..., None], ((1, 1),) * 3 + ((0, 0),))
        count_pad = np.pad(known.astype(float), 1)
        total = np.zeros_like(change)
        count = np.zeros(known.shape)
        for axis in range(3):
            for step in (-1, 1):
                at = list(inner)
                at[axis] = slice(1 + step, size + 1 + step)
                total += padded[(*at, slice(None))]
                count += count_pad[tuple(at)]
        new = ~known & (count > 0)
        if not new.any():  # nothing seen at all: the identity
            break
        change[new] = total[new] / count[new][:, None]
        known |= new
    return ident + change.reshape(-1, 3)
