"""The style.strength job on a real library (SQLite, real images, the local generator): the
.cube is re-written at the new strength, the previews are re-rendered under new names, the
strength is stored, and bad requests are refused with a sentence and no job."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from PIL import Image, ImageChops, ImageStat

from desktop.errors import UserError
from desktop.exchange.cube import read_pillow_lut
from desktop.imaging.apply import render_look
from desktop.imaging.grade import DEFAULT_STRENGTH, GradeStats, build_lut, identity_lut
from desktop.library.reading import Library
from desktop.pipelines.generate.request import enqueue_style
from desktop.pipelines.strength.request import enqueue_strength
from desktop.pipelines.strength.sources import preview_sources
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.helpers import run_pool

SAMPLES = sample_photos()


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _make_style(rt, tmp_path, description="warm film grain, teal and orange", previews=2) -> int:
    reference = tmp_path / "reference.png"
    shutil.copy(SAMPLES[2], reference)
    job_id = enqueue_style(rt, description, reference=reference, previews=previews, size=160, seed=11)
    run_pool(rt, timeout=120)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    return row.result_dict()["id"]


def _photo_of(source: str, style):
    """The photo a preview was rendered over: the style's reference, or a bundled sample."""
    return style.reference_path if source == "reference" else next(p for p in SAMPLES if p.name == source)


def _change(rt, style_id: int, strength: int):
    job_id = enqueue_strength(rt, style_id, strength)
    assert rt.engine.get(job_id).payload_dict()["name"] == Library(rt.db, rt.paths).require(style_id).name
    run_pool(rt, timeout=120)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    assert row.result_dict()["id"] == style_id
    return job_id


def _max_diff(a, b) -> float:
    return max(abs(x - y) for x, y in zip(a.table, b.table, strict=True))


def test_strength_zero_makes_the_cube_the_identity_and_full_strength_the_whole_grade(rt, tmp_path):
    style_id = _make_style(rt, tmp_path)
    library = Library(rt.db, rt.paths)
    before = library.require(style_id)
    assert before.params["strength"] == round(100 * DEFAULT_STRENGTH)
    grade = GradeStats.from_dict(before.params["grade"])
    old_files = [(i.path, i.thumb_path) for i in before.images]
    old_pixels = [Image.open(i.path).convert("RGB") for i in before.images]

    _change(rt, style_id, 0)
    after = library.require(style_id)
    assert after.params["strength"] == 0
    assert after.lut_path == before.lut_path, "the .cube keeps its path (tools may point at it)"
    cube = read_pillow_lut(after.lut_path)
    assert _max_diff(cube, identity_lut(cube.size[0])) <= 1 / 255
    text = after.lut_path.read_text()
    assert "# Strength: 0%" in text and "# Description: warm film grain, teal and orange" in text
    assert "Reference SHA-256: none" not in text
    # previews were rendered again, under new names, and the old files are gone
    assert len(after.images) == len(before.images)
    for (old_preview, old_thumb), image in zip(old_files, after.images, strict=True):
        assert image.path != old_preview and image.thumb_path != old_thumb
        assert image.path.is_file() and image.thumb_path.is_file()
        assert not old_preview.exists() and not old_thumb.exists()
    # at 0 % a preview is its photo with only the effects (grain): far closer to the plain photo
    sources = preview_sources(after.params, len(after.images), SAMPLES)
    for image, source, old in zip(after.images, sources, old_pixels, strict=True):
        with Image.open(image.path) as im:
            styled = im.convert("RGB")
        plain = Image.open(_photo_of(source, after)).convert("RGB").resize(styled.size)
        now = sum(ImageStat.Stat(ImageChops.difference(styled, plain)).mean)
        then = sum(ImageStat.Stat(ImageChops.difference(old.resize(styled.size), plain)).mean)
        assert now < then

    _change(rt, style_id, 100)
    full = library.require(style_id)
    assert full.params["strength"] == 100
    assert _max_diff(read_pillow_lut(full.lut_path), build_lut(grade, strength=1.0)) <= 1 / 255
    assert "# Strength: 100%" in full.lut_path.read_text()
    assert full.params["quality"]["strength"] == 100
    # the preview now is what the whole look renders at 100 % (JPEG rounding aside)
    first = full.images[0]
    photo = Image.open(_photo_of(sources[0], full)).convert("RGB")
    photo = photo.resize((first.width, first.height), Image.Resampling.LANCZOS)
    expected = render_look(photo, full.params, strength=100, seed=full.params["seed"])
    with Image.open(first.path) as im:
        mean_error = sum(ImageStat.Stat(ImageChops.difference(im.convert("RGB"), expected)).mean) / 3
    assert mean_error < 6
    # only the style's current files are in its folder, and nothing in tmp
    names = sorted(p.name for p in full.folder.iterdir())
    wanted = sorted(["style.cube", *(i.path.name for i in full.images), *(i.thumb_path.name for i in full.images)])
    assert names == wanted
    assert list(rt.paths.tmp_dir.iterdir()) == []


