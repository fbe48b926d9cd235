"""`stylestudio styles strength STYLE_ID PERCENT [--wait]` and the strength in `styles show`,
as real processes on a real library made with the local generator."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop.resources import sample_photos
from tests.helpers import cli

SAMPLE = sample_photos()[1]


def _make_style(home: Path) -> int:
    result = cli("generate", "warm film grain", "--reference", str(SAMPLE), "--previews", "2", "--size", "128", "--seed", "5", home=home)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


def _show(home: Path, style_id: int) -> dict:
    result = cli("styles", "show", str(style_id), "--json", home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _shown_strength(home: Path, style_id: int) -> str:
    result = cli("styles", "show", str(style_id), home=home)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    (line,) = [ln for ln in text.splitlines() if ln.startswith("strength:")]
    return line.split(":", 1)[1].strip()


def _jobs(home: Path) -> list[dict]:
    result = cli("jobs", "list", "--all", "--json", home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_strength_queues_a_job_that_a_worker_runs_and_show_tells_the_new_strength(home):
    style_id = _make_style(home)
    assert _shown_strength(home, style_id) == "90 %"  # a new style's default
    cube = Path(_show(home, style_id)["cube"])
    old_cube = cube.read_bytes()

    result = cli("styles", "strength", str(style_id), "40", home=home)
    assert result.returncode == 0, result.stderr
    job_id = int(result.stdout.strip())  # just the id, as every queued job is printed
    row = json.loads(cli("jobs", "show", str(job_id), "--json", home=home).stdout)
    assert row["type"] == "style.strength" and row["status"] == "queued"
    assert row["payload"]["style"] == style_id and row["payload"]["strength"] == 40
    assert _shown_strength(home, style_id) == "90 %", "only queued: nothing changed yet"
    assert cube.read_bytes() == old_cube

    worker = cli("worker", "--exit-when-idle", home=home, timeout=180)
    assert worker.returncode == 0, worker.stderr
    assert json.loads(cli("jobs", "show", str(job_id), "--json", home=home).stdout)["status"] == "succeeded"
    assert _shown_strength(home, style_id) == "40 %"
    assert _show(home, style_id)["params"]["strength"] == 40
    assert "# Strength: 40%" in cube.read_text()


def test_json_prints_the_queued_row(home):
    style_id = _make_style(home)
    result = cli("styles", "strength", str(style_id), "70%", "--json", home=home)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["type"] == "style.strength" and row["status"] == "queued" and row["payload"]["strength"] == 70


def test_wait_runs_the_job_to_the_end_and_exits_0(home):
    style_id = _make_style(home)
    before = _show(home, style_id)
    result = cli("styles", "strength", str(style_id), "0", "--wait", home=home, timeout=180)
    assert result.returncode == 0, result.stderr
    first, last = result.stdout.strip().splitlines()
    job_id = int(first)
    assert last == "“Warm film grain” now grades at 0 %."
    assert "100%" in result.stderr  # the progress line ended at 100 %
    assert json.loads(cli("jobs", "show", str(job_id), "--json", home=home).stdout)["status"] == "succeeded"
    after = _show(home, style_id)
    assert _shown_strength(home, style_id) == "0 %"
    assert "# Strength: 0%" in Path(after["cube"]).read_text()
    assert after["previews"] != before["previews"], "the previews were rendered again"
    assert all(Path(p).is_file() for p in after["previews"] + after["thumbnails"])


def test_wait_with_json_prints_the_finished_row(home):
    style_id = _make_style(home)
    result = cli("styles", "strength", str(style_id), "55", "--wait", "--json", home=home, timeout=180)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["status"] == "succeeded" and row["result"]["id"] == style_id and row["result"]["strength"] == 55


def test_wait_exits_1_with_the_error_when_the_job_fails(home):
    style_id = _make_style(home)
    cube = Path(_show(home, style_id)["cube"])
    old_cube = cube.read_bytes()
    # the stored grade got damaged: the job starts, then fails
    con = sqlite3.connect(home / "library.sqlite3")
    params = json.loads(con.execute("SELECT params FROM styles WHERE id=?", (style_id,)).fetchone()[0])
    params["grade"] = {"damaged": True}
    con.execute("UPDATE styles SET params=? WHERE id=?", (json.dumps(params), style_id))
    con.commit()
    con.close()
    result = cli("styles", "strength", str(style_id), "30", "--wait", home=home, timeout=180)
    assert result.returncode == 1
    job_id = int(result.stdout.strip().splitlines()[0])
    row = json.loads(cli("jobs", "show", str(job_id), "--json", home=home).stdout)
    assert row["status"] == "failed"
    assert result.stderr.strip().splitlines()[-1] == row["error"]
    assert row["error"].startswith("The colour grade stored with this style is damaged")  # a sentence, not "Something went wrong"
    assert "Traceback" not in result.stderr
    assert cube.read_bytes() == old_cube and _shown_strength(home, style_id) == "90 %"


@pytest.mark.parametrize(
    ("percent", "says"),
    [
        ("abc", "'abc' is not"),
        ("150", "from 0 to 100"),
        ("-1", "from 0 to 100"),
        ("40.5", "whole number"),
        ("nan", "from 0 to 100"),
        ("", "from 0 to 100"),
    ],
)
def test_a_bad_percent_is_refused_with_one_sentence_exit_2_and_no_job(home, percent, says):
    style_id = _make_style(home)
    jobs = _jobs(home)
    result = cli("styles", "strength", str(style_id), percent, home=home)
    assert result.returncode == 2
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert _jobs(home) == jobs
    assert _shown_strength(home, style_id) == "90 %"


def test_no_such_style_is_refused_with_exit_2_and_no_job(home):
    result = cli("styles", "strength", "7", "50", home=home)
    assert result.returncode == 2 and result.stderr.strip() == "There is no style 7; 'stylestudio styles list' shows the styles there are."
    assert not (home / "library.sqlite3").exists(), "refusing did not create a library"
    style_id = _make_style(home)
    jobs = _jobs(home)
    for bad_id in (str(style_id + 1), "0"):
        result = cli("styles", "strength", bad_id, "50", "--wait", home=home)
        assert result.returncode == 2, bad_id
        assert f"There is no style {bad_id}" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = cli("styles", "strength", "three", "50", home=home)
    assert result.returncode == 2 and result.stderr.strip() == "There is no style named 'three'; 'stylestudio styles list' shows the styles there are."
    assert _jobs(home) == jobs


def test_a_style_made_before_strengths_existed_is_refused(home):
    from desktop.runtime import open_runtime
    from tests.ui.sample_library import add_styles

    open_runtime(home).close()  # an empty library
    (old,) = add_styles(home, count=1, previews=1)
    result = cli("styles", "strength", str(old), "50", home=home)
    assert result.returncode == 2 and "make it again to adjust its strength" in result.stderr
    assert _jobs(home) == []


def test_strength_sets_grain_and_vignette_on_their_own_and_keeps_them(home):
    from desktop.pipelines.strength.request import style_levels

    style_id = _make_style(home)  # "warm film grain": grain, no vignette

    def levels() -> dict:
        con = sqlite3.connect(home / "library.sqlite3")
        try:
            (params,) = con.execute("SELECT params FROM styles WHERE id=?", (style_id,)).fetchone()
        finally:
            con.close()
        return style_levels(json.loads(params))

    before = levels()
    assert before["grain"] > 0 and before["vignette"] == 0
    result = cli("styles", "strength", str(style_id), "60", "--grain", "0", "--vignette", "40", "--wait", home=home, timeout=180)
    assert result.returncode == 0, result.stderr
    after = levels()
    assert after["grain"] == 0 and after["vignette"] == 40
    assert _shown_strength(home, style_id) == "60 %"
    refused = cli("styles", "strength", str(style_id), "60", "--vignette", "140", home=home)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
