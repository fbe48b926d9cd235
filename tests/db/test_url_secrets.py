"""Secrets of a shared library stay secret: the database URL's password never shows in the log,
an error, a worker's output or ``workers`` (it is masked ***), while the URL's libpq options
(``sslmode``, ``application_name``...) still reach the server; and the fal key is never stored
in the (shared) database or written to the log."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from desktop.cli.parser import build_parser
from desktop.logs import flush_logs, mask_secrets, setup_logging
from desktop.runtime import open_runtime
from tests.helpers import cli, run_pool, wait_until

pytestmark = pytest.mark.timeout(120)

FAL_KEY = "fal-key-id-7f3a:fal-secret-9c2e41d0"


def _with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _with_query(url: str, **options: str) -> str:
    return make_url(url).update_query_dict(options).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _logs(home: Path) -> str:
    flush_logs()
    return "".join(p.read_text(errors="replace") for p in home.rglob("*.log*") if p.is_file())


# --- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("postgresql+psycopg://bob:hunter2@db.example:5432/lib?sslmode=require",
         "postgresql+psycopg://bob:***@db.example:5432/lib?sslmode=require"),
        ("could not reach postgresql://bob:hunter2@db/lib (timeout); retrying",
         "could not reach postgresql://bob:***@db/lib (timeout); retrying"),
        ("two: http://a:pw1@proxy:3128 and 'postgresql://b:pw2@db/x'",
         "two: http://a:***@proxy:3128 and 'postgresql://b:***@db/x'"),
        ("an unencoded @ in it: postgresql://bob:hun@ter2@db/lib", "an unencoded @ in it: postgresql://bob:***@db/lib"),
        ("conninfo: host=db port=5432 password=hunter2 user=bob", "conninfo: host=db port=5432 password=*** user=bob"),
        ("conninfo: PASSWORD = 'hun ter2' dbname=lib", "conninfo: PASSWORD = *** dbname=lib"),
        # nothing to hide: left exactly as it was
        ("postgresql://bob@db.example:5432/lib?application_name=x", None),
        ("postgresql://db.example:5432/lib", None),
        ("password authentication failed for user \"bob\"", None),
        ("see https://example.com/a:b@c and user@example.com", None),
    ],
)
def test_masking_hides_passwords_and_nothing_else(line, masked):
    assert mask_secrets(line) == (line if masked is None else masked)


def test_the_log_masks_a_password_in_messages_arguments_and_tracebacks(tmp_path):
    log_file = tmp_path / "logs" / "stylestudio.log"
    setup_logging(log_file)
    log = logging.getLogger("tests.secrets")
    url = "postgresql+psycopg://bob:Hunter2-secret@db.example:5432/lib?sslmode=require"
    log.info("Opening %s", url)
    log.warning("A driver echoed its conninfo: host=db.example password=Hunter2-secret user=bob")
    try:
        raise ConnectionError(f"could not connect to {url}")
    except ConnectionError:
        log.exception("The library could not be opened")
    flush_logs()
    written = log_file.read_text()
    assert "Hunter2-secret" not in written
    # the rest of each line is kept for whoever reads the log
    assert "Opening postgresql+psycopg://bob:***@db.example:5432/lib?sslmode=require" in written
    assert "host=db.example password=*** user=bob" in written
    assert "ConnectionError: could not connect to postgresql+psycopg://bob:***@db.example" in written
    assert "Traceback (most recent call last)" in written


# --- the database URL in real processes --------------------------------------------------------


@pytest.fixture
def secret_url(postgres_url: str) -> tuple[str, str]:
    """The test database's URL with a password of its own, and the part of it to look for
    (it shows the same percent-encoded or not). The password has characters a URL must encode,
    so they go the whole way (the migrations' configuration doubles '%'). The test server
    trusts loopback (.ci/postgres), so any password connects; a server that checks them is
    given its real one, when that is not also the user name (which may show)."""
    import psycopg

    marker = uuid.uuid4().hex
    url = _with_password(postgres_url, f"Pw:{marker}@/%$")
    try:
        psycopg.connect(_libpq(url), connect_timeout=10).close()
    except psycopg.OperationalError:
        real = make_url(postgres_url)
        if not real.password or real.password == real.username:
            pytest.skip("the test server checks passwords and its password is its user name")
        return postgres_url, real.password
    return url, marker


def _workers_command_exists() -> bool:
    parser = build_parser()
    try:
        parser.parse_args(["workers"])
    except SystemExit:
        return False
    return True


def test_a_worker_its_jobs_and_the_workers_list_never_show_the_password(secret_url, home):
    url, secret = secret_url
    env = {"STYLESTUDIO_DATABASE_URL": url}
    outputs = []
    for payload in ('{"seconds": 0}', '{"seconds": 0, "fail_at_step": 1}'):
        result = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", payload, home=home, env=env)
        assert result.returncode == 0, result.stderr
        outputs.append(result)
    worker = cli("-v", "worker", "--exit-when-idle", home=home, env=env, timeout=90)
    assert worker.returncode == 0, worker.stderr
    assert "Ran 2 jobs: 1 succeeded, 1 failed." in worker.stderr  # it did reach the database
    outputs += [worker, cli("-v", "jobs", "list", "--all", home=home, env=env)]
    if _workers_command_exists():
        outputs.append(cli("-v", "workers", home=home, env=env))
    for result in outputs:
        assert secret not in result.stdout + result.stderr, result.args
    assert secret not in _logs(home)


def test_an_unreachable_server_is_one_sentence_with_the_password_masked(secret_url, home):
    import socket

    url, secret = secret_url
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens there once we leave
    unreachable = make_url(url).set(host="127.0.0.1", port=closed_port).render_as_string(hide_password=False)
    for args in (("-v", "worker", "--exit-when-idle"), ("jobs", "list"), ("-v", "workers")):
        if args[-1] == "workers" and not _workers_command_exists():
            continue
        env = {"STYLESTUDIO_DATABASE_URL": unreachable, "STYLESTUDIO_DATABASE_WAIT_SECONDS": "1"}
        result = cli(*args, home=home, env=env, timeout=90)
        assert result.returncode == 2, (args, result.stderr)
        assert f"server at 127.0.0.1:{closed_port} could not be reached" in result.stderr
        assert "Traceback" not in result.stderr
        assert secret not in result.stdout + result.stderr
    assert secret not in _logs(home)


def test_libpq_options_in_the_url_reach_every_connection_of_the_library(postgres_url, home, monkeypatch):
    import psycopg

    url = _with_query(postgres_url, application_name="stylestudio-test", sslmode="disable")
    monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", url)
    rt = open_runtime(home)
    try:
        assert rt.engine.watcher_ready(30)
        rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        run_pool(rt)
        with psycopg.connect(_libpq(postgres_url), autocommit=True) as probe:

            def ours():
                return probe.execute(
                    "SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
                    " WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()"
                ).fetchall()

            rows = wait_until(ours, timeout=30)
    finally:
        rt.close()
    # the store's and the watcher's connections, at least: every one named, none encrypted
    assert len(rows) >= 2, rows
    assert set(rows) == {("stylestudio-test", False)}


def test_sslmode_reaches_the_server_and_a_refusal_is_one_sentence(postgres_url, home):
    import psycopg

    with psycopg.connect(_libpq(postgres_url)) as conn:
        if conn.execute("SHOW ssl").fetchone()[0] == "on":
            pytest.skip("this test server speaks SSL, so sslmode=require cannot be told from disable")
    secret = f"Pw-{uuid.uuid4().hex}"
    base = _with_password(postgres_url, secret)
    refused = cli("jobs", "list", home=home, env={"STYLESTUDIO_DATABASE_URL": _with_query(base, sslmode="require")})
    assert refused.returncode == 2, refused.stderr
    assert "sslmode=require" in refused.stderr and secret not in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    if make_url(postgres_url).password in (None, ""):
        return
    allowed = cli("jobs", "list", home=home, env={"STYLESTUDIO_DATABASE_URL": _with_query(postgres_url, sslmode="disable")})
    assert allowed.returncode == 0, allowed.stderr


# --- the fal key -------------------------------------------------------------------------------


def _dump_every_table(db) -> str:
    """Every value of every column of every table of the library, as text."""
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(f"{table}: {value}")
    return "\n".join(parts)


FAL_ANSWERS = ["succeeds", "refuses-and-echoes-the-key", "fails-echoing-the-key", "sends-a-status-with-the-key"]


@pytest.mark.parametrize("fal_answer", FAL_ANSWERS)
def test_the_fal_key_is_never_stored_in_the_database_or_written_to_the_log(database_url, home, monkeypatch, fal_answer):
    from desktop.pipelines.generate.request import enqueue_style
    from tests.fakes.fal_server import FakeFalServer, FalScript

    monkeypatch.setenv("FAL_KEY", FAL_KEY)
    # the other answers come from a careless server that echoes the key in everything it says
    # (request ids, log lines with terminal escapes, image addresses, error bodies, statuses)
    echoing = {"key": FAL_KEY, "echo": FAL_KEY, "queue_positions": [0], "progress_logs": ["step 1 \x1b]52;c;aGk=\x07"]}
    if fal_answer == "succeeds":
        script = FalScript(**echoing)
    elif fal_answer == "fails-echoing-the-key":
        script = FalScript(**echoing, completion_error=f"key {FAL_KEY} refused \x1b[2J")
    elif fal_answer == "sends-a-status-with-the-key":
        script = FalScript(**echoing, strange_status=f"WAITING {FAL_KEY}")
    else:  # a careless server that repeats the key it refused in its error
        script = FalScript(key="another-key", echo_auth_in_401=True)
    rt = open_runtime(home)
    try:
        with FakeFalServer(script) as fal:
            rt.settings.fal_queue_url = fal.base_url
            job_id = enqueue_style(rt, "neon night", backend="fal", previews=1, size=64)
            run_pool(rt, timeout=60)
            sent_keys = {r.headers.get("authorization") for r in fal.requests if r.route != "image"}
        row = rt.engine.get(job_id)
        dump = _dump_every_table(rt.db)
        files = b"".join(p.read_bytes() for p in home.glob("library.sqlite3*"))  # (none on PostgreSQL)
    finally:
        rt.close()
    assert sent_keys == {f"Key {FAL_KEY}"}  # the key was used...
    assert row.status == ("succeeded" if fal_answer == "succeeds" else "failed"), row.error
    assert "style.generate" in dump and "neon night" in dump  # (the dump holds the rows)
    log = _logs(home)
    assert f"[job {job_id}]" in log
    for part in (FAL_KEY, *FAL_KEY.split(":")):  # ...and never kept, whole or in part
        assert part not in dump
        assert part not in log
        assert part.encode() not in files
    assert "\x1b" not in (row.message or "") + (row.error or "")  # the server's escapes, escaped
