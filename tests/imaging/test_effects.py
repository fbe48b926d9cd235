"""Looks: chosen from words, deterministic for a seed, each one visibly changes a photo."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageChops, ImageStat

from desktop.imaging.description import read_words
from desktop.imaging.effects import (
    EFFECTS,
    FAMILIES,
    GAMEBOY,
    IN_CUBE,
    Look,
    apply_looks,
    choose_looks,
)
from desktop.imaging.words import LOOK_WORDS


@pytest.fixture(scope="module")
def photo(sample_photo):
    return sample_photo.resize((320, 320))


def names(description: str) -> list[str]:
    return [look.name for look in choose_looks(description)]


def diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_at_least_eight_families_each_with_synonyms():
    assert len(FAMILIES) >= 8
    assert set(LOOK_WORDS) == set(FAMILIES)
    assert all(len(words) >= 3 for words in LOOK_WORDS.values())


@pytest.mark.parametrize(
    "description,family",
    [
        ("grainy analog snapshot", "grain"),
        ("shot on Kodak Portra", "grain"),
        ("lomo vignette", "vignette"),
        ("comic book", "halftone"),
        ("old newspaper dots", "halftone"),
        ("pencil sketch", "sketch"),
        ("ink line-art", "sketch"),
        ("dreamy soft focus", "glow"),
        ("8-bit retro game", "pixel"),
        ("Pixel Art", "pixel"),
        ("16_bit sprite", "pixel"),
        ("polaroid light leaks", "light_leak"),
    ],
)
def test_synonyms_choose_the_family(description, family):
    assert family in names(description)


@pytest.mark.parametrize(
    "description,check",
    [
        ("posterised screen-print", lambda w: w.posterize == 5),
        ("duotone", lambda w: w.duotone),
        ("sepia antique", lambda w: w.sepia),
        ("black & white", lambda w: w.mono),
        ("B&W street", lambda w: w.mono),
        ("high-contrast", lambda w: w.contrast > 0),
    ],
)
def test_colour_words_go_into_the_grade_not_the_effects(description, check):
    assert check(read_words(description))
    assert not {lk.name for lk in choose_looks(description)} & IN_CUBE
    assert set(EFFECTS) | IN_CUBE == set(FAMILIES)


def test_unknown_words_choose_nothing_and_change_nothing(photo):
    assert choose_looks("a quiet zxqv flibbertigibbet of üñíçødé 🙂") == []
    assert choose_looks("") == []
    assert apply_looks(photo, [], seed=1).tobytes() == photo.tobytes()


def test_negation_and_amounts():
    assert names("no grain, but a strong vignette") == ["vignette"]
    assert names("without any film grain") == []
    looks = {lk.name: lk for lk in choose_looks("subtle grain and a heavy vignette")}
    assert looks["grain"].amount < 1 < looks["vignette"].amount


def test_looks_apply_in_canonical_order_whatever_the_wording():
    assert (
        names("grain then halftone then glow")
        == names("glow, halftone, grain")
        == ["glow", "halftone", "grain"]
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_changes_the_image(photo, family):
    out = apply_looks(photo, [Look(family)], seed=5)
    assert out.size == photo.size and out.mode == "RGB"
    assert diff(out, photo) > 2.0, family


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_handles_tiny_and_odd_images(family):
    for size in ((1, 1), (3, 200), (200, 3)):
        out = apply_looks(Image.new("RGB", size, (120, 80, 40)), [Look(family)], seed=1)
        assert out.size == size


def test_same_seed_same_bytes(photo):
    looks = choose_looks("grainy comic halftone with light leaks, vignette and glow")
    assert len(looks) == 5
    assert (
        apply_looks(photo, looks, seed=42).tobytes() == apply_looks(photo, looks, seed=42).tobytes()
    )


def test_different_seed_differs_for_grain(photo):
    a = apply_looks(photo, [Look("grain")], seed=1)
    b = apply_looks(photo, [Look("grain")], seed=2)
    assert a.tobytes() != b.tobytes()
    assert diff(a, b) > 3


def test_grain_has_zero_mean(photo):
    grey = Image.new("RGB", (256, 256), (128, 128, 128))
    out = apply_looks(grey, [Look("grain")], seed=3)
    stat = ImageStat.Stat(out)
    assert abs(stat.mean[0] - 128) < 1.5 and 6 < stat.stddev[0] < 20


def test_duotone_look_of_older_styles_still_renders(photo):
    # Styles saved before duotone moved into the .cube stored it as a look.
    from desktop.imaging.effects import duotone_colours

    look = Look("duotone", colours=duotone_colours(["blue"]))
    dark, light = look.colours
    assert dark[2] > dark[0] and light[2] > light[0] and sum(light) > sum(dark)
    look = Look("duotone", colours=duotone_colours(["pink", "navy"]))
    dark, light = look.colours
    assert dark[2] > dark[0] and light[0] > light[2]
    out = apply_looks(photo, [look], seed=0)
    assert len(out.getcolors(1 << 16) or []) < 400  # a two-colour ramp, not a photo


def test_halftone_uses_one_screen_after_a_toning_look():
    looks = {lk.name: lk for lk in choose_looks("comic halftone duotone")}
    assert looks["halftone"].variant == "mono"
    assert choose_looks("comic halftone")[0].variant == ""


def test_gameboy_palette(photo):
    (look,) = choose_looks("gameboy")
    out = apply_looks(photo, [look], seed=0)
    assert {c for _, c in out.getcolors(256)} <= set(GAMEBOY)


def test_pixel_art_is_blocky(photo):
    out = apply_looks(photo, choose_looks("8-bit"), seed=0)
    assert len(out.getcolors(1 << 16) or []) <= 16


def test_look_dict_round_trip_and_unknown_look_is_skipped(photo):
    looks = choose_looks("gameboy duotone pink comic")
    again = [Look.from_dict(d) for d in json.loads(json.dumps([lk.to_dict() for lk in looks]))]
    assert again == looks
    assert apply_looks(photo, [Look("hologram")], seed=0).tobytes() == photo.tobytes()


def test_all_looks_together_at_768_keep_size_and_mode_and_change_the_photo(sample_photo):
    """How fast all looks run at 768 px is measured in benchmarks/bench_imaging.py."""
    img = sample_photo.resize((768, 768))
    out = apply_looks(img, [Look(name) for name in FAMILIES], seed=1)
    assert out.size == img.size and out.mode == img.mode
    assert diff(out, img) > 5
