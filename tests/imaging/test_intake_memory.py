"""Peak memory of one decode, measured in a fresh process (VmHWM / ru_maxrss), on 100-megapixel PNGs.

A 100-megapixel picture is within the limits, so it must open. Its pixels alone are 100 MB a
byte-per-pixel plane; what must not happen is a chain of full-size copies (16-bit -> 32-bit ->
scaled -> grey -> RGB, or RGBA -> alpha -> RGB -> white -> composite), which used to peak at
1.1 GB for a 16-bit grey PNG and 1.7 GB for an RGBA one. These are memory bounds, not timings:
generous, and independent of how busy the machine is.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO

from .corpus import write_big_png

MB = 1024 * 1024

pytestmark = pytest.mark.timeout(300)

_MEASURE = """
import json, os, resource, sys
from desktop.imaging.intake import load_image

def high_water_kb():
    # VmHWM starts afresh with this program; ru_maxrss would carry over the parent's peak
    # (Linux keeps it across fork + exec), so it is only the fallback.
    if os.path.exists("/proc/self/status"):
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

draft = json.loads(sys.argv[2])
keep_alpha = sys.argv[3] == "keep"
before = high_water_kb()
loaded = load_image(sys.argv[1], draft_size=tuple(draft) if draft else None, keep_alpha=keep_alpha)
after = high_water_kb()
image = loaded.image
alpha = loaded.alpha
print(json.dumps({
    "peak_kb": after - before, "mode": image.mode, "size": image.size, "full": loaded.size,
    "top": image.getpixel((0, 0)), "bottom": image.getpixel((0, image.height - 1)),
    "alpha": None if alpha is None else [alpha.mode, alpha.size, alpha.getpixel((0, 0))],
}))
"""


def decode_in_a_new_process(path, draft_size=None, keep_alpha=False) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), json.dumps(draft_size), "keep" if keep_alpha else "flat"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    result["peak_mb"] = result["peak_kb"] * 1024 / MB
    return result


@pytest.fixture(scope="module")
def grey16(tmp_path_factory):
    """10000 x 10000, 16-bit grey, a gradient: a ~1 MB file that is 100 megapixels."""
    return write_big_png(
        tmp_path_factory.mktemp("big") / "grey16.png", 10000, 10000, channels=1, depth=16
    )


@pytest.fixture(scope="module")
def rgba(tmp_path_factory):
    return write_big_png(
        tmp_path_factory.mktemp("big") / "rgba.png", 10000, 10000, channels=4, depth=8
    )


def test_a_100_megapixel_16_bit_png_opens_in_under_800_mb(grey16) -> None:
    got = decode_in_a_new_process(grey16)

    assert got["mode"] == "RGB" and got["size"] == [10000, 10000]
    assert got["top"] == [0, 0, 0] and got["bottom"] == [255, 255, 255]  # scaled, not clipped
    # measured ~0.5 GB: 200 MB of 16-bit pixels + 100 MB grey, then 400 MB RGB after freeing
    assert got["peak_mb"] < 800, got


def test_the_same_png_for_analysis_needs_little_more_than_its_pixels(grey16) -> None:
    got = decode_in_a_new_process(grey16, draft_size=[1024, 1024])

    assert got["full"] == [10000, 10000]
    assert 1024 <= min(got["size"]) < 10000  # reduced while converting, still big enough
    assert got["peak_mb"] < 400, got  # measured ~0.23 GB: the 16-bit pixels and one band


def test_a_100_megapixel_png_with_alpha_does_not_pile_up_copies(rgba) -> None:
    got = decode_in_a_new_process(rgba)

    assert got["mode"] == "RGB" and got["size"] == [10000, 10000]
    assert got["top"][0] == got["top"][2] and 126 <= got["top"][0] <= 129  # half-black on white
    assert got["bottom"] == [255, 255, 255]
    # measured ~0.78 GB: the 400 MB RGBA decode + the 400 MB RGB result (was 1.7 GB)
    assert got["peak_mb"] < 1000, got


def test_a_100_megapixel_png_with_its_alpha_kept_apart_stays_as_bounded(rgba) -> None:
    """``keep_alpha`` (what apply uses): the colours as stored, the alpha beside them, pasted
    band by band into two outputs; no RGBA copy of the whole picture is made."""
    got = decode_in_a_new_process(rgba, keep_alpha=True)

    assert got["mode"] == "RGB" and got["size"] == [10000, 10000]
    assert got["top"] == [0, 0, 0] and got["bottom"] == [255, 255, 255]  # not blended with white
    assert got["alpha"] == ["L", [10000, 10000], 127]
    # measured ~0.9 GB: the 400 MB RGBA decode + the 400 MB RGB result + the 100 MB alpha
    assert got["peak_mb"] < 1100, got
