"""HaldCLUT PNG: a 3D LUT stored as an image, read by darktable, RawTherapee, G'MIC and
ImageMagick (``-hald-clut``).

A level-L Hald image is L^3 x L^3 pixels holding an L^2-point cube: pixel k (row-major) is the
output for input (r, g, b) = (k mod n, k / n mod n, k / n^2) / (n - 1), n = L^2, red varying
fastest. We write level 8 (512 x 512 pixels, 64 points a side, 8 bits per channel), with the
style's name and notes (its strength among them) as PNG text (``Title``, ``Comment``).

The style applies its table (33 points a side) by trilinear interpolation, and so do the tools
that read a Hald; but 64 points do not fall on 33 (63 steps against 32), so a Hald holding the
style's exact colours at its own points (what running the identity Hald image through the
style's LUT gave) misses the creases of the style's table between them: a strong, saturated
grade bends sharply where it meets the edge of sRGB (its slope changes by about 6 within one
step of the table), and that Hald was up to 9/255 away from the style on a 4096-colour grid.
The table is therefore *fitted* (``fitted_table``): per axis, the least-squares fit, over the 256
input levels of an 8-bit channel, of the Hald's interpolation to the style's, its first and last
points kept at the style's own colours, so black, white and the faces of the cube (the most
saturated colours) stay exact along that axis (separable: a 64 x 33 matrix applied along red,
green and blue). It about halves the error where the style bends, and the grade eases colours
into the edge of sRGB over a few steps (``imaging.grade.GAMUT_KNEE``) instead of stopping them
within one: at most 3/255 on that grid over 11 grades at full strength (2/255 on the strong
split-toned style the export test uses, 5/255 on random colours), 1/255 for gentle ones
(``benchmarks/bench_export_agreement.py``)
and is exact for a table of 64 points or one linear between the Hald's points (an identity). A
grade that *jumps* between two of its points (some colours at the edge of sRGB that the grade
would push outside are kept as they are while their neighbours move) stays up to 8/255 away:
64 points cannot draw a step that 33 put elsewhere.

We read levels 2 to 12 (8 x 8 to 1728 x 1728 pixels; most tools write 8, RawTherapee's film
simulations are 12): a style applies at most 65 points a side, so a finer table only costs
memory (a level-16 picture of 177 KB holds 50 million values). The level is read from the
PNG's header before anything is decoded. The picture goes through image intake, and its table
must change slowly, as every real LUT does (``roughness``): a photo or noise of a Hald's size
is refused.
"""

from __future__ import annotations

import io
import os
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter, PngImagePlugin

from desktop import __version__
from desktop.exchange import limits
from desktop.exchange.cube import PILLOW_MAX, CubeError, Lut, refuse
from desktop.files import write_output
from desktop.imaging.intake import check_image_file, load_image

WRITE_LEVEL = 8
ANY_LEVELS = (2, 16)  # what a Hald image can be (recognised, to say what is wrong with it)
# A real LUT's neighbouring entries differ little. ``roughness`` sums, over the 3 axes and the 3
# channels, the mean total change along a line of the table, in full ranges: at most about 3
# for an identity, a film look, black and white or a posterize (measured 0.5 to 4.9 at level 8),
# about 10 for a wild curve (two waves per channel); 19 to 74 for the sample photos resized to
# 512 x 512, and 3 x (points - 1) for noise (185 at level 8, 23 at level 3). Steps of up to
# STEP_SLACK levels (rounding to 8 bits) do not count.
MAX_ROUGHNESS = 16.0
STEP_SLACK = 2
ROUGHNESS_GRID = 16  # lines sampled per axis: at most 16 x 16, each at full resolution


