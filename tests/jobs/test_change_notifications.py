"""Changes committed by other processes reach this one: LISTEN/NOTIFY on PostgreSQL (migration
0005's triggers), PRAGMA data_version polling on SQLite. Real processes, real servers.

How fast is measured in benchmarks/bench_watch.py; these tests only wait for outcomes."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.db.migrate import alembic_config
from desktop.jobs.events import ChangeHub, JobEvent
from desktop.jobs.watcher import ChangeWatcher
from desktop.runtime import open_runtime
from tests.helpers import REPO, cli, wait_until
from tests.pg import RawSQL, _skip_or_fail

NOTIFYING = {"jobs", "job_items", "styles", "style_images", "queue_pauses"}
NEVER = 3600.0  # a safety probe that never runs: only notifications can report a change

# Another process: opens the library by URL and commits COUNT updates of job JOB, one each.
COMMITTER = """
import sys, time
from desktop.db.engine import Database
url, job, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = Database(url)
conn = db.raw_connect()
sql = "UPDATE jobs SET message = {p}, updated_at = {p} WHERE id = {p}"
sql = sql.format(p="?" if db.is_sqlite else "%s")
for i in range(count):
    conn.cursor().execute(sql, (f"step {i}", time.time(), job))
conn.close()
"""


def commit_in_another_process(url: str, job_id: int, count: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", COMMITTER, url, str(job_id), str(count)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr


class Events:
    """Counts the external events a hub publishes; ``read`` (if given) is called at each one,
    on the watcher's thread, and what it returns is kept."""

    def __init__(self, hub: ChangeHub, read=None) -> None:
        self.count = 0
        self.seen: list[object] = []
        self.arrived = threading.Event()
        self._read = read
        hub.subscribe(self._on)

    def _on(self, event: JobEvent) -> None:
        if not event.external:
            return
        if self._read is not None:
            self.seen.append(self._read())
        self.count += 1
        self.arrived.set()


@pytest.fixture
def pg_rt(home, postgres_url):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


@pytest.fixture
def watcher_of() -> Iterator:
    """Starts a watcher of a library's database on a hub of its own, with the given settings."""
    made: list[ChangeWatcher] = []

    def make(db, hub: ChangeHub, **kwargs) -> ChangeWatcher:
        watcher = ChangeWatcher(db, hub, **kwargs)
        made.append(watcher)
        watcher.start()
        assert watcher.ready.wait(60)
        return watcher

    yield make
    for watcher in made:
        watcher.stop()


# --- PostgreSQL: notifications --------------------------------------------------------------


@pytest.mark.postgres
def test_a_job_enqueued_by_another_process_is_notified_without_any_polling(home, pg_rt, watcher_of):
    rt = pg_rt
    hub = ChangeHub()
    events = Events(hub)
    watcher_of(rt.db, hub, probe_interval=NEVER)
    result = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 0}', home=home)
    assert result.returncode == 0, result.stderr
    assert events.arrived.wait(60), "the other process's commit was not notified"
    assert rt.engine.get(int(result.stdout)).status == "queued"


@pytest.mark.postgres
def test_every_watched_table_notifies_and_worker_heartbeats_do_not(pg_rt, watcher_of):
    rt = pg_rt
    hub = ChangeHub()
    events = Events(hub)
    watcher_of(rt.db, hub, probe_interval=NEVER)
    other = RawSQL(rt.db)  # a connection of its own: another session, as another process's
    try:
        job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        writes = [
            ("jobs", "UPDATE jobs SET message = 'elsewhere' WHERE id = ?", (job_id,)),
            (
                "job_items",
                "INSERT INTO job_items (job_id, position, input, status, updated_at) VALUES (?, 0, 'a.png', 'pending', 1)",
                (job_id,),
            ),
            ("queue_pauses", "INSERT INTO queue_pauses VALUES ('*', 1, 'test')", ()),
            (
                "styles",
                "INSERT INTO styles (id, name, description, prompt, generator, folder, params, created_at)"
                " VALUES (7, 'Dusk', 'warm', '', 'local', 'styles/7', '{}', 1)",
                (),
            ),
            (
                "style_images",
                "INSERT INTO style_images (style_id, position, path, thumb_path, width, height)"
                " VALUES (7, 0, 'styles/7/0.png', 'styles/7/0.jpg', 8, 8)",
                (),
            ),
        ]
        for table, sql, params in writes:
            events.arrived.clear()
            other.execute(sql, params)
            assert events.arrived.wait(60), f"a change to {table} was not notified"
        triggers = {
            row[0]
            for row in other.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname = 'stylestudio_notify_change'"
            ).fetchall()
        }
        assert triggers == NOTIFYING  # not on workers: heartbeats would wake every window
    finally:
        other.close()


