"""The quality benchmark measures what a user means (benchmarks/bench_quality.py, issue 20 §1):
its grades are real looks that change photos the way their names say, its score is 100 % for
the true look, 0 % for an untouched photo and below 0 for a move the wrong way, and one LUT
fitted on the truth reaches it (the ceiling). Real sample photos at 64 px."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.quality.grades import GRADES, grade
from benchmarks.quality.methods import apply_lut, fit_lut, pillow_lut
from benchmarks.quality.metrics import delta_e76, delta_e2000, to_lab, way_pct
from benchmarks.quality.photos import real_photos
from benchmarks.quality.report import AXES, axes


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    """The real sample photos (not the all-black Hubble field) at 64 px."""
    return [p.rgb for p in real_photos(64) if p.reference]


def _pooled_axes(name: str, photos: list[np.ndarray]) -> dict[str, float]:
    changes = [axes(to_lab(p), to_lab(grade(name, p))) for p in photos]
    return dict(zip(AXES, np.nanmean(changes, axis=0), strict=True))


def test_the_corpus_has_ten_grades_or_more_and_each_visibly_changes_the_photos(photos):
    """Mean dE76 above 2.3 (a just noticeable difference) over the photos, above 3 on one."""
    assert len(GRADES) >= 10
    for name in GRADES:
        looks = [delta_e76(to_lab(p), to_lab(grade(name, p))) for p in photos]
        assert np.mean(looks) > 2.3 and max(looks) > 3, f"{name} changes the photos by {looks} dE"
        out = grade(name, photos[0])
        assert out.shape == photos[0].shape and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize(
    ("name", "axis", "sign", "least"),
    [
        ("lifted blacks", "black point (L 1 %)", +1, 8),
        ("crushed blacks", "black point (L 1 %)", -1, 1.5),
        ("rolled-off whites", "white point (L 99 %)", -1, 5),
        ("rolled-off whites", "black point (L 1 %)", -1, -0.5),  # the blacks stay
        ("muted", "chroma (mean C)", -1, 5),
        ("vibrance", "chroma (mean C)", +1, 3),
        ("desat contrast", "contrast (sd of L)", +1, 3),
        ("desat contrast", "chroma (mean C)", -1, 5),
        ("warm cast", "highlight cast b (greys)", +1, 3),
        ("cool cast", "highlight cast b (greys)", -1, 3),
        ("split toning", "shadow cast a (greys)", -1, 2),
        ("split toning", "highlight cast b (greys)", +1, 2),
    ],
)
def test_each_grade_moves_the_photos_the_way_its_name_says(photos, name, axis, sign, least):
    change = _pooled_axes(name, photos)[axis]
    assert sign * change >= least, f"{name}: {axis} changed by {change:+.1f}"


def test_crushed_blacks_sends_the_darkest_tones_to_black(photos):
    darkest = [np.percentile(to_lab(grade("crushed blacks", p))[..., 0], 2) for p in photos]
    assert min(darkest) < 1


def test_tinted_mono_keeps_no_colour_of_the_photo(photos):
    """Two pixels of the same luma but different colours come out the same."""
    pair = np.array([[0.8, 0.2, 0.2], [0.0, 0.0, 0.0]])
    pair[1] = (pair[0] @ np.array([0.2126, 0.7152, 0.0722])) / np.array([0.2126, 0.7152, 0.0722]).sum()
    out = grade("tinted mono", pair)
    assert np.abs(out[0] - out[1]).max() < 1e-9


def test_ciede2000_matches_the_published_test_pairs():
    """Sharma, Wu and Dalal (2005), pairs 1, 7 and 17 of their table."""
    lab1 = np.array([[50, 2.6772, -79.7751], [50, 0, 0], [50, 2.5, 0]])
    lab2 = np.array([[50, 0, -82.7485], [50, -1, 2], [73, 25, -18]])
    got = [delta_e2000(lab1[i], lab2[i]) for i in range(3)]
    assert got == pytest.approx([2.0425, 2.3669, 27.1492], abs=1e-4)


def test_the_truth_scores_100_and_the_untouched_photo_0_and_the_wrong_way_below_0(photos):
    before, truth_after, untouched_after, wrong_after = [], [], [], []
    for p in photos:
        lab, truth = to_lab(p), to_lab(grade("warm cast", p))
        before.append(delta_e76(lab, truth))
        truth_after.append(delta_e76(truth, truth))
        untouched_after.append(delta_e76(lab, truth))
        wrong_after.append(delta_e76(to_lab(grade("cool cast", p)), truth))
    assert way_pct(before, truth_after) == pytest.approx(100)
    assert way_pct(before, untouched_after) == pytest.approx(0)
    assert way_pct(before, wrong_after) < 0


@pytest.mark.parametrize("name", ["split toning", "cross-process"])
def test_one_lut_fitted_on_the_truth_reaches_it(photos, name):
    src = np.concatenate([p.reshape(-1, 3) for p in photos])
    dst = np.concatenate([grade(name, p).reshape(-1, 3) for p in photos])
    lut = pillow_lut(fit_lut(src, dst))
    before, after = [], []
    for p in photos:
        truth = to_lab(grade(name, p))
        before.append(delta_e76(to_lab(p), truth))
        after.append(delta_e76(to_lab(apply_lut(p, lut)), truth))
    assert way_pct(before, after) >= 90
