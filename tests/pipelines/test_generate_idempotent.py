"""Running a style.generate job again never makes a second style: a crash between the style's
commit and the job's end, a worker that lost its lease, and libraries that already hold
duplicates from older versions."""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest

from desktop.db.engine import Database
from desktop.db.models import Style
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from tests.helpers import cli, run_pool, spawn_cli, wait_until
from tests.pg import RawSQL


def _sql(where, statement, *params):
    """One statement on the library: ``where`` is its data folder (the SQLite file there) or
    its ``Database`` (SQLite or PostgreSQL, ``?`` placeholders either way)."""
    if isinstance(where, Database):
        conn = RawSQL(where)
        try:
            cur = conn.execute(statement, params)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            conn.close()
    con = sqlite3.connect(where / "library.sqlite3", timeout=30)
    try:
        rows = con.execute(statement, params).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


@pytest.fixture
def rt(home, database_url):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def test_a_job_whose_style_was_already_committed_returns_that_style(rt):
    job_id = enqueue_style(rt, "warm film grain", previews=2, size=64)
    # As if the first attempt had committed its style and died before ending the job.
    with rt.db.write_session() as s:
        first = Style(name="Warm", description="warm film grain", prompt="", generator="local", folder=f"styles/{job_id}-first", params="{}", job_id=job_id, created_at=time.time())
        s.add(first)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    assert row.result_dict() == {"table": "styles", "id": first.id}
    assert _sql(rt.db, "SELECT count(*) FROM styles") == [(1,)]
    assert list(rt.paths.styles_dir.iterdir()) == [], "nothing was rendered again"
    assert list(rt.paths.tmp_dir.iterdir()) == []


def test_the_database_refuses_two_styles_for_one_job(rt):
    from sqlalchemy.exc import IntegrityError

    def style(job_id):
        return Style(name="x", description="x", prompt="", generator="local", folder="styles/x", params="{}", job_id=job_id, created_at=time.time())

    with rt.db.write_session() as s:
        s.add_all([style(None), style(None), style(7)])  # styles made outside any job may repeat
    with pytest.raises(IntegrityError), rt.db.write_session() as s:
        s.add(style(7))


def test_a_worker_that_lost_its_lease_before_the_commit_saves_nothing(rt, monkeypatch):
    import desktop.pipelines.generate.handler as generate

    job_id = enqueue_style(rt, "warm film grain", previews=1, size=64)
    real = generate.commit_new_style  # runs in the job's process (rendering runs in workers)

    def lose_the_lease_then_commit(*args, **kwargs):
        # The lease ran out meanwhile and another worker took the row.
        _sql(rt.db, "UPDATE jobs SET owner = 'another-host:1:abc' WHERE id = ?", job_id)
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "commit_new_style", lose_the_lease_then_commit)
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "running" and row.owner == "another-host:1:abc", "the row is the other attempt's"
    assert _sql(rt.db, "SELECT count(*) FROM styles") == [(0,)]
    assert list(rt.paths.styles_dir.iterdir()) == []
    assert list(rt.paths.tmp_dir.iterdir()) == [], "the lost attempt removed its half-made files"


def test_a_worker_killed_after_the_style_commit_leaves_one_style_after_the_retry(home):
    rt = open_runtime(home)
    try:
        job_id = enqueue_style(rt, "warm film grain", previews=1, size=64)
    finally:
        rt.close()
    # Hold the job's end: the worker's "succeeded" write is silently skipped, exactly as if the
    # process had died between committing the style and ending the job.
    _sql(home, "CREATE TRIGGER hold_the_end BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'succeeded' BEGIN SELECT RAISE(IGNORE); END")
    worker = spawn_cli("worker", home=home)
    try:
        wait_until(lambda: _sql(home, "SELECT id FROM styles WHERE job_id = ?", job_id), timeout=120, interval=0.05)
        (style_id,) = _sql(home, "SELECT id FROM styles WHERE job_id = ?", job_id)[0]
        assert _sql(home, "SELECT status FROM jobs WHERE id = ?", job_id) == [("running",)]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        worker.stdout.close()
        worker.stderr.close()
    _sql(home, "DROP TRIGGER hold_the_end")

    again = cli("--home", str(home), "worker", "--exit-when-idle", home=home, timeout=120)

    assert again.returncode == 0, again.stderr
    (status, attempts, result), = _sql(home, "SELECT status, attempts, result FROM jobs WHERE id = ?", job_id)
    assert status == "succeeded" and attempts == 2
    assert json.loads(result) == {"table": "styles", "id": style_id}
    assert _sql(home, "SELECT id FROM styles") == [(style_id,)], "one job, one style"
    assert [p.name for p in (home / "styles").iterdir()] == [str(style_id)]
    assert list((home / "tmp").iterdir()) == []


def test_upgrading_a_library_with_two_styles_for_one_job_keeps_both_and_links_the_first(database_url):
    from alembic import command
    from sqlalchemy import inspect

    from desktop.db.migrate import alembic_config

    db = Database(database_url)
    try:
        command.upgrade(alembic_config(db), "0001")
        for job_id in (5, 5, 5, 6, None, None):
            _sql(
                db,
                "INSERT INTO styles (name, description, prompt, generator, folder, params, job_id, created_at)"
                " VALUES ('s', 'd', '', 'local', 'styles/x', '{}', ?, 0)",
                job_id,
            )
        db.migrate()
        rows = _sql(db, "SELECT id, job_id FROM styles ORDER BY id")
        assert rows == [(1, 5), (2, None), (3, None), (4, 6), (5, None), (6, None)]
        indexes = {ix["name"]: ix["unique"] for ix in inspect(db.engine).get_indexes("styles")}
        assert indexes.get("ux_styles_job_id")  # unique (SQLite says 1, PostgreSQL True)
    finally:
        db.dispose()
