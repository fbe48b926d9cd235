"""Text from elsewhere never drives a terminal: a style name (typed, made from a description,
given in a raw payload, a .cube TITLE) is stored without control or format characters, and every
command that prints stored text (styles, jobs, queue, workers, errors) escapes them, rows
written before this rule (put straight into the database here) included. JSON output stays
JSON, with the same values, and as safe on a terminal.

The checks read the real commands' output bytes: no ESC, BEL, DEL, C1 control, bidi override or
isolate, or line separator may reach the terminal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db.models import Job, QueuePause, Style, Worker
from desktop.runtime import open_runtime
from desktop.text import clean_name
from tests.helpers import REPO

# an OSC 52 clipboard write, clear screen, BEL, a C1 CSI, DEL, a right-to-left override with its
# pop, an isolate, a line separator: what a hostile .cube TITLE, pack or file name may carry
HOSTILE = "Evil\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x07 \u202eexe.gpj\u202c \x9b31m end\x7f\u2028\u2066x\u2069"
CLEAN = clean_name(HOSTILE)


def unsafe_characters(data: bytes) -> list[str]:
    """The characters of a command's output that a terminal would act on instead of showing."""
    text = data.decode("utf-8")  # output is valid UTF-8 too
    found = []
    for ch in text:
        if ch == "\n":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") and ch not in "\u200c\u200d":
            found.append(f"U+{ord(ch):04X}")
    return found


