"""The command line's job commands, run as real processes."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from desktop import __version__
from tests.helpers import cli


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def test_version():
    result = cli("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_enqueue_prints_the_id_and_list_shows_it(home):
    result = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 1, "steps": 2}', home=home)
    assert result.returncode == 0, result.stderr
    job_id = int(result.stdout.strip())
    listed = cli("jobs", "list", "--json", home=home)
    assert listed.returncode == 0
    docs = json.loads(listed.stdout)
    assert [d["id"] for d in docs] == [job_id]
    doc = docs[0]
    assert doc["status"] == "queued" and doc["payload"] == {"seconds": 1, "steps": 2}
    assert set(doc) >= {"id", "type", "status", "message", "progress", "payload", "result", "error", "attempts", "created_at", "updated_at", "started_at", "finished_at"}
    datetime.fromisoformat(doc["created_at"])
    table = cli("jobs", "list", home=home)
    assert "diagnostics.sleep" in table.stdout and "queued" in table.stdout


def test_cancel_retry_dismiss_and_worker(home, database_url):
    job_id = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 0}', home=home).stdout.strip()
    assert cli("jobs", "cancel", job_id, home=home).returncode == 0
    shown = json.loads(cli("jobs", "show", job_id, "--json", home=home).stdout)
    assert shown["status"] == "canceled"
    assert cli("jobs", "retry", job_id, home=home).returncode == 0
    worker = cli("worker", "--exit-when-idle", home=home)
    assert worker.returncode == 0, worker.stderr
    assert f"job {job_id} diagnostics.sleep succeeded" in worker.stdout
    assert json.loads(cli("jobs", "show", job_id, "--json", home=home).stdout)["status"] == "succeeded"
    assert "succeeded" not in cli("jobs", "list", home=home).stdout  # finished ones only with --all
    assert "succeeded" in cli("jobs", "list", "--all", home=home).stdout
    assert cli("jobs", "dismiss", job_id, home=home).returncode == 0
    assert json.loads(cli("jobs", "list", "--all", "--json", home=home).stdout) == []


def _refused(result, *needles):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [ln for ln in result.stderr.strip().splitlines() if ln]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_bad_input_is_one_sentence_exit_2_and_changes_nothing(home):
    _refused(cli("jobs", "enqueue", "diagnostics.sleep", "--payload", "{seconds: 1", home=home), "not valid JSON")
    _refused(cli("jobs", "enqueue", "diagnostics.sleep", "--payload", "[1, 2]", home=home), "JSON object")
    _refused(cli("jobs", "enqueue", "no.such.type", home=home), "no job type 'no.such.type'", "diagnostics.sleep")
    _refused(cli("jobs", "cancel", "42", home=home), "There is no job 42")
    _refused(cli("jobs", "dismiss", "42", home=home), "There is no job 42")
    assert _tree(home) == [], "refused commands must not create the library"
    # and on an existing library
    assert cli("jobs", "enqueue", "diagnostics.sleep", home=home).returncode == 0
    _refused(cli("jobs", "retry", "42", home=home), "There is no job 42")


def test_a_data_folder_that_cannot_be_written_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("jobs", "enqueue", "diagnostics.sleep", home=blocker / "library")
    _refused(result, "cannot be written", "STYLESTUDIO_HOME")
    assert blocker.read_text() == "not a folder"


def test_a_database_file_that_is_not_a_database_is_refused_untouched(home):
    db = home / "library.sqlite3"
    db.write_bytes(b"this is a shopping list, not a database\n" * 20)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    result = cli("jobs", "list", home=home)
    _refused(result, "is not a Style Studio database")
    result = cli("jobs", "enqueue", "diagnostics.sleep", home=home)
    _refused(result, "is not a Style Studio database")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert _tree(home) == ["library.sqlite3"]


def test_bad_options_are_refused_by_the_parser(home):
    result = cli("worker", "--max-parallel", "zero", home=home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
