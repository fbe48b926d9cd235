"""The detail pane's quality line says something a person can use: whether the style follows
its words or its reference, and how much of the reference's colours come through; never an
alarm for a style whose words were meant to lead away from the reference."""

from __future__ import annotations

import pytest
from PIL import Image

from desktop.generators.local import plan_style, quality_figures
from desktop.resources import sample_photos
from desktop.ui.style_story import colour_words, quality_text

ALARMING = ("further", "reference match", "elsewhere", "worse", "fail")


@pytest.fixture(scope="module")
def plain() -> Image.Image:
    """An ungraded photo: a style reads no look from it (its content is not a look)."""
    path = next(p for p in sample_photos() if p.name == "coffee.png")
    return Image.open(path).convert("RGB")


@pytest.fixture(scope="module")
def reference(plain) -> Image.Image:
    """The same photo graded: lifted blacks and a cool cast, a look a style can carry."""
    r, g, b = plain.split()
    return Image.merge("RGB", (r.point(lambda v: 30 + v * 0.8), g.point(lambda v: 35 + v * 0.8), b.point(lambda v: 60 + v * 0.75)))


def stored(description: str, reference: Image.Image, strength: float = 0.6) -> dict:
    """A new style's params as the generator stores them, with its measured quality."""
    plan = plan_style(description, reference, seed=1, strength=strength)
    return {**plan.style_params(), "quality": quality_figures(plan)}


def test_a_style_from_its_reference_says_how_far_its_colours_come(reference):
    params = stored("", reference)
    pct = params["quality"]["closer_pct"]
    line = quality_text(params)
    assert line.startswith("Follows the reference: its colours come ")
    assert f"{max(0, round(pct))} % of the way" in line and "at 60 %" in line
    assert not any(word in line.lower() for word in ALARMING)


def test_a_style_whose_words_lead_follows_its_words_and_is_never_alarming(reference):
    params = stored("very cold blue moody", reference)
    assert colour_words(params)  # the words set colours
    line = quality_text(params)
    assert line.startswith("Follows your words (")
    assert "cold" in line
    assert not any(word in line.lower() for word in ALARMING), line


@pytest.mark.parametrize("closer", [-79.0, -3.0, 0.0, 2.0])
def test_words_that_lead_away_from_the_reference_are_not_an_alarm(closer):
    params = {
        "words": [{"word": "cold", "effect": "cooler colours"}, {"word": "grain", "effect": "film grain (effect)"}],
        "quality": {"closer_pct": closer, "measured_on": "the bundled sample photos", "strength": 60},
    }
    line = quality_text(params)
    assert line.startswith("Follows your words (cold): they set the colours")
    assert "grain" not in line  # an effect is not a colour word
    assert not any(word in line.lower() for word in ALARMING), line


def test_words_that_lead_and_a_reference_that_comes_through_are_both_said():
    params = {
        "words": [{"word": "warm", "effect": "warmer colours"}],
        "quality": {"closer_pct": 40.4, "measured_on": "the bundled sample photos", "strength": 60},
    }
    assert quality_text(params) == (
        "Follows your words (warm); the reference's colours come 40 % of the way "
        "(on the bundled sample photos at 60 %)."
    )


def test_a_reference_that_barely_comes_through_says_what_to_try():
    quality = {"closer_pct": -12.0, "measured_on": "the bundled sample photos", "strength": 60}
    line = quality_text({"words": [], "quality": quality})
    assert line.startswith("Little of the reference's colours shows (0 % of the way")
    assert "a higher strength" in line
    full = quality_text({"words": [], "quality": {**quality, "strength": 100}})
    assert "a higher strength" not in full and "a reference with a clearer colour look" in full


def test_only_effect_words_do_not_lead():
    params = {
        "words": [{"word": "grain", "effect": "film grain (effect)"}],
        "quality": {"closer_pct": 33.0, "strength": 80},
    }
    assert quality_text(params) == "Follows the reference: its colours come 33 % of the way (on the sample photos at 80 %). A higher strength brings more."


def test_no_reference_no_line_and_an_edit_keeps_its_own():
    assert quality_text({"words": [{"word": "warm", "effect": "warmer colours"}]}) == ""
    assert quality_text({"quality": {"closer_pct": None}}) == ""
    assert quality_text({"quality": {"edit_pct": 97.2}}).startswith("Follows your edit: ")


def test_an_ungraded_reference_says_little_of_its_colours_shows_without_alarm(plain):
    line = quality_text(stored("", plain))
    assert line.startswith("Little of the reference's colours shows") and "clearer colour look" in line
    assert not any(word in line.lower() for word in ALARMING)
