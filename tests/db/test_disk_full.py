"""A full disk: one sentence wherever the library is opened or migrated, and a library on a
full disk can still be opened to read it and to delete styles (which frees space).

Two real mechanisms: SQLite's ``max_page_count`` gives a real SQLITE_FULL inside one process,
and a small tmpfs (mounted for the test; needs root) is a real disk that really fills up, for
the command line in its own processes."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import event

from desktop.config import DiskFullError
from desktop.db.engine import Database
from desktop.db.models import Style
from desktop.library.reading import Library
from desktop.logs import BatchedRotatingFileHandler
from desktop.runtime import open_runtime
from tests.db.support import assert_refused
from tests.helpers import cli
from tests.ui.sample_library import add_styles

SENTENCE = "is full; free some space (for example delete styles with 'stylestudio styles delete ID') and try again."


def _limit_pages(db: Database, pages: int | None = None) -> None:
    """From now on every connection of the engine may not grow the file (past ``pages``)."""

    def limit(conn: sqlite3.Connection, _record: object) -> None:
        count = pages if pages is not None else conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={count}")

    db.dispose()
    event.listen(db.engine, "connect", limit)


def test_a_new_library_that_does_not_fit_is_one_sentence(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    _limit_pages(db, 2)
    with pytest.raises(DiskFullError) as caught:
        db.migrate()
    assert str(caught.value) == f"The disk holding {tmp_path} {SENTENCE}"
    db.dispose()


def test_a_full_library_is_still_read_and_deleted_from_and_a_write_is_one_sentence(home):
    rt = open_runtime(home)
    rt.close()
    ids = add_styles(home, count=2, previews=1)
    rt = open_runtime(home)
    try:
        _limit_pages(rt.db)
        with pytest.raises(DiskFullError, match="The disk holding .* is full"):
            with rt.db.write_session() as s:
                s.add(Style(name="big", description="x" * 2_000_000, prompt="", generator="local", folder="", params="{}", created_at=0.0))
        lib = Library(rt.db, rt.paths)
        assert [s.id for s in lib.list()] == sorted(ids, reverse=True)
        lib.delete(ids[0])
        assert [s.id for s in lib.list()] == [ids[1]]
    finally:
        rt.close()


def _library_with_styles(home) -> list[int]:
    db = Database(f"sqlite:///{home / 'library.sqlite3'}")
    home.mkdir(parents=True, exist_ok=True)
    db.migrate()
    db.dispose()
    return add_styles(home, count=2, previews=1)


def test_on_a_full_disk_styles_can_be_listed_and_deleted_to_free_space(small_disk):
    home = small_disk.root / "home"
    ids = _library_with_styles(home)
    assert (home / "library.sqlite3-reserve").exists(), "a library on a roomy disk keeps a space reserve"
    small_disk.fill()

    listed = cli("--home", str(home), "styles", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Teal Dusk" in listed.stdout and "Rose Print" in listed.stdout
    assert listed.stderr == ""
    deleted = cli("--home", str(home), "styles", "delete", str(ids[0]), "--now")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stderr == ""
    assert not (home / "styles" / f"{ids[0]:06d}").exists()
    again = cli("--home", str(home), "styles", "list")
    assert again.returncode == 0 and "Teal Dusk" not in again.stdout and "Rose Print" in again.stdout


def test_a_full_disk_without_room_to_open_is_one_sentence_and_no_logging_error(small_disk):
    home = small_disk.root / "home"
    _library_with_styles(home)
    (home / "library.sqlite3-reserve").unlink()  # a library made when the disk was already tight
    small_disk.fill()
    for command in (["styles", "list"], ["jobs", "enqueue", "diagnostics.sleep"], ["styles", "delete", "1"]):
        line = assert_refused(cli("--home", str(home), *command))
        assert line == f"The disk holding {home} {SENTENCE}"
    new_home = small_disk.root / "new"
    line = assert_refused(cli("--home", str(new_home), "jobs", "enqueue", "diagnostics.sleep"))
    assert line == f"The disk holding {new_home} {SENTENCE}"


def test_a_log_that_cannot_be_written_is_dropped_quietly_and_noted_when_space_returns(small_disk, capfd):
    logger = logging.getLogger("tests.db.full_log")
    logger.propagate = False
    log_file = small_disk.root / "logs" / "stylestudio.log"
    log_file.parent.mkdir()
    handler = BatchedRotatingFileHandler(log_file, max_bytes=1_000_000, backup_count=1)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    try:
        small_disk.fill()
        for n in range(3):
            logger.warning("lost line %d %s", n, "x" * 5000)  # a warning is written at once
        handler.flush()
        out, err = capfd.readouterr()
        assert err == "" and out == ""
        small_disk.free_up()
        logger.warning("space is back")
        handler.flush()
        text = log_file.read_text()
        assert "log record(s) were dropped because the log file could not be written (no space left on device)" in text
        assert text.rstrip().endswith("space is back")
        assert capfd.readouterr().err == ""
    finally:
        logger.removeHandler(handler)
        handler.close()