def identity_image(level: int = WRITE_LEVEL) -> Image.Image:
    """The identity Hald image of ``level`` (8 bits per channel, values rounded)."""
    n = level * level
    side = level**3
    steps = [round(i * 255 / (n - 1)) for i in range(n)]
    reds = bytes(v for r in steps for v in (r, 0, 0))
    data = bytearray()
    for b in steps:
        for g in steps:
            row = bytearray(reds)
            row[1::3] = bytes([g]) * n
            row[2::3] = bytes([b]) * n
            data += row
    return Image.frombytes("RGB", (side, side), bytes(data))


def interpolation_weights(points: int, inputs: Any) -> Any:
    """The (len(inputs) x points) matrix of linear interpolation weights of a table of
    ``points`` evenly spaced entries over 0..1 at ``inputs`` (numpy)."""
    import numpy as np

    u = np.clip(np.asarray(inputs, dtype=float), 0.0, 1.0) * (points - 1)
    low = np.minimum(np.floor(u).astype(int), points - 2)
    frac = u - low
    rows = np.arange(len(u))
    weights = np.zeros((len(u), points))
    weights[rows, low] = 1 - frac
    weights[rows, low + 1] += frac
    return weights


def fitting_matrix(source: int, target: int) -> Any:
    """The (target x source) matrix that takes a table of ``source`` points along one axis to
    the ``target`` points whose linear interpolation is nearest to the source's (least squares)
    over the 256 levels of an 8-bit channel; the first and last points are the source's."""
    import numpy as np

    levels = np.arange(256) / 255
    fit = interpolation_weights(target, levels)
    want = interpolation_weights(source, levels)
    ends = interpolation_weights(source, [0.0, 1.0])  # the first and last points: exactly the source's
    inner = fit[:, 1:-1]
    rest = want - fit[:, [0, -1]] @ ends
    matrix = np.empty((target, source))
    matrix[[0, -1]] = ends
    matrix[1:-1] = np.linalg.solve(inner.T @ inner, inner.T @ rest)
    return matrix


def fitted_table(lut: ImageFilter.Color3DLUT, points: int) -> bytes:
    """The Hald table (``points`` a side, red fastest, 8-bit RGB) whose trilinear interpolation
    is nearest to ``lut``'s on 8-bit colours (see the module's docstring)."""
    import numpy as np

    size = lut.size[0]
    if tuple(lut.size) != (size, size, size) or lut.channels != 3:
        raise ValueError("only cubic 3-channel LUTs")
    table = np.asarray(lut.table, dtype=float).reshape(size, size, size, 3)  # blue, green, red
    fit = fitting_matrix(size, points)
    table = np.einsum("ib,bgrc->igrc", fit, table)
    table = np.einsum("jg,igrc->ijrc", fit, table)
    table = np.einsum("kr,ijrc->ijkc", fit, table)
    return np.clip(np.round(table * 255), 0, 255).astype(np.uint8).tobytes()


def hald_image(lut: ImageFilter.Color3DLUT, level: int = WRITE_LEVEL) -> Image.Image:
    side = level**3
    return Image.frombytes("RGB", (side, side), fitted_table(lut, level * level))


def hald_text(title: str, notes: Iterable[str] = ()) -> PngImagePlugin.PngInfo:
    """The PNG text chunks of our Hald: ``Title`` (the style's name), ``Comment`` (``notes``, one a
    line: the style's strength, description...) and ``Software``."""
    info = PngImagePlugin.PngInfo()
    if title.strip():
        info.add_itxt("Title", " ".join(title.split())[:200])
    comment = "\n".join(" ".join(str(note).split())[:500] for note in notes if str(note).strip())
    if comment:
        info.add_itxt("Comment", comment)
    info.add_text("Software", f"Style Studio {__version__}")
    return info


def write_hald(
    path: str | os.PathLike[str],
    lut: ImageFilter.Color3DLUT,
    level: int = WRITE_LEVEL,
    *,
    title: str = "",
    notes: Iterable[str] = (),
    overwrite: bool = False,
    mode: int = 0o600,
) -> Path:
    """Write the HaldCLUT PNG of ``lut`` through ``desktop.files.OutputFile``: whole or not at
    all, never over an existing file unless ``overwrite``; ``mode`` 0o666 for an export.
    ``title`` and ``notes`` go into its text chunks (``hald_text``)."""
    image = hald_image(lut, level)
    text = hald_text(title, notes)
    return write_output(Path(path), lambda fh: image.save(fh, "PNG", compress_level=6, pnginfo=text), overwrite=overwrite, mode=mode)


