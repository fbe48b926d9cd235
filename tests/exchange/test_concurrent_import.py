"""Two imports of one pack at once add each style once (issue 18, point 3), on SQLite and on
PostgreSQL, with two real ``stylestudio import`` processes.

The race is made certain, not hoped for: the first process is stopped (SIGSTOP) right after it
looked for the pack's styles in the library (found none) and began staging them; the second
imports the whole pack meanwhile; the first then goes on to its commit. Without a unique content
hash in the database it adds every style a second time."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest
from sqlalchemy import select

from desktop.db.models import Style
from desktop.pipelines.export.request import enqueue_export_pack
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from tests.helpers import cli, run_pool, spawn_cli


@pytest.fixture(scope="module")
def big_pack(tmp_path_factory):
    """A pack of 4 styles with 4 previews of 768 pixels each (staging it takes a moment)."""
    home = tmp_path_factory.mktemp("source")
    out = tmp_path_factory.mktemp("pack") / "four.stylepack"
    rt = open_runtime(home)
    try:
        jobs = [enqueue_style(rt, d, previews=4, size=768, seed=11 + i) for i, d in enumerate(["warm film", "cool noir", "teal and orange", "faded pastel"])]
        run_pool(rt, timeout=240)
        ids = [rt.engine.require(j).result_dict()["id"] for j in jobs]
        job = enqueue_export_pack(rt, ids, out)
        run_pool(rt, timeout=120)
        assert rt.engine.require(job).status == "succeeded"
    finally:
        rt.close()
    return out


def _styles(home) -> list[tuple[int, str, str | None]]:
    rt = open_runtime(home)
    try:
        with rt.db.read_session() as s:
            return [tuple(r) for r in s.execute(select(Style.id, Style.name, Style.content_hash).order_by(Style.id))]
    finally:
        rt.close()


def _sqlite_locked(home) -> bool:
    path = home / "library.sqlite3"
    if "STYLESTUDIO_DATABASE_URL" in os.environ or not path.exists():
        return False
    con = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        con.close()


def _stop_once_staging(proc, tmp_dir, home, timeout: float = 120) -> None:
    """SIGSTOP ``proc`` as soon as its import has written a staged file (it has looked for the
    pack's styles already), and not in the middle of a SQLite write."""
    deadline = time.monotonic() + timeout
    while not any(p.is_file() for p in tmp_dir.glob("job-*/*/*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the import never began staging"
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGSTOP)
    for _ in range(200):
        if not _sqlite_locked(home):
            return
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.002)
        os.kill(proc.pid, signal.SIGSTOP)
    raise AssertionError("the stopped import kept the library locked")


def test_two_imports_of_one_pack_at_once_add_each_style_once(database_url, home, big_pack):
    rt = open_runtime(home)  # the library exists before either process starts
    tmp_dir = rt.paths.tmp_dir
    rt.close()
    first = spawn_cli("import", str(big_pack), home=home)
    try:
        _stop_once_staging(first, tmp_dir, home)
        assert _styles(home) == []  # stopped before its commit
        second = cli("import", str(big_pack), home=home, timeout=180)
        assert second.returncode == 0, second.stderr
        assert len(second.stdout.split()) == 4
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=180)
    assert first.returncode == 0, err
    assert out.strip() == ""  # it added nothing
    assert err.count("is already in the library as style") == 4, err
    styles = _styles(home)
    assert len(styles) == 4, styles
    assert len({name for _id, name, _h in styles}) == 4
    assert all(h is not None for _id, _name, h in styles) and len({h for *_x, h in styles}) == 4
    assert not list(tmp_dir.glob("job-*"))


def test_upgrading_to_0006_keeps_every_style_and_makes_the_content_hash_unique(database_url):
    from alembic import command
    from sqlalchemy import inspect

    from desktop.db.engine import Database
    from desktop.db.migrate import alembic_config
    from tests.pg import RawSQL

    db = Database(database_url)
    sql = None
    try:
        command.upgrade(alembic_config(db), "0005")
        sql = RawSQL(db)
        for _ in range(2):  # two copies of one style, as two imports at once used to make
            sql.execute(
                "INSERT INTO styles (name, description, prompt, generator, folder, params, created_at)"
                " VALUES ('s', 'd', '', 'imported', 'styles/x', '{}', 0)"
            )
        db.migrate()
        assert [tuple(r) for r in sql.execute("SELECT id, content_hash FROM styles ORDER BY id").fetchall()] == [(1, None), (2, None)]
        indexes = {ix["name"]: ix["unique"] for ix in inspect(db.engine).get_indexes("styles")}
        assert indexes.get("ux_styles_content_hash")
        insert = "INSERT INTO styles (name, description, prompt, generator, folder, params, created_at, content_hash) VALUES ('t', 'd', '', 'imported', 'styles/y', '{}', 0, ?)"
        sql.execute(insert, ("a" * 64,))
        with pytest.raises(Exception, match="(?i)unique"):
            sql.execute(insert, ("a" * 64,))
        command.downgrade(alembic_config(db), "0005")
        assert "content_hash" not in {c["name"] for c in inspect(db.engine).get_columns("styles")}
    finally:
        if sql is not None:
            sql.close()
        db.dispose()
