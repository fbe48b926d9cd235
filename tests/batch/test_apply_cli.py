"""`stylestudio apply` in a real process: exit codes, --json, --enqueue, refusals that create
nothing, and `jobs show --json` listing the items."""

from __future__ import annotations

import json

from tests.batch.conftest import photo
from tests.helpers import cli


def test_all_done_exits_0_with_the_json_document(rt, style, tmp_path):
    a, b = photo(tmp_path / "in" / "a.jpg"), photo(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    res = cli("apply", str(style), str(tmp_path / "in"), "--out", str(out), "--format", "webp", "--strength", "50", "--json", home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["done"] == 2 and doc["failed"] == [] and doc["out"] == str(out)
    assert sorted(doc["outputs"]) == [str(out / "a.webp"), str(out / "b.webp")]
    # progress goes to stderr (stdout is the JSON document alone). What it showed on the way
    # depends on speed (a 2-photo batch may end before "Applying 1 of 2" is drawn); its end
    # does not: the line at 100 %, then the summary.
    lines = res.stderr.strip().splitlines()
    assert "100%  Done" in lines[-2], res.stderr
    assert lines[-1] == f"2 photos styled into {out}.", res.stderr
    assert a.exists() and b.exists()
    shown = json.loads(cli("jobs", "show", str(doc["job"]), "--json", home=rt.paths.home).stdout)
    assert shown["result"]["done"] == 2 and [i["status"] for i in shown["items"]] == ["done", "done"]


def test_a_failed_photo_exits_1_and_names_it(rt, style, tmp_path):
    photo(tmp_path / "in" / "a.jpg")
    (tmp_path / "in" / "fake.jpg").write_text("hello")
    res = cli("apply", str(style), str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--json", home=rt.paths.home)
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["done"] == 1 and [f["input"] for f in doc["failed"]] == [str(tmp_path / "in" / "fake.jpg")]
    assert "Done · 1 of 2 photos · 1 could not be styled; 'stylestudio jobs retry" in res.stderr
    assert f"{tmp_path / 'in' / 'fake.jpg'}: " in res.stderr, "the failed photo is named, with why"


def test_refusals_exit_2_with_one_sentence_and_create_nothing(rt, style, tmp_path):
    p = photo(tmp_path / "p.jpg")
    out = tmp_path / "out"
    (tmp_path / "empty").mkdir()
    (tmp_path / "afile").write_text("x")
    cases = [
        (["apply", "No such style", str(p), "--out", str(out)], "There is no style named"),
        (["apply", str(style), str(tmp_path / "empty"), "--out", str(out)], "No photos were found"),
        (["apply", str(style), str(p), "--out", str(tmp_path / "afile")], "is a file"),
        (["apply", str(style), str(p), "--out", str(out), "--strength", "150"], "from 0 to 100"),
        (["apply", str(style), str(p), "--out", str(out), "--quality", "0"], "--quality"),
    ]
    for args, words in cases:
        res = cli(*args, home=rt.paths.home)
        assert res.returncode == 2, (args, res.stderr)
        assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not out.exists()
    assert [r.type for r in rt.engine.list()] == ["style.generate"]


def test_enqueue_only_queues_the_batch(rt, style, tmp_path):
    photo(tmp_path / "in" / "a.jpg")
    res = cli("apply", str(style), str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--enqueue", home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    row = rt.engine.require(int(res.stdout))
    assert row.type == "style.apply" and row.status == "queued" and row.payload_dict()["count"] == 1


def test_a_batch_queued_from_the_command_line_is_named_by_its_style_and_count(rt, style, tmp_path):
    """In the window's jobs panel and other windows it reads "<style> · 2 photos", not the
    output folder's name (issue 21 §6)."""
    from desktop.library.reading import Library
    from desktop.ui.job_kinds import subject_of

    photo(tmp_path / "in" / "a.jpg")
    photo(tmp_path / "in" / "b.png")
    res = cli("apply", str(style), str(tmp_path / "in"), "--out", str(tmp_path / "cli_out"), "--enqueue", home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    row = rt.engine.require(int(res.stdout.strip()))
    name = Library(rt.db, rt.paths).require(style).name
    assert subject_of(row.payload) == f"{name} · 2 photos"
