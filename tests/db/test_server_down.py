"""A command started while the library's PostgreSQL server is down waits for it, saying
"Reconnecting to the library…", and carries on when the server comes back; a server that stays
away is named by host:port (never the password) in one sentence, exit 2. A server that answers
and refuses (no such role) is not waited for.

The server here is this module's own (tests/db/own_postgres.py): stopping the shared one would
fail every test running beside these.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.engine import make_url

from desktop.jobs.events import RECONNECTED_MESSAGE, RECONNECTING_MESSAGE
from desktop.runtime import open_runtime
from tests.db.own_postgres import OwnServer, own_server
from tests.helpers import cli, spawn_cli

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

SECRET = "Pw-down-8c41e2"  # the server trusts local connections, so any password works
WAIT_VAR = "STYLESTUDIO_DATABASE_WAIT_SECONDS"


@pytest.fixture(scope="module")
def server() -> Iterator[OwnServer]:
    yield from own_server()


@pytest.fixture
def library(server: OwnServer, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A library made on this module's server (schema and all), then the server stopped; the
    server runs again after the test whatever happened."""
    if not server.running:
        server.start()
    url = server.new_database(password=SECRET)
    monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", url)
    (home / "shared").mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("STYLESTUDIO_LIBRARY_DIR", str(home / "shared"))
    open_runtime(home, watch_external=False).close()  # a library as a person left it
    server.stop()
    try:
        yield url
    finally:
        if not server.running:
            server.start()


def _photo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "photo.jpg"
    Image.new("RGB", (32, 24), (200, 120, 40)).save(path, quality=90)
    return path


def _cube(folder: Path) -> Path:
    path = folder / "grade.cube"
    lines = ["LUT_3D_SIZE 2"] + [f"{r} {g} {b}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


COMMANDS = {
    "jobs list": lambda tmp: ("jobs", "list"),
    "styles list": lambda tmp: ("styles", "list"),
    "queue": lambda tmp: ("queue",),
    "workers": lambda tmp: ("workers",),
    "apply --enqueue": lambda tmp: ("apply", "Warm", str(_photo(tmp / "in")), "--out", str(tmp / "out"), "--enqueue"),
    "import --enqueue": lambda tmp: ("import", str(_cube(tmp)), "--enqueue"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_server_that_stays_down_is_waited_for_then_named_by_host_and_port(command, library, server, home, tmp_path):
    args = COMMANDS[command](tmp_path)
    began = time.monotonic()
    result = cli(*args, home=home, env={WAIT_VAR: "2"}, timeout=120)
    took = time.monotonic() - began
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines[0] == RECONNECTING_MESSAGE, result.stderr  # said at once, before the wait
    assert len(lines) == 2, result.stderr  # then one sentence
    sentence = lines[1]
    assert f"The PostgreSQL server at 127.0.0.1:{server.port} could not be reached" in sentence
    assert "STYLESTUDIO_DATABASE_URL" in sentence and "could not be opened or upgraded" not in sentence
    assert SECRET not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert took >= 2, "it gave up before the wait it was given"


def test_commands_waiting_for_a_stopped_server_carry_on_when_it_starts_again(library, server, home):
    reader = spawn_cli("jobs", "list", "--all", "--json", home=home)  # the default wait: a minute
    writer = spawn_cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 0}', home=home)
    try:
        for proc in (reader, writer):
            assert proc.stderr.readline().strip() == RECONNECTING_MESSAGE  # waiting, not refused
        server.start()
        listed_out, listed_err = reader.communicate(timeout=120)
        queued_out, queued_err = writer.communicate(timeout=120)
    finally:
        for proc in (reader, writer):
            if proc.poll() is None:
                proc.kill()
    assert reader.returncode == 0, listed_err
    assert writer.returncode == 0, queued_err
    assert listed_out.strip().startswith("[")
    assert RECONNECTED_MESSAGE in listed_err and RECONNECTED_MESSAGE in queued_err
    job_id = int(queued_out.strip())
    rows = cli("jobs", "list", "--all", "--json", home=home)
    assert rows.returncode == 0, rows.stderr
    assert f'"id": {job_id}' in rows.stdout and rows.stdout.count('"type": "diagnostics.sleep"') == 1


def test_a_server_that_answers_and_refuses_is_not_waited_for(library, server, home):
    server.start()
    unknown_role = make_url(library).set(username="nobody_here").render_as_string(hide_password=False)
    result = cli("queue", home=home, env={"STYLESTUDIO_DATABASE_URL": unknown_role, WAIT_VAR: "60"}, timeout=120)
    assert result.returncode == 2, result.stderr
    assert RECONNECTING_MESSAGE not in result.stderr
    assert f"The PostgreSQL server at 127.0.0.1:{server.port} refused the connection" in result.stderr
    assert '"nobody_here" does not exist' in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_wait_that_is_not_a_number_is_refused_in_one_sentence(library, home):
    result = cli("jobs", "list", home=home, env={WAIT_VAR: "soon"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"{WAIT_VAR} is set to 'soon'")
