"""Payloads are validated whole at the door: hostile payloads are refused with one sentence at
enqueue (through the engine and through the real command line), nothing is queued, and the
diagnostics job only ever writes its record file inside the data folder."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from desktop.db.engine import Database
from desktop.errors import UserError
from desktop.jobs.engine import JobEngine
from desktop.jobs.payloads import MAX_BYTES, MAX_DEPTH, check_payload, parse_payload_json
from desktop.pipelines import register_all
from desktop.runtime import open_runtime
from tests.helpers import cli, run_pool

SLEEP = "diagnostics.sleep"


def deep_dict(levels: int) -> dict:
    top: dict = {}
    cur = top
    for _ in range(levels - 1):
        cur["a"] = {}
        cur = cur["a"]
    return top


# (payload built in Python, words the refusal must contain)
HOSTILE = {
    "infinite seconds": ({"seconds": float("inf")}, "finite"),
    "1e400 seconds": ({"seconds": float("1e400")}, "finite"),
    "minus infinity": ({"seconds": float("-inf")}, "finite"),
    "NaN seconds": ({"seconds": float("nan")}, "finite"),
    "1e30 steps": ({"steps": 1e30}, "'steps'"),
    "steps true": ({"steps": True}, "'steps'"),
    "too many steps": ({"steps": 10_001}, "'steps'"),
    "more than an hour": ({"seconds": 3600.5}, "'seconds'"),
    "negative seconds": ({"seconds": -1}, "'seconds'"),
    "60k deep": (deep_dict(60_000), "levels deep"),
    "1 MB": ({"seconds": 0, "record": "r.txt", "x": "x" * 1_000_000}, "KiB"),
    "record /etc/passwd": ({"seconds": 0, "record": "/etc/passwd"}, "plain file name"),
    "record ../x": ({"seconds": 0, "record": "../x"}, "plain file name"),
    "record .. only": ({"record": ".."}, "plain file name"),
    "record too long": ({"record": "a" * 65}, "plain file name"),
    "record not text": ({"record": 3}, "plain file name"),
    "unknown key": ({"seconds": 0, "secnods": 5}, "does not take 'secnods'"),
    "fail_at_step false": ({"fail_at_step": False}, "'fail_at_step'"),
    "retryable as text": ({"retryable": "yes"}, "'retryable'"),
    "negative fail_attempts": ({"fail_attempts": -1}, "'fail_attempts'"),
}


@pytest.fixture
def rt(home):
    runtime = open_runtime(home, watch_external=False)
    yield runtime
    runtime.close()


def one_sentence(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message
    assert message.endswith("."), message


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_payloads_are_refused_at_enqueue_and_nothing_is_queued(rt, case):
    payload, words = HOSTILE[case]
    with pytest.raises(UserError) as err:
        rt.engine.enqueue(SLEEP, payload)
    one_sentence(str(err.value))
    assert words in str(err.value)
    assert rt.engine.list() == []


def test_payloads_at_the_limits_are_accepted(rt):
    ok = [
        {},
        {"seconds": 3600, "steps": 10_000},
        {"seconds": 0.25, "steps": 1, "fail_at_step": 1, "fail_attempts": 0, "retryable": False},
        {"record": "runs-1_a.txt", "sent": 1_700_000_000.5},
    ]
    ids = [rt.engine.enqueue(SLEEP, p) for p in ok]
    assert sorted(r.id for r in rt.engine.list()) == sorted(ids)


def test_the_record_file_is_kept_in_the_data_folder(rt, home):
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0, "record": "runs.txt"})
    run_pool(rt)
    assert rt.engine.get(job_id).status == "succeeded"
    job, pid, attempt = (home / "diagnostics" / "runs.txt").read_text().split()
    assert (int(job), int(pid), int(attempt)) == (job_id, os.getpid(), 1)


def test_a_stored_row_with_a_path_for_record_fails_without_writing_it(rt, tmp_path):
    # A row written by an older version (or another tool) bypassed enqueue: the handler checks again.
    outside = tmp_path / "outside.txt"
    row = rt.engine.store.enqueue(SLEEP, json.dumps({"seconds": 0, "record": str(outside)}), 1)
    run_pool(rt)
    done = rt.engine.get(row.id)
    assert done.status == "failed" and "plain file name" in done.error
    assert not outside.exists()


def test_a_link_planted_in_the_diagnostics_folder_is_not_followed(rt, home, tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    (home / "diagnostics").mkdir(exist_ok=True)
    (home / "diagnostics" / "runs.txt").symlink_to(outside)
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0, "record": "runs.txt"}, max_attempts=1)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed" and "link" in row.error
    assert outside.read_text() == "keep me\n"


def test_an_engine_without_a_data_folder_refuses_to_record(tmp_path):
    register_all()  # what a front door does (the engine has no job type of its own)
    db = Database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    db.migrate()
    engine = JobEngine(db, watch_external=False).open()
    try:
        job_id = engine.enqueue(SLEEP, {"seconds": 0, "record": "runs.txt"}, max_attempts=1)
        asyncio.run(asyncio.wait_for(engine.pool(max_parallel=1).run(exit_when_idle=True), 30))
        row = engine.get(job_id)
        assert row.status == "failed" and "without a data folder" in row.error
        one_sentence(row.error)
    finally:
        engine.close()
        db.dispose()
    assert not list(tmp_path.rglob("runs.txt"))


# --- the generic checks, as text (the command line) and as Python values (the window) -----------

HOSTILE_TEXT = {
    "Infinity": ('{"seconds": Infinity}', "finite"),
    "-Infinity": ('{"seconds": -Infinity}', "finite"),
    "NaN": ('{"seconds": NaN}', "finite"),
    "1e400": ('{"seconds": 1e400}', "finite"),
    "60k deep": ('{"a": ' * 60_000 + "1" + "}" * 60_000, "payload"),
    "30k deep, under the size limit": ('{"a": ' + "[" * 30_000 + "]" * 30_000 + "}", "levels deep"),
    "1 MB": (json.dumps({"x": "x" * 1_000_000}), "KiB"),
    "not JSON": ("{seconds: 1", "not valid JSON"),
    "not an object": ("[1, 2]", "JSON object"),
    "huge integer": ('{"seconds": ' + "9" * 5000 + "}", "digits"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TEXT), ids=list(HOSTILE_TEXT))
def test_parse_payload_json_refuses_with_one_sentence(case):
    text, words = HOSTILE_TEXT[case]
    with pytest.raises(UserError) as err:
        parse_payload_json(text)
    one_sentence(str(err.value))
    assert words in str(err.value)


def test_parse_payload_json_depth_limit_is_exact_and_ignores_brackets_in_strings():
    at_limit = '{"a": ' * (MAX_DEPTH - 1) + "[]" + "}" * (MAX_DEPTH - 1)
    assert parse_payload_json(at_limit)
    with pytest.raises(UserError, match="levels deep"):
        parse_payload_json('{"a": ' * MAX_DEPTH + "[]" + "}" * MAX_DEPTH)
    text = json.dumps({"note": "[{" * 100 + '\\"[', "n": 1.5})
    assert parse_payload_json(text)["n"] == 1.5


def test_check_payload_refuses_what_json_cannot_carry():
    loop: list = []
    loop.append(loop)
    for payload, words in [
        ({1: "a"}, "keys must be text"),
        ({"a": {1, 2}}, "JSON cannot carry"),
        ({"a": loop}, "levels deep"),
        ({"a": [float("nan")]}, "finite"),
        ({"a": ["x" * (MAX_BYTES // 2)] * 3}, "KiB"),
    ]:
        with pytest.raises(UserError) as err:
            check_payload(payload)
        one_sentence(str(err.value))
        assert words in str(err.value)
    check_payload({"a": [1, 2.5, None, True, "b", {"c": []}]})


# --- through the real command line ------------------------------------------------------------

CLI_HOSTILE = {
    "Infinity": '{"seconds": Infinity}',
    "1e400": '{"seconds": 1e400}',
    "NaN": '{"seconds": NaN}',
    "1e30 steps": '{"steps": 1e30}',
    # one argument may hold at most 128 KiB on Linux, so these stay under that
    "30k deep": '{"a": ' + "[" * 30_000 + "]" * 30_000 + "}",
    "100 KB": json.dumps({"seconds": 0, "x": "x" * 100_000}),
    "record /etc/passwd": '{"record": "/etc/passwd"}',
    "record ../x": '{"record": "../x"}',
    "unknown key": '{"seconds": 0, "secnods": 5}',
}


@pytest.mark.parametrize("case", list(CLI_HOSTILE), ids=list(CLI_HOSTILE))
def test_the_command_line_refuses_hostile_payloads(home, case):
    result = cli("--home", str(home), "jobs", "enqueue", SLEEP, "--payload", CLI_HOSTILE[case])
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    one_sentence(result.stderr.strip())
    check = open_runtime(home, watch_external=False)
    try:
        assert check.engine.list() == []
    finally:
        check.close()