def level_of(size: tuple[int, int], levels: tuple[int, int] = ANY_LEVELS) -> int | None:
    """The Hald level of an image of ``size``, or None when it is not a Hald image."""
    w, h = size
    if w != h:
        return None
    lo, hi = levels
    for level in range(lo, hi + 1):
        if level**3 == w:
            return level
    return None


def roughness(data: bytes, n: int) -> float:
    """How much the n^3-point table in ``data`` (RGB bytes, red fastest) jumps between
    neighbouring entries: the mean total change along lines of the table, in full ranges (255),
    summed over the three axes and channels (see ``MAX_ROUGHNESS``)."""
    step = max(1, -(-(n - 1) // (ROUGHNESS_GRID - 1)))
    points = list(range(0, n, step))
    strides = (3, 3 * n, 3 * n * n)  # red, green, blue
    total = 0.0
    for axis in range(3):
        along = strides[axis]
        across = [s for i, s in enumerate(strides) if i != axis]
        for c in range(3):
            change = 0
            lines = 0
            for u in points:
                for v in points:
                    start = u * across[0] + v * across[1] + c
                    line = data[start:start + along * n:along]
                    change += sum(d - STEP_SLACK for d in map(abs, map(int.__sub__, line[1:], line[:-1])) if d > STEP_SLACK)
                    lines += 1
            total += change / lines / 255
    return total


def read_hald(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> Lut:
    """A HaldCLUT image (level 2..12) as a 3D table; raises a UserError (one sentence) when
    intake refuses the picture, it is not a Hald image, its level is over 12, or its table
    jumps around like noise instead of changing slowly."""
    label = name or (Path(os.fspath(source)).name if not isinstance(source, bytes) else "image")
    size = check_image_file(source, name=label)  # header only: a wrong shape is refused early
    level = level_of(size)
    lo, hi = limits.HALD_LEVELS
    if level is None:
        sides = ", ".join(f"{lv**3}" for lv in range(lo, hi + 1))
        raise CubeError(
            f'The image "{label}" is {size[0]}x{size[1]} pixels, not a HaldCLUT (a square of side {sides}); '
            "export the LUT from its tool as a HaldCLUT PNG or a .cube file."
        )
    if level > hi:
        raise refuse(
            label,
            f"it is a level-{level} HaldCLUT ({size[0]}x{size[1]} pixels), finer than the levels {lo} to {hi} "
            f"(up to {hi**3}x{hi**3}) Style Studio reads; a style applies at most {PILLOW_MAX} points a side",
            "export it at level 8 (512x512) or as a .cube file",
        )
    data = load_image(source if isinstance(source, bytes) else os.fspath(source), name=label).image.tobytes()
    n = level * level
    if len(data) != 3 * n**3:  # pragma: no cover - intake gives RGB at the header's size
        raise refuse(label, "its pixels do not fill its picture", "export it again")
    rough = roughness(data, n)
    if rough > MAX_ROUGHNESS:
        raise refuse(
            label,
            "neighbouring entries of its table jump around like noise, and a real LUT changes slowly, "
            "so this picture is not a HaldCLUT",
            "export the LUT from its tool as a HaldCLUT PNG or a .cube file",
        )
    scale = [v / 255 for v in range(256)]
    table = array("d" if n <= PILLOW_MAX else "f", map(scale.__getitem__, data))
    return Lut(3, n, table, Path(label).stem)


def hald_bytes(lut: ImageFilter.Color3DLUT, level: int = WRITE_LEVEL) -> bytes:
    buf = io.BytesIO()
    hald_image(lut, level).save(buf, "PNG")
    return buf.getvalue()
