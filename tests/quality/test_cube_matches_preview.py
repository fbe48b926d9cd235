"""§3: what is in the .cube is said, and the .cube reproduces what the app showed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from PIL import ImageChops

from desktop import __version__
from desktop.exchange.cube import provenance, read_pillow_lut, write_pillow_lut
from desktop.generators import local
from desktop.generators.local import plan_style, render_preview
from desktop.imaging.apply import render_look
from desktop.imaging.grade import DEFAULT_STRENGTH

from .conftest import REFERENCES

NO_EFFECTS = [
    ("black and white high contrast", None),
    ("sepia", "night"),
    ("teal and orange, faded", "sunset"),
    ("posterized pop", None),
    ("pastel", "candy"),
    ("duotone navy and gold", None),
    ("warm", "sunset"),
]


def largest_difference(a, b) -> int:
    return max(hi for _, hi in ImageChops.difference(a, b).getextrema())


@pytest.mark.parametrize("description,reference", NO_EFFECTS)
def test_a_sample_graded_by_the_exported_cube_equals_the_preview(tmp_path, description, reference):
    plan = plan_style(description, REFERENCES.get(reference), seed=3)
    assert plan.looks == [], "these descriptions name no effects"
    path = tmp_path / "style.cube"
    write_pillow_lut(path, plan.lut, description, notes=["Description: " + description])
    cube = read_pillow_lut(path)
    for index in range(2):
        preview = render_preview(plan, index, size=256)
        by_cube = local.resized_sample(index, 256).filter(cube)
        assert largest_difference(preview, by_cube) <= 2, (description, index)
        assert largest_difference(preview, local.resized_sample(index, 256)) > 20  # it did something


@pytest.mark.parametrize(
    "description,in_cube,effects",
    [
        ("black and white", ["black and white"], []),
        ("sepia with film grain and a vignette", ["sepia toning"], ["vignette", "film grain"]),
        ("duotone halftone", ["duotone"], ["halftone dots"]),
        ("teal and orange split tone, faded", ["teal shadows", "orange highlights"], []),
        ("posterize, pixel art", ["posterized tones"], ["pixel art"]),
        ("high contrast, warm glow, ink sketch", ["more contrast", "warmer colours"],
         ["soft glow", "ink lines"]),
    ],
)
def test_lut_words_go_in_the_cube_and_the_rest_are_effects(description, in_cube, effects):
    params = plan_style(description, None, seed=1).style_params()
    assert all(x in params["in_cube"] for x in in_cube), params["in_cube"]
    assert params["effects"] == effects
    json.dumps(params)  # stored as JSON


def test_params_say_which_words_were_understood():
    params = plan_style("cold cyberpunk neon, teal and magenta, no grain", None, seed=1).style_params()
    said = {w["word"]: w["effect"] for w in params["words"]}
    assert said["cold"] == "cooler colours" and said["teal"] == "teal shadows"
    assert said["magenta"] == "magenta highlights" and said["not grain"] == "left out"
    assert params["unknown_words"] == ["cyberpunk"]
    assert params["strength"] == round(100 * DEFAULT_STRENGTH) and params["effects"] == []


def test_the_cube_carries_its_provenance(tmp_path):
    plan = plan_style("sepia with film grain", REFERENCES["sunset"], seed=1, strength=0.65)
    params = plan.style_params()
    notes = provenance(
        description="sepia with film grain",
        generator="local",
        strength=plan.strength,
        reference=b"reference bytes",
        in_cube=params["in_cube"],
        effects=params["effects"],
        when=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    path = tmp_path / "style.cube"
    write_pillow_lut(path, plan.lut, "Sépia “film”", notes=notes)
    text = path.read_text(encoding="ascii")
    lines = text.splitlines()
    assert 'TITLE "Sepia ?film?"' in lines
    for expected in (
        "# Description: sepia with film grain",
        "# Generator: local",
        "# Strength: 65%",
        f"# App: Style Studio {__version__}",
        "# Date: 2025-01-02T03:04:05Z",
        "# Reference SHA-256: " + hashlib.sha256(b"reference bytes").hexdigest(),
        "# In the .cube: tone curve and colour from the reference, sepia toning",
        "# Effects (Style Studio only, not in this file): film grain",
    ):
        assert any(line.startswith(expected) for line in lines), expected
    assert read_pillow_lut(path).size == (33, 33, 33)  # other tools still read it


def test_render_look_at_a_strength(samples):
    plan = plan_style("warm, high contrast", None, seed=1)
    params = plan.style_params()
    photo = samples[0][1]
    assert largest_difference(render_look(photo, params, strength=0), photo) == 0
    full = render_look(photo, params)
    assert largest_difference(full, photo.filter(plan.lut)) <= 1
    half = render_look(photo, params, strength=40)
    d_half = sum(ImageChops.difference(half, photo).convert("L").tobytes())
    d_full = sum(ImageChops.difference(full, photo).convert("L").tobytes())
    assert 0 < d_half < d_full
