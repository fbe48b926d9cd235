"""A style's grain and vignette, set on their own by the style.strength job (as the detail pane
saves them): stored in the style's params like its strength, in its previews, in what
`apply` does with it, and in what the pane lists; a bad level is refused with no job."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from desktop.errors import UserError
from desktop.imaging.apply import render_look
from desktop.imaging.effects import Look, levels_of
from desktop.library.reading import Library
from desktop.pipelines.apply.recipe import recipe_for
from desktop.pipelines.generate.request import enqueue_style
from desktop.pipelines.strength.request import (
    StrengthPayload,
    enqueue_strength,
    params_with_levels,
    style_levels,
)
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.helpers import run_pool


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _style(rt, tmp_path, description: str) -> int:
    reference = tmp_path / "reference.png"
    shutil.copy(sample_photos()[2], reference)
    job = enqueue_style(rt, description, reference=reference, previews=1, size=160, seed=11)
    run_pool(rt, timeout=120)
    row = rt.engine.require(job)
    assert row.status == "succeeded", row.error
    return int(row.result_dict()["id"])


def _levels(params) -> dict:
    return levels_of(Look.from_dict(d) for d in params["effect_looks"])


def test_grain_and_vignette_saved_on_their_own(rt, tmp_path):
    style_id = _style(rt, tmp_path, "warm film grain with a vignette")
    before = Library(rt.db, rt.paths).require(style_id)
    assert _levels(before.params) == {"grain": 50, "grain_size": "fine", "vignette": 60}

    job = enqueue_strength(rt, style_id, int(before.strength), grain=0, vignette=90)
    assert rt.engine.require(job).payload_dict()["vignette"] == 90
    run_pool(rt, timeout=120)
    assert rt.engine.require(job).status == "succeeded", rt.engine.require(job).error
    after = Library(rt.db, rt.paths).require(style_id)
    params = after.params
    assert (params["grain"], params["vignette"]) == (0, 90) and "grain_size" not in params
    assert _levels(params) == {"grain": 0, "grain_size": "fine", "vignette": 90}
    assert "film grain" not in params["effects"] and "vignette" in params["effects"]
    assert params["strength"] == before.params["strength"]
    # apply does what the pane saved
    looks = {d["name"]: d for d in recipe_for(after, None).looks}
    assert "grain" not in looks and looks["vignette"]["amount"] == pytest.approx(1.5)
    # the new preview is the look with the new levels: no grain, darker corners
    image = after.images[0]
    assert image.path != before.images[0].path
    photo = Image.open(after.reference_path).convert("RGB").resize((image.width, image.height), Image.Resampling.LANCZOS)
    expected = np.asarray(render_look(photo, params, seed=params["seed"]), dtype=np.float64)
    with Image.open(image.path) as im:
        got = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert np.abs(got - expected).mean() < 4
    old_look = np.asarray(render_look(photo, before.params, seed=params["seed"]), dtype=np.float64)
    assert np.abs(old_look - expected).mean() > 2 * np.abs(got - expected).mean()

    # a grain size alone keeps the other levels; grain added back
    job = enqueue_strength(rt, style_id, int(after.strength), grain=30, grain_size="coarse")
    run_pool(rt, timeout=120)
    assert rt.engine.require(job).status == "succeeded"
    again = Library(rt.db, rt.paths).require(style_id).params
    assert _levels(again) == {"grain": 30, "grain_size": "coarse", "vignette": 90}
    assert "film grain" in again["effects"]


def test_levels_are_refused_with_a_sentence_and_no_job(rt, tmp_path):
    style_id = _style(rt, tmp_path, "cool blue")
    jobs = len(rt.engine.list())
    with pytest.raises(UserError, match="The grain must be a whole number from 0 to 100"):
        enqueue_strength(rt, style_id, 60, grain=120)
    with pytest.raises(UserError, match="The grain size must be fine, medium or coarse"):
        enqueue_strength(rt, style_id, 60, grain_size="huge")
    assert len(rt.engine.list()) == jobs


def test_params_without_levels_are_left_as_they_are_and_a_row_from_before_reads_the_same():
    params = {"effect_looks": [{"name": "grain", "amount": 1.0}], "effects": ["film grain"]}
    assert params_with_levels(params) is params
    added = params_with_levels(params, vignette=30)
    assert added["effects"] == ["film grain", "vignette"] and added["vignette"] == 30
    damaged = {"effect_looks": [{"name": "grain", "amount": float("nan")}, {"amount": 1}, "x", {"name": "vignette"}]}
    assert style_levels(damaged) == {"grain": 0, "grain_size": "fine", "vignette": 60}
    old_row = {"style": 3, "strength": 60, "name": "x"}
    assert StrengthPayload.parse(old_row).to_dict() == old_row
