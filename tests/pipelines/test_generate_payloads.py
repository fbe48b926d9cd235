"""style.generate payloads are checked whole at enqueue (one sentence, exit 2, no job), and the
reference is read only from inside the library's uploads folder."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from desktop.errors import UserError
from desktop.pipelines.generate.request import JOB_TYPE, enqueue_style
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.helpers import cli, rows_in, run_pool

SAMPLES = sample_photos()
OK = {"description": "warm film grain", "previews": 1, "size": 64}

HOSTILE = {
    "seed as text": ({"seed": "abc"}, "seed"),
    "seed as bool": ({"seed": True}, "seed"),
    "negative seed": ({"seed": -1}, "seed"),
    "huge seed": ({"seed": 10**30}, "seed"),
    "name as list": ({"name": ["a"]}, "name"),
    "name too long": ({"name": "n" * 201}, "name"),
    "reference as number": ({"reference": 123}, "reference"),
    "reference to /etc/passwd": ({"reference": "/etc/passwd"}, "reference"),
    "reference climbing out": ({"reference": "uploads/../library.sqlite3"}, "reference"),
    "reference in a sub-folder": ({"reference": "uploads/a/b.jpg"}, "reference"),
    "reference with a backslash": ({"reference": "uploads/..\\\\x.jpg"}, "reference"),
    "reference to a hidden part file": ({"reference": "uploads/.upload-x.part"}, "reference"),
    "previews as bool": ({"previews": True}, "previews"),
    "previews as text": ({"previews": "4"}, "previews"),
    "too many previews": ({"previews": 9}, "previews"),
    "size as float": ({"size": 512.0}, "size"),
    "size too small": ({"size": 8}, "size"),
    "backend unknown": ({"backend": "midjourney"}, "generator"),
    "backend as object": ({"backend": {"x": 1}}, "generator"),
    "description empty": ({"description": "   "}, "description"),
    "description as number": ({"description": 5}, "description"),
    "description too long": ({"description": "w" * 2001}, "description"),
    "unknown key": ({"script": "rm -rf /"}, "script"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_payload_is_refused_at_enqueue_with_one_sentence_and_no_job(home, case):
    change, word = HOSTILE[case]
    payload = {**OK, **change}
    result = cli("--home", str(home), "jobs", "enqueue", JOB_TYPE, "--payload", json.dumps(payload), home=home)
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message and "\n" not in message and "Traceback" not in message, message
    assert "Something went wrong" not in message
    assert word in message.lower(), message
    assert result.stdout == ""
    assert rows_in(home, "jobs") == 0


def test_a_good_payload_naming_an_upload_is_queued_and_runs(home):
    rt = open_runtime(home)
    try:
        shutil.copy(SAMPLES[0], rt.paths.uploads_dir / "photo.jpg")
    finally:
        rt.close()
    payload = {**OK, "reference": "uploads/photo.jpg", "seed": 0, "name": None, "backend": "local"}
    result = cli("--home", str(home), "jobs", "enqueue", JOB_TYPE, "--payload", json.dumps(payload), home=home)
    assert result.returncode == 0, result.stderr
    job_id = int(result.stdout)
    done = cli("--home", str(home), "worker", "--exit-when-idle", home=home, timeout=120)
    assert done.returncode == 0, done.stderr
    rt = open_runtime(home)
    try:
        row = rt.engine.get(job_id)
        assert row.status == "succeeded", row.error
    finally:
        rt.close()


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _run_raw(rt, payload):
    """A row written around the front door's checks (an older version, another program)."""
    row = rt.engine.store.enqueue(JOB_TYPE, json.dumps(payload), 1)
    run_pool(rt)
    return rt.engine.get(row.id)


def test_a_symlink_in_uploads_that_leads_outside_is_not_opened(rt, tmp_path):
    outside = tmp_path / "secret.png"
    shutil.copy(SAMPLES[0], outside)
    os.symlink(outside, rt.paths.uploads_dir / "evil.png")
    job_id = rt.engine.enqueue(JOB_TYPE, {**OK, "reference": "uploads/evil.png"})  # the shape is fine
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed"
    assert "outside the library's uploads folder" in row.error and "did not open it" in row.error
    assert list(rt.paths.styles_dir.iterdir()) == [] and list(rt.paths.tmp_dir.iterdir()) == []


def test_an_upload_that_is_gone_fails_the_job_with_a_sentence(rt):
    job_id = rt.engine.enqueue(JOB_TYPE, {**OK, "reference": "uploads/gone.jpg"})
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed" and "no longer in the library" in row.error


def test_an_older_row_with_an_absolute_reference_outside_uploads_is_not_opened(rt, tmp_path):
    outside = tmp_path / "elsewhere.png"
    shutil.copy(SAMPLES[0], outside)
    row = _run_raw(rt, {**OK, "reference": str(outside)})
    assert row.status == "failed" and "outside the library's uploads folder" in row.error


def test_an_older_row_with_an_absolute_reference_inside_uploads_still_runs(rt):
    stored = rt.paths.uploads_dir / "old.png"
    shutil.copy(SAMPLES[0], stored)
    row = _run_raw(rt, {**OK, "reference": str(stored)})
    assert row.status == "succeeded", row.error


def test_an_older_row_with_a_hostile_field_fails_with_a_sentence(rt):
    row = _run_raw(rt, {**OK, "previews": "all of them"})
    assert row.status == "failed" and "previews" in row.error


def test_enqueue_style_stores_the_reference_as_a_library_relative_name(rt, tmp_path):
    photo = tmp_path / "photo.png"
    shutil.copy(SAMPLES[1], photo)
    job_id = enqueue_style(rt, "warm", reference=photo, previews=1, size=64)
    reference = rt.engine.get(job_id).payload_dict()["reference"]
    assert reference.startswith("uploads/") and (rt.paths.home / reference).is_file()


def test_enqueue_style_refuses_a_bad_seed_before_storing_anything(rt, tmp_path):
    photo = tmp_path / "photo.png"
    shutil.copy(SAMPLES[1], photo)
    with pytest.raises(UserError, match="seed"):
        enqueue_style(rt, "warm", reference=photo, seed=-5)
    assert rt.engine.list() == [] and list(rt.paths.uploads_dir.iterdir()) == []
