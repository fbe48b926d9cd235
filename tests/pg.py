"""The library database of a test, on SQLite and on PostgreSQL.

A test (or a fixture) that asks for ``database_url`` runs twice, ``[sqlite]`` and
``[postgres]``. The SQLite case is the library file in the test's data folder, as before. The
PostgreSQL case gets a database of its own, made empty for this test on the server named by
``STYLESTUDIO_TEST_POSTGRES_URL`` and dropped afterwards (so tests are independent and may run
side by side); ``STYLESTUDIO_DATABASE_URL`` points at it, for this process and for every
process the test starts. Without a server the PostgreSQL case skips and says why; with
``STYLESTUDIO_REQUIRE_POSTGRES=1`` (CI) that skip is a failure.

``.ci/postgres start`` starts a throw-away server and prints the variables to export.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

TEST_URL_VAR = "STYLESTUDIO_TEST_POSTGRES_URL"
REQUIRE_VAR = "STYLESTUDIO_REQUIRE_POSTGRES"
NO_SERVER = f"PostgreSQL tests need {TEST_URL_VAR}; .ci/run starts a server (locally: .ci/postgres start)"
NO_DRIVER = "PostgreSQL tests need the psycopg driver; install it with: pip install -e '.[test]'"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: the PostgreSQL variant of a test (deselect with -m 'not postgres')")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VAR}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def _libpq(url: Any) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as a libpq connection string."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new empty database on the test server, dropped (with any connection left to it)
    afterwards; yields its SQLAlchemy URL."""
    server = os.environ.get(TEST_URL_VAR)
    if not server:
        _skip_or_fail(NO_SERVER)
    try:
        import psycopg
    except ImportError:
        _skip_or_fail(NO_DRIVER)
    from sqlalchemy.engine import make_url

    admin_url = make_url(server)
    name = f"stylestudio_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(_libpq(admin_url), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(f"{TEST_URL_VAR} is set but its server cannot be reached ({exc})", pytrace=False)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, home, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of this test's library database: the SQLite file in the data folder, or a fresh
    PostgreSQL database that ``STYLESTUDIO_DATABASE_URL`` now names."""
    if request.param == "sqlite":
        from desktop.config import resolve_paths

        yield resolve_paths(home).database_url()
        return
    with fresh_postgres_database() as url:
        monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", url)
        yield url


@pytest.fixture
def postgres_url(home, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Like ``database_url``, PostgreSQL only: for what only PostgreSQL can show (row locks
    seen from another session). Skips, or fails under CI, the same way."""
    with fresh_postgres_database() as url:
        monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", url)
        yield url


class RawSQL:
    """A connection of the test's library for statements written with ``?`` placeholders,
    on either database (PostgreSQL's driver wants ``%s``); autocommit, like the job store's."""

    def __init__(self, db: Any) -> None:
        self.conn = db.raw_connect()
        self.sqlite = db.is_sqlite

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        cur = self.conn.cursor()
        cur.execute(sql if self.sqlite else sql.replace("?", "%s"), params)
        return cur

    def close(self) -> None:
        self.conn.close()
