"""A database that is not a Style Studio library this version can open (another app's file, a
library of a newer schema) is refused with one sentence before anything writes to it."""

from __future__ import annotations

import sqlite3

import pytest

from desktop.db.engine import SCHEMA_REVISION, Database
from desktop.errors import UserError
from desktop.logs import flush_logs
from desktop.runtime import open_runtime
from tests.db.support import assert_refused, journal_mode, make_foreign_database, snapshot
from tests.helpers import cli


@pytest.mark.parametrize("command", [["styles", "list"], ["jobs", "enqueue", "diagnostics.sleep"]])
def test_another_apps_database_in_the_data_folder_is_refused_and_left_untouched(tmp_path, command):
    home = tmp_path / "home"
    home.mkdir()
    make_foreign_database(home / "library.sqlite3")
    before = snapshot(home)
    line = assert_refused(cli("--home", str(home), *command), "is not a Style Studio library", "contacts")
    assert str(home / "library.sqlite3") in line
    assert snapshot(home) == before  # byte-identical, no -wal, -shm, logs or folders
    assert journal_mode(home / "library.sqlite3") == "delete"


def test_another_apps_database_given_by_url_is_refused_and_left_untouched(tmp_path):
    other = tmp_path / "other" / "app.db"
    other.parent.mkdir()
    make_foreign_database(other)
    before = snapshot(other.parent)
    home = tmp_path / "home"
    result = cli("--home", str(home), "jobs", "enqueue", "diagnostics.sleep", env={"STYLESTUDIO_DATABASE_URL": f"sqlite:///{other}"})
    assert_refused(result, "is not a Style Studio library", "STYLESTUDIO_DATABASE_URL")
    assert snapshot(other.parent) == before
    assert journal_mode(other) == "delete"
    assert not home.exists()


def test_a_database_in_wal_mode_is_read_without_making_its_wal_files(tmp_path):
    path = tmp_path / "app.db"
    make_foreign_database(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    conn.close()
    before = snapshot(tmp_path)
    with pytest.raises(UserError, match="is not a Style Studio library"):
        Database(f"sqlite:///{path}")
    assert snapshot(tmp_path) == before


def test_our_tables_beside_tables_of_another_app_are_refused(tmp_path):
    path = tmp_path / "lib.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match=r"not a Style Studio library \(it holds the tables invoices\)"):
        Database(f"sqlite:///{path}")


def test_tables_without_a_schema_revision_are_refused_even_with_our_names(tmp_path):
    path = tmp_path / "lib.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="not a Style Studio library"):
        Database(f"sqlite:///{path}")


def test_an_empty_database_file_becomes_a_new_library(tmp_path):
    path = tmp_path / "lib.sqlite3"
    path.touch()
    db = Database(f"sqlite:///{path}")
    db.migrate()
    assert db.stored_revision() == SCHEMA_REVISION
    db.dispose()


def _library_at(home, revision: str) -> None:
    rt = open_runtime(home)
    rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    rt.close()
    flush_logs()
    conn = sqlite3.connect(home / "library.sqlite3")
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()


def test_a_library_of_a_newer_schema_is_refused_without_a_backup(tmp_path):
    home = tmp_path / "home"
    _library_at(home, "0099")
    before = snapshot(home)
    line = assert_refused(cli("--home", str(home), "styles", "list"), "newer version of Style Studio (schema 0099)", "update Style Studio")
    assert "Something went wrong" not in line
    assert snapshot(home) == before
    assert not list(home.glob("*.bak"))
    # and the job in it was not touched
    conn = sqlite3.connect(home / "library.sqlite3")
    assert conn.execute("SELECT status FROM jobs").fetchall() == [("queued",)]
    conn.close()


def test_the_server_check_refuses_the_same_things_through_sqlalchemy(database_url):
    """PostgreSQL is inspected through SQLAlchemy; the same code runs against SQLite too."""
    db = Database(database_url)
    db.migrate()
    db.check_server_contents()  # our own library passes
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(UserError, match=r"newer version of Style Studio \(schema 0099\)"):
        db.check_server_contents()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{SCHEMA_REVISION}'")
        conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(UserError, match="not a Style Studio library"):
        db.check_server_contents()
    db.dispose()
