"""Storage: migrations to head match the models, SQLite is set up for several processes."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from desktop.db.engine import Database
from desktop.db.migrate import current_revision, head_revision
from desktop.db.models import Base
from desktop.runtime import open_runtime


def test_empty_database_upgrades_to_head_and_matches_models(database_url):
    """Alembic from an empty database to head, then autogenerate finds no difference."""
    db = Database(database_url)
    try:
        assert inspect(db.engine).get_table_names() == []
        db.migrate()
        assert current_revision(db) == head_revision()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
    assert {"jobs", "styles", "style_images", "job_items", "alembic_version"} <= tables


def test_migrating_does_not_silence_the_apps_loggers(tmp_path):
    import logging

    app_logger = logging.getLogger("desktop.some.module")
    db = Database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    db.migrate()
    assert not app_logger.disabled
    assert not logging.getLogger("desktop").disabled


def test_sqlite_connections_use_wal_normal_sync_busy_timeout_and_foreign_keys(home):
    rt = open_runtime(home)
    try:
        conn = rt.db.raw_connect()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        conn.close()
        with rt.db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        rt.close()


def test_orm_writers_take_the_write_lock_up_front(home):
    """A write session holds the RESERVED lock from its first statement: another writer that
    tries to start meanwhile gets 'database is locked', not a dead-locked upgrade later."""
    rt = open_runtime(home)
    try:
        other = sqlite3.connect(rt.paths.db_file, timeout=0.1, isolation_level=None)
        with rt.db.write_session() as s:
            s.connection().exec_driver_sql("SELECT count(*) FROM jobs").scalar()
            try:
                other.execute("BEGIN IMMEDIATE")
                locked = False
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc)
        assert locked
        # read sessions do not take it
        with rt.db.read_session() as s:
            s.connection().exec_driver_sql("SELECT count(*) FROM jobs").scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        other.close()
    finally:
        rt.close()


def test_logging_goes_to_a_rotating_file_with_one_line_per_state_change(home):
    from tests.helpers import run_pool

    rt = open_runtime(home)
    try:
        job = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        run_pool(rt)
    finally:
        rt.close()
    from desktop.logs import flush_logs

    flush_logs()
    text = (home / "logs" / "stylestudio.log").read_text()
    assert f"[job {job}] diagnostics.sleep queued" in text
    assert f"[job {job}] diagnostics.sleep started (attempt 1 of 3)" in text
    assert f"[job {job}] succeeded" in text


def test_a_database_url_whose_driver_is_missing_is_refused_with_a_sentence():
    import pytest

    from desktop.errors import UserError

    with pytest.raises(UserError, match="needs the 'pg8000' driver.*style-studio\\[postgres\\]"):
        Database("postgresql+pg8000://someone@127.0.0.1:1/library")


def test_the_start_up_fast_path_knows_the_newest_migration(tmp_path):
    from desktop.db.engine import SCHEMA_REVISION

    assert SCHEMA_REVISION == head_revision()
    db = Database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    assert db.stored_revision() is None
    db.migrate()
    assert db.stored_revision() == SCHEMA_REVISION
