"""The offline generator end to end over the real sample photos."""

from __future__ import annotations

import json
import threading
import time

import pytest
from PIL import ImageChops, ImageStat

from desktop.exchange.cube import read_pillow_lut, write_pillow_lut
from desktop.generators import local
from desktop.generators.local import StylePlan, apply_style, plan_style, render_preview
from desktop.imaging.grade import DEFAULT_STRENGTH
from desktop.imaging.intake import load_image
from desktop.imaging.thumbnails import save_thumbnail
from desktop.resources import sample_photos


def diff(a, b) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_plan_with_reference(sample_photo):
    plan = plan_style("warm film grain with a vignette", sample_photo, seed=7)
    assert [lk.name for lk in plan.looks] == ["vignette", "grain"]
    assert plan.analysis is not None and plan.analysis.palette
    d = json.loads(json.dumps(plan.to_dict()))
    assert d["seed"] == 7 and d["strength"] == DEFAULT_STRENGTH and d["look_names"] == ["vignette", "grain"]
    assert d["analysis"]["mood"] and "lut" not in d


def test_plan_without_reference_and_unknown_words():
    plan = plan_style("zzz qqq", None, seed=1)
    assert plan.looks == [] and plan.analysis is None
    original = local.resized_sample(0, 256)
    assert diff(render_preview(plan, 0, size=256), original) < 0.1  # identity grade, no looks


def test_four_previews_end_to_end(tmp_path, sample_photo):
    n = len(sample_photos())
    assert n >= 4
    start = time.perf_counter()
    plan = plan_style("warm film grain with a vignette", sample_photo, seed=3)
    previews = [render_preview(plan, i) for i in range(4)]
    for i, img in enumerate(previews):
        save_thumbnail(img, tmp_path / f"{i}.webp")
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0  # target is < 1.5 s on 2 cores; see benchmarks/bench_imaging.py
    for i, img in enumerate(previews):
        assert max(img.size) == 768 and img.mode == "RGB"
        original = local.resized_sample(i, 768)
        assert img.size == original.size
        assert diff(img, original) > 4  # graded and textured
        lo, hi = zip(*img.getextrema(), strict=True)
        assert max(hi) > 150  # a real photo, not a black frame
    # sample photos are different pictures
    assert len({p.tobytes()[:1000] for p in previews}) == 4


def test_previews_are_deterministic_and_seeded_per_index():
    plan = plan_style("grainy", None, seed=11)
    assert (
        render_preview(plan, 1, size=200).tobytes() == render_preview(plan, 1, size=200).tobytes()
    )
    other = plan_style("grainy", None, seed=12)
    assert (
        render_preview(plan, 1, size=200).tobytes() != render_preview(other, 1, size=200).tobytes()
    )
    n = len(sample_photos())
    # index n shows the same photo as index 0 but with seed + n: different grain
    assert (
        render_preview(plan, 0, size=200).tobytes() != render_preview(plan, n, size=200).tobytes()
    )


def test_apply_style_matches_preview_path_and_cube(tmp_path, sample_photo):
    plan = plan_style("comic halftone duotone blue", None, seed=5)
    img = load_image(sample_photos()[1]).image
    out = apply_style(plan, img)
    assert out.size == img.size and diff(out, img) > 10
    path = tmp_path / "style.cube"
    write_pillow_lut(path, plan.lut, plan.description)
    assert diff(img.filter(read_pillow_lut(path)), img.filter(plan.lut)) < 1.5


def test_plan_round_trips_through_dict(sample_photo):
    plan = plan_style(
        "teal and orange, subtle grain, pixel art", sample_photo, seed=9, strength=0.6
    )
    again = StylePlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again.looks == plan.looks and again.seed == 9 and again.strength == 0.6
    assert (
        render_preview(again, 2, size=256).tobytes() == render_preview(plan, 2, size=256).tobytes()
    )


def test_sample_cache_is_thread_safe():
    local.resized_samples.clear()
    plan = plan_style("vignette", None, seed=0)
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = render_preview(plan, i % 2, size=300).tobytes()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({results[i] for i in range(0, 8, 2)}) == 1


def test_missing_samples_is_a_user_error(monkeypatch):
    from desktop.errors import UserError

    monkeypatch.setattr(local, "sample_photos", lambda: [])
    local.resized_samples.clear()
    with pytest.raises(UserError, match="sample photos"):
        render_preview(plan_style("", None, seed=0), 0)
