"""Colour maths, palette naming and the analysis of a reference."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from desktop.imaging.analysis import PERCENTILES, Analysis, analyse
from desktop.imaging.colour import lab_to_rgb, name_colour, rgb_to_lab


@pytest.mark.parametrize(
    "rgb,lab",
    [((255, 255, 255), (100, 0, 0)), ((0, 0, 0), (0, 0, 0)), ((255, 0, 0), (53.24, 80.09, 67.20))],
)
def test_rgb_to_lab_reference_values(rgb, lab):
    got = rgb_to_lab(rgb)
    assert all(abs(g - e) < 0.05 for g, e in zip(got, lab, strict=True)), got


def test_lab_round_trip():
    for rgb in ((12, 200, 99), (250, 250, 10), (3, 4, 5), (128, 64, 200)):
        assert lab_to_rgb(rgb_to_lab(rgb)) == rgb


@pytest.mark.parametrize(
    "rgb,names",
    [
        ((220, 20, 30), {"red", "crimson"}),
        ((20, 40, 200), {"blue", "navy"}),
        ((250, 250, 250), {"white"}),
        ((30, 140, 50), {"green", "forest green"}),
        ((250, 140, 10), {"orange", "amber"}),
    ],
)
def test_colour_names(rgb, names):
    assert name_colour(rgb) in names


def test_red_image_is_red_and_warm():
    a = analyse(Image.new("RGB", (300, 200), (210, 30, 30)))
    assert a.palette[0].name in {"red", "crimson"}
    assert a.palette[0].share == pytest.approx(1.0)
    assert a.mood.startswith("warm")
    assert "saturated" in a.mood
    assert a.lab_mean[1] > 50


def test_dark_blue_image_is_cool_and_dark():
    a = analyse(Image.new("RGB", (64, 64), (20, 30, 90)))
    assert a.mood.startswith("cool, dark")


def test_palette_shares_and_percentiles_of_a_two_tone_image():
    img = Image.new("RGB", (100, 100), (0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 100, 30))  # 30 % white, 70 % black
    a = analyse(img)
    assert {c.name for c in a.palette} == {"black", "white"}
    assert a.palette[0].name == "black" and a.palette[0].share == pytest.approx(0.7, abs=0.03)
    assert a.tones[25] == 0 and a.tones[50] == 0 and a.tones[75] == 100 and a.tones[99] == 100
    assert a.lab_std[0] > 40


def test_palette_has_six_colours_for_a_photo(sample_photo):
    a = analyse(sample_photo)
    assert len(a.palette) == 6
    assert list(a.tones) == list(PERCENTILES)
    assert sorted(a.tones.values()) == list(a.tones.values())


def test_to_dict_round_trips_through_json(sample_photo):
    a = analyse(sample_photo)
    again = Analysis.from_dict(json.loads(json.dumps(a.to_dict())))
    assert again == a


def test_a_big_flat_image_is_analysed_as_its_one_colour():
    """How fast a 12-megapixel picture is analysed is in benchmarks/bench_imaging.py."""
    a = analyse(Image.new("RGB", (4000, 3000), (90, 120, 150)))
    assert [(p.rgb, p.share) for p in a.palette] == [((90, 120, 150), 1.0)]
    assert a.lab_mean[2] < -10  # a blue-grey: cool
    assert a.mood.startswith("cool")


def test_colour_by_rank_of_lightness():
    """The darker 40 % of the picture is blue, the lighter 60 % orange: the first two fifths
    are blue, the last three orange."""
    img = Image.new("RGB", (100, 100), (20, 30, 90))
    img.paste((240, 150, 60), (0, 0, 100, 60))
    ranks = analyse(img).tint_ranks
    assert ranks is not None and len(ranks) == 5
    assert all(b < -20 for _, b in ranks[:2]) and all(b > 30 for _, b in ranks[2:])


def test_an_analysis_saved_by_an_older_version_still_loads(sample_photo):
    d = analyse(sample_photo).to_dict()
    del d["tint_ranks"]
    assert Analysis.from_dict(json.loads(json.dumps(d))).tint_ranks is None
