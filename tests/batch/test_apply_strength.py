"""A style applied to photos at its own strength looks like its .cube and its previews, at any
strength it was saved with (the grade is not weakened twice), and 0 % leaves a photo as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from desktop.exchange.cube import read_pillow_lut
from desktop.library.reading import Library
from desktop.pipelines.apply.request import batch_items, enqueue_apply
from desktop.pipelines.generate.request import enqueue_style
from desktop.pipelines.strength.request import enqueue_strength
from tests.helpers import run_pool


def gradient(path: Path) -> Path:
    """Every hue at several lightnesses: a grade that is off shows somewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (64, 48))
    img.frombytes(bytes(v for y in range(48) for x in range(64) for v in (x * 4, y * 5, (x * 2 + y * 3) % 256)))
    img.save(path)
    return path


def largest_difference(a: Image.Image, b: Image.Image) -> int:
    return max(high for _low, high in ImageChops.difference(a, b).getextrema())


def _done(rt, job: int) -> None:
    row = rt.engine.require(job)
    assert row.status == "succeeded", row.error


@pytest.mark.parametrize("strength", [40, 0])
def test_a_style_saved_at_a_strength_applies_like_its_cube(rt, tmp_path, strength):
    job = enqueue_style(rt, "warm golden light", previews=1, size=64, seed=3)
    run_pool(rt, timeout=120)
    _done(rt, job)
    style_id = int(rt.engine.require(job).result_dict()["id"])
    job = enqueue_strength(rt, style_id, strength)
    run_pool(rt, timeout=120)
    _done(rt, job)

    src = gradient(tmp_path / "in" / "g.png")
    job = enqueue_apply(rt, style_id, [src], out=tmp_path / "out", format="png")  # the style's own strength
    run_pool(rt, timeout=120)
    _done(rt, job)
    (item,) = batch_items(rt.db, job)
    info = Library(rt.db, rt.paths).require(style_id)
    original = Image.open(src).convert("RGB")
    by_cube = original.filter(read_pillow_lut(str(info.lut_path)))
    got = Image.open(item.output).convert("RGB")
    worst = largest_difference(got, by_cube)
    assert worst <= 2, f"the photo is up to {worst}/255 away from the style's own .cube"
    if strength == 0:
        assert got.tobytes() == original.tobytes()
    else:  # the grade shows (a test that could not tell a grade from none would prove nothing)
        assert largest_difference(by_cube, original) > 10
