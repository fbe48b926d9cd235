"""An original photo and its edit, brought pixel to pixel, or refused as not the same photo.

``align_pair`` turns both upright (EXIF orientation), shrinks both to one working size with a
box filter (each working pixel is the mean of the pixels it covers, so JPEG noise and an
export at another resolution average out), and checks that they show the same picture:
a colour grade, however strong (black and white, cross-process, heavy curves), keeps where
the photo's edges are; a crop, another photo or a mirror moves them. The check compares the
fine structure of the two lightness images at a small size: each one's high-pass (lightness
minus its blur), divided by its local strength so a curve that flattens the shadows still
counts, then correlated. A grade scores about 0.96 to 0.99; a 5 % crop, a mirror or another
photo 0.4 at most.

numpy is imported here, never by ``desktop.imaging`` itself: the command line does not load
it to start.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from desktop.errors import UserError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.floating]

WORK_EDGE = 768  # the working size's long edge: plenty for a colour fit
CHECK_EDGE = 128  # the structure check's long edge
SAME_PHOTO = 0.6  # structure correlation under which the pair is refused
MAX_ASPECT_CHANGE = 0.02  # relative change of width/height still taken as the same framing
LUMA = (0.2126, 0.7152, 0.0722)

NOT_SAME_PHOTO = (
    "The original and the edited photo do not show the same picture (different framing or "
    "content): give the photo exactly as it was before the edit, not cropped, turned or flipped."
)


def upright_rgb(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF orientation says, in RGB (no copy when nothing changes)."""
    if img.getexif().get(0x0112, 1) not in (0, 1):
        img = ImageOps.exif_transpose(img)
    return img if img.mode == "RGB" else img.convert("RGB")


def working_size(a: tuple[int, int], b: tuple[int, int], edge: int = WORK_EDGE) -> tuple[int, int]:
    """The size both photos are brought to: the smaller one's, at most ``edge`` on its long
    side. Refuses a pair whose shapes differ (a crop, a turn) with one sentence."""
    ratio_a, ratio_b = a[0] / a[1], b[0] / b[1]
    if abs(math.log(ratio_a / ratio_b)) > MAX_ASPECT_CHANGE:
        raise UserError(
            f"The original ({a[0]} x {a[1]}) and the edited photo ({b[0]} x {b[1]}) are not the "
            "same shape, so the edit was cropped or turned: give the photo exactly as it was "
            "before the edit, and an edit that keeps the whole frame."
        )
    w, h = min(a, b, key=lambda s: s[0] * s[1])
    scale = min(1.0, edge / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def shrink(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``img`` at ``size``, each pixel the mean of those it covers."""
    if img.size == size:
        return img
    factor = min(img.width // size[0], img.height // size[1])
    if factor >= 4:  # whole-factor box reduction first: fast on a 24 MP photo, same result
        img = img.reduce(factor // 2)
    return img.resize(size, Image.Resampling.BOX)


def as_array(img: Image.Image) -> Array:
    return np.asarray(img, dtype=np.float32) / np.float32(255.0)


def align_pair(original: Image.Image, edited: Image.Image) -> tuple[Array, Array]:
    """The original and the edit as float arrays (height, width, 3) in 0..1, upright, of one
    working size, pixel for pixel. Raises UserError (one sentence) when they are not the same
    photo."""
    a, b = upright_rgb(original), upright_rgb(edited)
    size = working_size(a.size, b.size)
    orig, edit = as_array(shrink(a, size)), as_array(shrink(b, size))
    if structure_match(orig, edit) < SAME_PHOTO:
        raise UserError(NOT_SAME_PHOTO)
    return orig, edit


def box_blur(a: Array, radius: int) -> Array:
    """A (2 radius + 1)-wide box mean along both axes of a 2D array, edges repeated."""
    k = 2 * radius + 1
    p = np.pad(a, radius, mode="edge")
    c = np.cumsum(np.pad(p, ((1, 0), (0, 0))), axis=0)
    rows = (c[k:] - c[:-k]) / k
    c = np.cumsum(np.pad(rows, ((0, 0), (1, 0))), axis=1)
    return (c[:, k:] - c[:, :-k]) / k


def _fine_structure(grey: Array) -> Array:
    high = grey - box_blur(box_blur(grey, 2), 2)
    high = high / np.sqrt(box_blur(box_blur(high * high, 3), 3) + 1e-4)
    return high - high.mean()


def _small_grey(rgb: Array, size: tuple[int, int]) -> Array:
    grey = np.ascontiguousarray(rgb @ np.array(LUMA, dtype=rgb.dtype), dtype=np.float32)
    return np.asarray(Image.fromarray(grey, "F").resize(size, Image.Resampling.BOX), dtype=np.float64)


def structure_match(orig: Array, edit: Array) -> float:
    """How alike the two photos' lightness structure is (-1..1): about 1 for one photo and its
    colour grade, about 0 for two photos (see the module's docstring). Two flat pictures (no
    structure at all) match."""
    h, w = orig.shape[:2]
    scale = min(1.0, CHECK_EDGE / max(w, h))
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    a, b = (_fine_structure(_small_grey(x, size)) for x in (orig, edit))
    energy_a, energy_b = float((a * a).sum()), float((b * b).sum())
    if max(energy_a, energy_b) < 1e-6 * a.size:
        return 1.0
    norm = math.sqrt(energy_a * energy_b)
    return float((a * b).sum()) / norm if norm > 0 else 0.0
