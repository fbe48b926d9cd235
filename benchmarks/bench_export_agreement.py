"""One look in every export (issue 20, section 6), not a test: run with

    python benchmarks/bench_export_agreement.py [--strength PERCENT]   (default 100)

For strong grades (words, and the grade read from each sample photo; full strength unless told), the
largest difference per channel, in 1/255, between the style put on a 4096-colour grid (16 levels
per channel) as ``apply`` does it (Pillow's trilinear interpolation of the style's 33-point
table) and each export applied to the grid by trilinear interpolation in numpy
(tests/exchange/test_export_agreement.py): the HaldCLUT as it was written before (the style's
colours sampled at the Hald's 64 points) and as it is written now (fitted), and the .cube at 17,
33 and 65 points. Also over 60,000 random 8-bit colours (the second figure of each column).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from desktop.exchange.cube import Lut  # noqa: E402
from desktop.exchange.hald import hald_image, identity_image  # noqa: E402
from desktop.imaging.analysis import analyse  # noqa: E402
from desktop.imaging.description import grade_from_description  # noqa: E402
from desktop.imaging.grade import GradeStats, build_lut  # noqa: E402
from desktop.imaging.intake import load_image  # noqa: E402
from desktop.resources import sample_photos  # noqa: E402
from tests.exchange.test_export_agreement import STRONG, grid_image, trilinear  # noqa: E402

WORDS = (STRONG, "deep blue night, saturated", "teal shadows orange highlights vivid", "warm vivid sunset", "cold blue", "sepia toned")


def grades(strength: float) -> dict[str, ImageFilter.Color3DLUT]:
    out = {words[:34]: build_lut(grade_from_description(words), strength=strength) for words in WORDS}
    for photo in sample_photos():
        out[f"from {photo.name}"] = build_lut(GradeStats.from_analysis(analyse(load_image(photo).image)), strength=strength)
    return out


def table(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image, dtype=float) / 255
    n = round(pixels.shape[0] ** (2 / 3))
    return pixels.reshape(n, n, n, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strength", type=float, default=100.0, help="per cent (default 100)")
    strength = parser.parse_args().strength
    grid = grid_image()
    colours = np.random.default_rng(1).integers(0, 256, (200, 300, 3)).astype(np.uint8)
    pictures = [grid, Image.fromarray(colours, "RGB")]
    columns = ("Hald sampled (before)", "Hald fitted (now)", ".cube 17", ".cube 33", ".cube 65")
    print(f"{f'grade (strength {strength:g} %)':36}" + "".join(f"{c:>23}" for c in columns))
    worst = [[0, 0] for _ in columns]
    for name, lut in grades(strength / 100).items():
        unit = Lut.from_pillow(lut)
        tables = [table(identity_image(8).filter(lut)), table(hald_image(lut))]
        tables += [np.asarray(unit.to_unit(n).table).reshape(n, n, n, 3) for n in (17, 33, 65)]
        cells = []
        for k, t in enumerate(tables):
            figures = []
            for j, picture in enumerate(pictures):
                pixels = np.asarray(picture, dtype=float).reshape(-1, 3)
                styled = np.asarray(picture.filter(lut), dtype=float).reshape(-1, 3)
                figures.append(int(np.abs(trilinear(t, pixels) - styled).max()))
                worst[k][j] = max(worst[k][j], figures[-1])
            cells.append(f"{figures[0]:>3} / {figures[1]:<3}")
        print(f"{name:36}" + "".join(f"{c:>23}" for c in cells), flush=True)
    print(f"{'worst (grid / random colours)':36}" + "".join(f"{f'{a:>3} / {b:<3}':>23}" for a, b in worst))


if __name__ == "__main__":
    main()