def run(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """The real command line, its output kept as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args],
        capture_output=True,
        timeout=timeout,
        env=dict(os.environ, STYLESTUDIO_HOME=str(home)),
        cwd=REPO,
    )


def assert_safe(result: subprocess.CompletedProcess[bytes]) -> None:
    assert unsafe_characters(result.stdout) == [], (result.args, result.stdout)
    assert unsafe_characters(result.stderr) == [], (result.args, result.stderr)
    assert b"Traceback" not in result.stderr, result.stderr


def stored_names(home: Path) -> list[str]:
    rt = open_runtime(home, watch_external=False, read_only=True)
    try:
        with rt.db.read_session() as s:
            return list(s.scalars(select(Style.name).order_by(Style.id)))
    finally:
        rt.close()


# --- names at the door ---------------------------------------------------------------------------


def test_a_typed_name_and_a_name_made_from_a_description_are_stored_clean(home):
    named = run("generate", "warm film", "--name", HOSTILE, "--previews", "1", "--size", "64", home=home)
    assert named.returncode == 0, named.stderr
    assert_safe(named)
    described = run("generate", "\x1b[2Jcold\x07 \u202eblue\x9b tones", "--previews", "1", "--size", "64", home=home)
    assert described.returncode == 0, described.stderr
    assert_safe(described)
    assert stored_names(home) == [CLEAN, "[2Jcold blue tones"]  # the escapes gone, their visible tails left


def test_a_raw_payload_and_an_imported_cube_title_are_stored_clean(home, tmp_path):
    payload = json.dumps({"description": "soft", "name": HOSTILE, "previews": 1, "size": 64})
    queued = run("jobs", "enqueue", "style.generate", "--payload", payload, home=home)
    assert queued.returncode == 0, queued.stderr
    ran = run("worker", "--exit-when-idle", home=home)
    assert ran.returncode == 0, ran.stderr
    cube = tmp_path / "grade.cube"
    body = [f'TITLE "{HOSTILE}"', "LUT_3D_SIZE 2"] + [f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    cube.write_text("\n".join(body) + "\n", encoding="utf-8")
    imported = run("import", str(cube), home=home)
    assert imported.returncode == 0, imported.stderr
    assert_safe(imported)
    names = stored_names(home)
    assert len(names) == 2 and all(unsafe_characters(n.encode()) == [] for n in names), names
    assert names[0] == CLEAN
    assert names[1].startswith("Evil]52;c;ZWNobyBwd25lZA==[2J")


# --- printing rows written before the rule -------------------------------------------------------


@pytest.fixture
def hostile_rows(home):
    """A style, a failed job, a queued job, a pause and a worker, each carrying HOSTILE in every
    text a command prints, written straight into the library (as an older version, or another
    program sharing it, could have left them)."""
    rt = open_runtime(home, watch_external=False)
    now = time.time()
    try:
        with rt.db.write_session() as s:
            style = Style(
                name=HOSTILE, description=HOSTILE, prompt=HOSTILE, generator="local\x1b[5m", folder="",
                reference_path=None, lut_path=None, analysis=None, params="{}", job_id=None, created_at=now,
            )
            outside = Style(
                name="outside", description="", prompt="", generator="local", folder=f"../{HOSTILE}",
                reference_path=None, lut_path=None, analysis=None, params="{}", job_id=None, created_at=now - 1,
            )
            failed = Job(type=f"style.{HOSTILE}", status="failed", message=HOSTILE, error=HOSTILE, payload="{}",
                         created_at=now, updated_at=now, finished_at=now)
            queued = Job(type=f"diagnostics.{HOSTILE}", status="queued", message=HOSTILE, payload="{}",
                         created_at=now, updated_at=now)
            s.add_all([style, outside, failed, queued])
            s.add(QueuePause(job_type=f"diagnostics.{HOSTILE}", paused_at=now, paused_by=HOSTILE))
            s.add(Worker(owner=f"{HOSTILE}:1:x", host=HOSTILE, pid=1, kind="worker\x07", slots=2, running=0,
                         started_at=now, seen_at=now))
            s.flush()
            ids = {"style": style.id, "outside": outside.id, "failed": failed.id, "queued": queued.id}
    finally:
        rt.close()
    return ids


def test_every_command_that_shows_stored_text_escapes_it(home, hostile_rows):
    ids = hostile_rows
    commands = [
        ("styles", "list"),
        ("styles", "list", "--search", "Evil"),
        ("styles", "show", str(ids["style"])),
        ("jobs", "list", "--all"),
        ("jobs", "show", str(ids["failed"])),
        ("queue",),
        ("workers", "--all"),
    ]
    for args in commands:
        result = run(*args, home=home)
        assert result.returncode == 0, (args, result.stderr)
        assert_safe(result)
        assert b"Evil" in result.stdout, (args, result.stdout)  # shown, escaped: not left out
    shown = run("styles", "show", str(ids["style"]), home=home).stdout.decode()
    assert "Evil\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in shown and "\\u202e" in shown  # visible escapes


def test_json_output_is_json_with_the_same_values_and_safe_on_a_terminal(home, hostile_rows):
    ids = hostile_rows
    checks = [
        (("styles", "list", "--json"), lambda doc: doc[0]["name"]),
        (("styles", "show", str(ids["style"]), "--json"), lambda doc: doc["description"]),
        (("jobs", "list", "--all", "--json"), lambda doc: next(r["error"] for r in doc if r["id"] == ids["failed"])),
        (("jobs", "show", str(ids["queued"]), "--json"), lambda doc: doc["message"]),
        (("queue", "--json"), lambda doc: doc["pauses"][0]["paused_by"]),
        (("workers", "--all", "--json"), lambda doc: doc[0]["host"]),
    ]
    for args, value in checks:
        result = run(*args, home=home)
        assert result.returncode == 0, (args, result.stderr)
        assert_safe(result)
        assert value(json.loads(result.stdout)) == HOSTILE, args  # the stored value, whole


def test_an_error_quoting_a_stored_path_is_escaped(home, hostile_rows):
    result = run("styles", "show", str(hostile_rows["outside"]), home=home)
    assert result.returncode == 2, result.stderr
    assert_safe(result)
    assert b"point outside the library" in result.stderr


def test_jobs_watch_escapes_what_it_prints(home, hostile_rows):
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "jobs", "watch"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, STYLESTUDIO_HOME=str(home)), cwd=REPO,
    )
    try:
        seen = b""
        deadline = time.monotonic() + 60
        while seen.count(b"\n") < 2 and time.monotonic() < deadline:  # one line per job, not a tty
            seen += proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = seen + rest
    assert proc.returncode == 0, err
    assert unsafe_characters(out) == [] and unsafe_characters(err) == [], (out, err)
    assert out.count(b"Evil") >= 2


def test_a_name_with_accents_and_joiners_is_kept(home):
    """Cleaning takes only what a terminal would act on: letters and emoji sequences stay."""
    name = "Été \u00e0 Kyōto \U0001f469\u200d\U0001f3a8"
    made = run("generate", "warm", "--name", name, "--previews", "1", "--size", "64", home=home)
    assert made.returncode == 0, made.stderr
    assert stored_names(home) == [name]
    listed = run("styles", "list", home=home)
    assert name.encode() in listed.stdout
    as_json = run("styles", "list", "--json", home=home)
    assert json.loads(as_json.stdout)[0]["name"] == name
    assert "Été à Kyōto".encode() in as_json.stdout  # letters stay letters in JSON (not \u00e9)