@pytest.mark.postgres
def test_downgrading_removes_the_triggers_and_upgrading_restores_them(pg_rt):
    from alembic import command

    rt = pg_rt

    def triggers() -> int:
        with rt.db.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'stylestudio_notify_change'"
            ).scalar()

    rt.engine.close()  # no watcher listening while the schema changes
    assert triggers() == len(NOTIFYING)
    command.downgrade(alembic_config(rt.db), "0004")
    assert triggers() == 0
    command.upgrade(alembic_config(rt.db), "head")
    assert triggers() == len(NOTIFYING)


@pytest.mark.postgres
def test_a_queued_job_is_reported_at_once_while_other_changes_wait_for_the_gap(pg_rt, watcher_of):
    """Events at most one an hour, except a job queued: the first change is reported (the
    leading edge), the next plain change waits for the hour, but a job queued by another
    session right after it is reported at once (the change waiting with it goes along)."""
    rt = pg_rt
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    hub = ChangeHub()
    events = Events(hub)
    watcher_of(rt.db, hub, probe_interval=NEVER, min_gap=NEVER)
    other = RawSQL(rt.db)  # another session, as another process's
    try:
        other.execute("UPDATE jobs SET status = 'canceled', message = 'first' WHERE id = ?", (job_id,))
        assert events.arrived.wait(60), "the first change was not reported"
        count = events.count
        other.execute("UPDATE jobs SET message = 'second' WHERE id = ?", (job_id,))
        other.execute(
            "INSERT INTO jobs (type, status, message, payload, attempts, max_attempts, cancel_requested,"
            " created_at, updated_at, run_after) VALUES (?, 'queued', 'Waiting to start', '{}', 0, 3, false, 1, 1, 0)",
            ("diagnostics.sleep",),
        )
        wait_until(lambda: events.count > count, timeout=60)
    finally:
        other.close()


# --- both: coalescing -----------------------------------------------------------------------


def test_a_burst_of_commits_makes_few_events_and_the_last_change_is_seen(database_url, rt, watcher_of):
    """300 commits in another process, as a busy batch makes them: the window hears far fewer
    events than commits, and reading the rows at the last event shows the last commit."""
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    hub = ChangeHub()
    events = Events(hub, read=lambda: rt.engine.get(job_id).message)
    # events at least 0.5 s apart (PostgreSQL), looks 0.5 s apart (SQLite)
    watcher_of(rt.db, hub, interval=0.5, min_gap=0.5)
    commit_in_another_process(database_url, job_id, 300)
    wait_until(lambda: "step 299" in events.seen, timeout=60, interval=0.05)
    assert events.count < 100, f"{events.count} events for 300 commits"


# --- PostgreSQL: a server restart -----------------------------------------------------------


def _server_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(Path(folder) / "pg_ctl", os.X_OK):
            return Path(folder)
    return None


@pytest.fixture
def own_server(monkeypatch) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL server of this test alone (it gets restarted): (URL, its folder)."""
    if _server_bin() is None:
        _skip_or_fail("this test starts its own PostgreSQL server; install it with: apt-get install postgresql")
    started = subprocess.run([str(REPO / ".ci" / "postgres"), "start"], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export ")
    )
    url, folder = exports["STYLESTUDIO_TEST_POSTGRES_URL"], exports["STYLESTUDIO_TEST_POSTGRES_DIR"]
    monkeypatch.setenv("STYLESTUDIO_DATABASE_URL", url)
    try:
        yield url, Path(folder)
    finally:
        subprocess.run([str(REPO / ".ci" / "postgres"), "stop", folder], capture_output=True, timeout=120)


def restart_server(folder: Path) -> None:
    """Fast shutdown (every session cut) and start again on the same port."""
    done = subprocess.run(
        [str(REPO / ".ci" / "postgres"), "restart", str(folder)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))


@pytest.mark.postgres
def test_the_watcher_survives_a_server_restart(home, own_server):
    _url, folder = own_server
    records = Records()
    watcher_log = logging.getLogger("desktop.jobs.watcher")
    watcher_log.addHandler(records)
    level = watcher_log.level
    watcher_log.setLevel(logging.INFO)
    rt = open_runtime(home, watch_external=False)  # one watcher: this test's
    hub = ChangeHub()
    events = Events(hub)
    watcher = ChangeWatcher(rt.db, hub, probe_interval=NEVER)  # only notifications report
    try:
        watcher.start()
        assert watcher.ready.wait(60)
        restart_server(folder)
        # back: one warning while away, one line when back, and an event (changes may be missed)
        wait_until(lambda: (logging.INFO, "Reconnected to the library; watching it for changes again") in records.lines, timeout=120)
        assert events.arrived.wait(60)
        assert [m for lvl, m in records.lines if lvl == logging.WARNING] == ["Reconnecting to the library…"]
        # and listening again: another process's commit is seen
        events.arrived.clear()
        started = time.monotonic()
        result = cli("jobs", "enqueue", "diagnostics.sleep", "--payload", '{"seconds": 0}', home=home)
        assert result.returncode == 0, result.stderr
        assert events.arrived.wait(60), f"nothing seen {time.monotonic() - started:.0f} s after the commit"
    finally:
        watcher.stop()
        rt.close()
        watcher_log.removeHandler(records)
        watcher_log.setLevel(level)