def test_a_stronger_cube_moves_colours_further(rt, tmp_path):
    style_id = _make_style(rt, tmp_path, "cold blue")
    library = Library(rt.db, rt.paths)
    photo = Image.open(SAMPLES[0]).convert("RGB").resize((96, 96))

    def blueness(strength):
        _change(rt, style_id, strength)
        graded = photo.filter(read_pillow_lut(library.require(style_id).lut_path))
        r, _g, b = ImageStat.Stat(graded).mean
        return b - r

    assert blueness(30) < blueness(90)


def test_running_the_job_again_after_its_commit_changes_nothing(rt, tmp_path):
    style_id = _make_style(rt, tmp_path)
    job_id = _change(rt, style_id, 40)
    library = Library(rt.db, rt.paths)
    saved = library.require(style_id)
    assert saved.params["strength_job"] == job_id
    cube = saved.lut_path.read_bytes()
    # as if the worker had died after the commit, before tidying up and ending the job
    stray = saved.folder / "preview-1.jj.jpg"
    stray.write_bytes(b"left over")
    con = sqlite3.connect(rt.paths.db_file)
    con.execute("UPDATE jobs SET status='queued', finished_at=NULL, attempts=1 WHERE id=?", (job_id,))
    con.commit()
    con.close()
    run_pool(rt, timeout=120)
    assert rt.engine.get(job_id).status == "succeeded"
    again = library.require(style_id)
    assert again.images == saved.images and again.lut_path.read_bytes() == cube
    assert not stray.exists(), "the crash's leftover was tidied"
    assert all(i.path.is_file() for i in again.images)


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"style": 1, "strength": 101}, "from 0 to 100"),
        ({"style": 1, "strength": "60"}, "from 0 to 100"),
        ({"style": 1, "strength": True}, "from 0 to 100"),
        ({"style": 0, "strength": 50}, "style's id"),
        ({"style": "1", "strength": 50}, "style's id"),
        ({"strength": 50}, "style's id"),
        ({"style": 1, "strength": 50, "colour": "red"}, "no field 'colour'"),
        ({"style": 1, "strength": 50, "name": "x" * 201}, "at most 200 characters"),
    ],
)
def test_a_bad_payload_is_refused_with_one_sentence_and_no_job(rt, payload, says):
    with pytest.raises(UserError) as err:
        rt.engine.enqueue("style.strength", payload)
    message = str(err.value)
    assert says in message and message.count(". ") == 0 and message.endswith(".")
    assert rt.engine.count() == 0


def test_a_missing_style_or_one_without_a_stored_grade_is_refused_at_enqueue(rt, tmp_path):
    with pytest.raises(UserError, match="There is no style 42"):
        enqueue_strength(rt, 42, 50)
    from tests.ui.sample_library import add_styles

    (old,) = add_styles(rt.paths.home, count=1, previews=1)
    with pytest.raises(UserError, match="make it again to adjust its strength"):
        enqueue_strength(rt, old, 50)
    assert rt.engine.count() == 0


def test_a_style_deleted_before_the_job_ran_fails_with_a_sentence(rt, tmp_path):
    style_id = _make_style(rt, tmp_path)
    job_id = enqueue_strength(rt, style_id, 30)
    Library(rt.db, rt.paths).delete(style_id)
    run_pool(rt, timeout=120)
    row = rt.engine.get(job_id)
    assert row.status == "failed"
    assert row.error.startswith(f"There is no style {style_id}")
    assert list(rt.paths.tmp_dir.iterdir()) == []


def test_previews_recorded_by_the_generator_are_re_rendered_over_the_same_photos():
    params = {"seed": 3, "preview_sources": ["reference", SAMPLES[1].name]}
    assert preview_sources(params, 2, SAMPLES) == ["reference", SAMPLES[1].name]
    legacy = {"seed": 3}
    n = len(SAMPLES)
    assert preview_sources(legacy, 3, SAMPLES) == [SAMPLES[(3 + i) % n].name for i in range(3)]
    assert json.dumps(preview_sources(legacy, 0, SAMPLES)) == "[]"
