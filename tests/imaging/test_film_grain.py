"""Grain looks like film at any size: the same grain relative to the picture on a 768 px preview
and on a 24 MP export, strongest in mid-tones and none at pure black or white, monochrome, and
a clear sky stays a sky. The vignette keeps its shape at any size, and its amount is its own."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmarks.grain_measures import correlation_length
from desktop.imaging.effects import Look, apply_looks, choose_looks
from desktop.imaging.lab import srgb_to_lab
from desktop.resources import sample_photos


@pytest.fixture(scope="module")
def rocket() -> Image.Image:
    path = next(p for p in sample_photos() if p.name == "rocket.jpg")
    return Image.open(path).convert("RGB")


def lab(img: Image.Image) -> np.ndarray:
    return srgb_to_lab(np.asarray(img, dtype=np.float64) / 255)


def grain_of(img: Image.Image, look: Look, seed: int = 7) -> np.ndarray:
    """What the grain added to each pixel (mean of R, G and B)."""
    out = apply_looks(img, [look], seed=seed)
    return (np.asarray(out, dtype=np.float64) - np.asarray(img, dtype=np.float64)).mean(axis=2)


def test_grain_has_the_same_size_relative_to_the_picture_at_768_px_and_at_24_mp(rocket):
    grey = (118, 118, 118)  # a mid-tone, so the grain is at its strongest everywhere
    sizes = {}
    for long_edge in (768, 6000):
        h = round(long_edge * rocket.height / rocket.width)
        flat = Image.new("RGB", (long_edge, h), grey)
        d = grain_of(flat, Look("grain"))
        crop = d[: min(h, 1200), : min(long_edge, 1200)]
        sizes[long_edge] = correlation_length(crop) / long_edge
    assert sizes[6000] == pytest.approx(sizes[768], rel=0.2)
    # and the grain is fine: about a pixel on the preview, well under a hundredth of the picture
    assert 0.5 / 768 < sizes[768] < 2.5 / 768
    # a coarse grain is bigger
    coarse = grain_of(Image.new("RGB", (768, 513), grey), Look("grain", size=3.0))
    assert correlation_length(coarse) / 768 > 1.8 * sizes[768]


def test_grain_has_the_same_strength_at_any_size(rocket):
    small = grain_of(rocket.resize((768, 513)), Look("grain"))
    big = grain_of(rocket.resize((4000, 2669)), Look("grain"))
    assert big.std() == pytest.approx(small.std(), rel=0.15)


def test_grain_is_strongest_in_mid_tones_and_none_at_pure_black_and_white():
    ramp = np.tile(np.linspace(0, 255, 1024).round().astype(np.uint8), (256, 1))
    img = Image.fromarray(np.stack([ramp] * 3, axis=2))
    d = grain_of(img, Look("grain"))
    level = ramp.astype(np.float64)
    band = {
        "dark": d[(level > 10) & (level < 40)].std(),
        "mid": d[(level > 110) & (level < 145)].std(),
        "bright": d[(level > 215) & (level < 245)].std(),
    }
    assert band["mid"] > 2 * band["dark"] > 0
    assert band["mid"] > 2 * band["bright"] > 0
    assert d[level == 0].std() == 0 and d[level == 255].std() == 0


def test_grain_is_monochrome(rocket):
    out = apply_looks(rocket, [Look("grain")], seed=3)
    diff = lab(out) - lab(rocket)
    noise_l, noise_a, noise_b = diff.reshape(-1, 3).std(axis=0)
    assert noise_l > 1.0
    assert noise_a < 0.3 * noise_l and noise_b < 0.3 * noise_l


def test_soft_grain_on_a_clear_sky_keeps_the_sky(rocket):
    looks = choose_looks("soft grain")
    assert [lk.name for lk in looks] == ["grain"]
    for size in (768, 640):  # a preview, and the photo at its own size
        photo = rocket if size == rocket.width else rocket.resize((size, round(size * rocket.height / rocket.width)))
        out = apply_looks(photo, looks, seed=1)
        k = photo.width / rocket.width
        sky = (slice(round(10 * k), round(120 * k)), slice(round(20 * k), round(200 * k)))  # blue sky, no tower
        before, after = lab(photo)[sky], lab(out)[sky]
        moved = np.linalg.norm(after.reshape(-1, 3).mean(axis=0) - before.reshape(-1, 3).mean(axis=0))
        assert moved < 0.5  # the sky's mean colour stays
        change = (after - before).reshape(-1, 3)
        chroma_noise = np.hypot(change[:, 1], change[:, 2]).std()
        assert chroma_noise < 0.6 and change[:, 0].std() > 1.5 * chroma_noise  # grain, not coloured noise


def test_grain_is_deterministic_from_the_seed(rocket):
    a = apply_looks(rocket, [Look("grain", size=1.8)], seed=5)
    assert a.tobytes() == apply_looks(rocket, [Look("grain", size=1.8)], seed=5).tobytes()
    assert a.tobytes() != apply_looks(rocket, [Look("grain", size=1.8)], seed=6).tobytes()


def test_a_grain_size_survives_the_look_dict():
    assert Look.from_dict(Look("grain", 0.5, size=3.0).to_dict()) == Look("grain", 0.5, size=3.0)
    assert "size" not in Look("grain").to_dict()  # older versions read the look unchanged
    for damaged in ({"name": "grain", "size": float("nan")}, {"name": "grain", "amount": float("inf")}):
        with pytest.raises(ValueError):
            Look.from_dict(damaged)


def corner_darkening(img: Image.Image, look: Look) -> np.ndarray:
    out = np.asarray(apply_looks(img, [look], seed=1), dtype=np.float64).mean(axis=2)
    h, w = out.shape
    centre = out[h // 2, w // 2]
    # the corner, a point a quarter of the way along the top, the middle of the left edge
    points = (out[0, 0], out[0, w // 4], out[h // 2, 0], out[h // 4, w // 4])
    return 1 - np.array(points) / centre


def test_the_vignette_has_the_same_shape_at_any_size_and_its_amount_is_adjustable():
    small = corner_darkening(Image.new("RGB", (768, 512), (200, 200, 200)), Look("vignette"))
    big = corner_darkening(Image.new("RGB", (6000, 4000), (200, 200, 200)), Look("vignette"))
    assert np.abs(big - small).max() < 0.02
    assert small[0] == pytest.approx(0.6, abs=0.02)  # the corners 60 % darker by default
    light = corner_darkening(Image.new("RGB", (768, 512), (200, 200, 200)), Look("vignette", 0.5))
    assert light[0] == pytest.approx(0.3, abs=0.02)
    assert (light <= small).all()
