"""Learn a look from an edit: the original photo and the edited one give a 3D LUT.

``fit_edit(original, edited)`` aligns the pair (``edit_pair``: upright, one working size,
refused with a sentence when it is not the same photo), fits the table that maps the
original's colours to the edit's (``lut_fit``: regularised least squares, smooth where the
pair holds no colour) and looks at what the table cannot explain, where in the frame:

- a **vignette** (the corners darker or lighter than the same colours in the middle): the
  edit is modelled as ``gain(r) * T(original)``, with ``gain`` = 1 + a r² + b r⁴ of the
  distance ``r`` from the centre (1 at the corners), and ``T`` and ``gain`` fitted in turn,
  so the corners' darkening does not leak into the colours;
- **local changes** (a brush, a mask, retouching): blocks of the frame the table misses by
  far are left out of the fit.

Each one found becomes a ``LocalChange`` with a sentence for the style's story. What is not
local is in the table: ``EditFit.pillow_lut()`` is the Color3DLUT a style stores and applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageFilter

from desktop.imaging.edit_pair import LUMA, align_pair, box_blur
from desktop.imaging.lut_fit import apply_table, fit_edit_lut, to_pillow_lut

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.floating]

VIGNETTE_MIN = 0.05  # corner gain change (5 %) from which a vignette is said and modelled
VIGNETTE_ROUNDS = 2
CENTRE = 0.45  # the middle of the frame, where a vignette hardly reaches (radius, 1 = corner)
FLAT_RADIUS = 2  # flatness is read over 5 x 5 working pixels
FLAT_SIGMA = 0.03
BLOCK = 16  # local changes are looked for in blocks of 16 x 16 working pixels
LOCAL_MISS = 0.06  # a block's mean miss (0..1 per channel) from which it is taken as local
LOCAL_MIN_SHARE = 0.01  # share of the frame from which local changes are said


@dataclass(frozen=True)
class LocalChange:
    """A change of the edit that depends on where a pixel is, not on its colour.

    ``kind``: "vignette" (``amount``: how much darker the corners are, 0.2 = 20 %; negative
    when lighter) or "local" (``amount``: the share of the frame changed, 0..1)."""

    kind: str
    amount: float
    sentence: str


@dataclass(frozen=True)
class EditFit:
    lut: Array  # (size, size, size, 3), ``lut[r, g, b]``, 0..1
    local_changes: tuple[LocalChange, ...]

    def pillow_lut(self) -> ImageFilter.Color3DLUT:
        return to_pillow_lut(self.lut)

    @property
    def story(self) -> list[str]:
        """Sentences for the style's story (empty when the edit is a global colour grade)."""
        return [change.sentence for change in self.local_changes]


def fit_edit(original: Image.Image, edited: Image.Image, size: int = 33) -> EditFit:
    """The look of ``edited`` as a table over ``original``'s colours; raises UserError when
    the two are not the same photo."""
    orig, edit = align_pair(original, edited)
    return fit_aligned(orig, edit, size)


def fit_aligned(orig: Array, edit: Array, size: int = 33) -> EditFit:
    """``fit_edit`` on a pair already aligned (float arrays, same shape, 0..1)."""
    radius = _radius(orig.shape[:2])
    flat = flatness(orig)
    lut = fit_edit_lut(orig, edit, size, weights=flat)
    changes: list[LocalChange] = []
    gain = _radial_gain(orig, edit, lut, radius)
    if abs(gain(1.0) - 1.0) >= VIGNETTE_MIN:
        # the middle of the frame first (little vignette there), then the table and the
        # gain in turn over the whole frame
        lut = fit_edit_lut(orig, edit, size, weights=flat * (radius < CENTRE))
        gain = _radial_gain(orig, edit, lut, radius)
        for _ in range(VIGNETTE_ROUNDS):
            lut = fit_edit_lut(orig, np.clip(edit / gain(radius)[..., None], 0.0, 1.0), size, weights=flat)
            gain = _radial_gain(orig, edit, lut, radius)
        changes.append(_vignette(1.0 - float(gain(1.0))))
    else:
        gain = _no_gain
    target = np.clip(edit / gain(radius)[..., None], 0.0, 1.0)
    missed = _missed_blocks(apply_table(lut, orig), target, flat)
    share = float(missed.mean())
    if share >= LOCAL_MIN_SHARE:
        if share < 0.5:  # else the "local" change is most of the photo: keep it all
            keep = np.repeat(np.repeat(~missed, BLOCK, axis=0), BLOCK, axis=1)
            keep = np.pad(keep, [(0, orig.shape[0] - keep.shape[0]), (0, orig.shape[1] - keep.shape[1])], constant_values=True)
            lut = fit_edit_lut(orig, target, size, weights=flat * keep)
        changes.append(LocalChange("local", share, (
            f"The edit also changes parts of the photo on their own (a brush, a mask or "
            f"retouching, about {max(1, round(100 * share))} % of it): not in the style, "
            "which keeps the edit's overall colours."
        )))
    return EditFit(lut=lut, local_changes=tuple(changes))


