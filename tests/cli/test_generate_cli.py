"""`stylestudio generate` and `stylestudio styles`, as real processes."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.resources import sample_photos
from tests.helpers import cli, spawn_cli, wait_until

SAMPLE = sample_photos()[1]


def test_generate_prints_the_style_id_and_styles_show_lists_its_files(home):
    result = cli("generate", "warm film grain", "--reference", str(SAMPLE), "--previews", "2", "--size", "256", "--seed", "5", home=home)
    assert result.returncode == 0, result.stderr
    style_id = int(result.stdout.strip())
    assert "100%" in result.stderr  # the progress line ended at 100 %
    doc = json.loads(cli("styles", "show", str(style_id), "--json", home=home).stdout)
    assert doc["id"] == style_id and doc["name"] == "Warm film grain"
    assert len(doc["previews"]) == 2 and len(doc["thumbnails"]) == 2
    for path in doc["previews"] + doc["thumbnails"] + [doc["cube"], doc["reference"]]:
        assert Path(path).is_file(), path
    listed = cli("styles", "list", home=home)
    assert "Warm film grain" in listed.stdout
    text = cli("styles", "show", str(style_id), home=home).stdout
    assert "style.cube" in text and "preview 2:" in text


def test_generate_json_is_the_styles_show_document(home):
    result = cli("generate", "cool blue", "--previews", "1", "--size", "128", "--json", home=home)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    shown = json.loads(cli("styles", "show", str(doc["id"]), "--json", home=home).stdout)
    assert doc == shown


def test_a_bad_reference_is_refused_with_exit_2_and_no_job(home, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("shopping: eggs, milk")
    result = cli("generate", "warm", "--reference", str(bad), home=home)
    assert result.returncode == 2
    assert "notes.png" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(cli("jobs", "list", "--all", "--json", home=home).stdout) == []


def test_bad_options_are_refused_with_exit_2(home):
    for args in (("generate", "warm", "--previews", "9"), ("generate", "  "), ("generate", "warm", "--backend", "paint")):
        result = cli(*args, home=home)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_a_job_that_ran_and_failed_exits_1_with_its_error(home, tmp_path):
    from tests.fakes.fal_server import FakeFalServer, FalScript

    with FakeFalServer(FalScript(key="the-right-key")) as fal:
        result = cli(
            "generate", "neon", "--backend", "fal", "--previews", "1", home=home,
            env={"FAL_KEY": "a-wrong-key", "STYLESTUDIO_FAL_QUEUE_URL": fal.base_url},
        )
    assert result.returncode == 1
    assert "fal key was refused" in result.stderr and "Traceback" not in result.stderr
    assert "a-wrong-key" not in result.stderr


def test_enqueue_only_queues_and_a_worker_runs_it(home):
    result = cli("generate", "sepia", "--previews", "1", "--size", "128", "--enqueue", home=home)
    assert result.returncode == 0, result.stderr
    job_id = int(result.stdout.strip())
    row = json.loads(cli("jobs", "show", str(job_id), "--json", home=home).stdout)
    assert row["status"] == "queued" and row["type"] == "style.generate"
    worker = cli("worker", "--exit-when-idle", home=home)
    assert worker.returncode == 0, worker.stderr
    row = json.loads(cli("jobs", "show", str(job_id), "--json", home=home).stdout)
    assert row["status"] == "succeeded" and row["result"]["table"] == "styles"


def test_the_running_job_is_visible_to_other_processes(home):
    from tests.fakes.fal_server import FakeFalServer, FalScript, make_png

    # The job is held in fal's queue until another process has seen it running (a local job
    # could end before the first look on a fast or a loaded machine); then fal finishes it.
    script = FalScript(key="the-key", queue_positions=[0] * 100_000, images=[make_png(96, 64)])
    with FakeFalServer(script) as fal:
        env = {"FAL_KEY": "the-key", "STYLESTUDIO_FAL_QUEUE_URL": fal.base_url}
        proc = spawn_cli("generate", "grain halftone", "--backend", "fal", "--previews", "1", "--size", "128", home=home, env=env)
        try:
            def running():
                rows = json.loads(cli("jobs", "list", "--json", home=home).stdout)
                return rows and rows[0]["status"] == "running"

            wait_until(running, timeout=60, interval=0.05)
        finally:
            script.queue_positions = []  # fal takes it: the next look finds it done
            out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.strip().isdigit()  # the new style's id


def test_styles_delete_keeps_files_until_now_removes_them(home):
    style_id = cli("generate", "warm", "--previews", "1", "--size", "64", home=home).stdout.strip()
    folder = Path(json.loads(cli("styles", "show", style_id, "--json", home=home).stdout)["folder"])
    assert folder.is_dir()
    assert cli("styles", "delete", style_id, home=home).returncode == 0
    assert folder.is_dir(), "a deleted style keeps its files while it can be restored"
    result = cli("styles", "show", style_id, home=home)
    assert result.returncode == 2 and f"'stylestudio styles restore {style_id}' brings it back" in result.stderr
    assert cli("styles", "delete", style_id, "--now", home=home).returncode == 0
    assert not folder.exists()