def flatness(rgb: Array, radius: int = FLAT_RADIUS, sigma: float = FLAT_SIGMA) -> Array:
    """Each pixel's weight in the fit, 1 where the original is flat around it, less near
    edges: there, an export's resampling and a JPEG's halved colour resolution (4:2:0) mix
    neighbouring colours into the edit, which no colour map explains."""
    var = np.zeros(rgb.shape[:2])
    for c in range(3):
        ch = rgb[..., c].astype(np.float64)
        mean = box_blur(ch, radius)
        var += np.maximum(box_blur(ch * ch, radius) - mean * mean, 0.0)
    return 1.0 / (1.0 + var / sigma**2)


def _vignette(amount: float) -> LocalChange:
    way = "darkens" if amount > 0 else "lightens"
    return LocalChange("vignette", amount, (
        f"The edit also {way} the corners (a vignette, {round(100 * abs(amount))} % at the "
        "corners): not in the style, which keeps the edit's colours."
    ))


def _no_gain(r: Array | float) -> Array:
    return np.ones_like(np.asarray(r, dtype=np.float64))


def _radius(shape: tuple[int, ...]) -> Array:
    """Each pixel's distance from the centre, 1 at the corners."""
    h, w = shape[0], shape[1]
    y = (np.arange(h) + 0.5) / h * 2.0 - 1.0
    x = (np.arange(w) + 0.5) / w * 2.0 - 1.0
    return np.sqrt((x[None, :] ** 2 + y[:, None] ** 2) / 2.0)


def _radial_gain(orig: Array, edit: Array, lut: Array, radius: Array):
    """The gain ``1 + a r² + b r⁴`` that best turns ``lut(orig)`` into ``edit`` in lightness
    (least squares over every 4th pixel each way, darkest pixels left out)."""
    step = (slice(None, None, 4), slice(None, None, 4))
    luma = np.array(LUMA)
    pred = apply_table(lut, orig[step]) @ luma
    seen = edit[step] @ luma
    r2 = radius[step] ** 2
    keep = pred > 0.05
    pred, miss, r2 = pred[keep], seen[keep] - pred[keep], r2[keep]
    if pred.shape[0] < 16:
        return _no_gain
    # seen ≈ pred (1 + a r² + b r⁴)  ->  seen - pred ≈ a pred r² + b pred r⁴; twice, the
    # second time without the pixels the first misses by far (a brushed area is no vignette)
    basis = np.stack([pred * r2, pred * r2 * r2], axis=1)
    coef, *_ = np.linalg.lstsq(basis, miss, rcond=None)
    off = np.abs(basis @ coef - miss)
    inliers = off <= 3.0 * max(float(np.median(off)), 1e-3)
    coef, *_ = np.linalg.lstsq(basis[inliers], miss[inliers], rcond=None)
    a, b = float(coef[0]), float(coef[1])

    def gain(r: Array | float) -> Array:
        rr = np.asarray(r, dtype=np.float64) ** 2
        return np.clip(1.0 + a * rr + b * rr * rr, 0.05, 4.0)

    return gain


def _missed_blocks(pred: Array, target: Array, flat: Array) -> NDArray[np.bool_]:
    """Which BLOCK x BLOCK blocks of the frame the table misses by LOCAL_MISS or more (mean
    absolute difference over the block's channels and pixels, weighted by flatness so that
    edges, which resampling and JPEG blur, hardly count)."""
    h, w = pred.shape[0] // BLOCK, pred.shape[1] // BLOCK
    if h == 0 or w == 0:
        return np.zeros((max(h, 1), max(w, 1)), dtype=bool)
    crop = (slice(0, h * BLOCK), slice(0, w * BLOCK))
    miss = np.abs(pred - target)[crop].mean(axis=2) * flat[crop]
    per_block = miss.reshape(h, BLOCK, w, BLOCK).sum(axis=(1, 3))
    weight = flat[crop].reshape(h, BLOCK, w, BLOCK).sum(axis=(1, 3))
    return per_block >= LOCAL_MISS * np.maximum(weight, 1e-9)
