"""The engine's small API for front doors: one ``wait_for_job``, settings applied through methods
(``WorkPool.set_max_parallel``, ``JobEngine.configure``), extra tables to watch, and the status
and event kinds as enums that still compare as the strings stored in the rows."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from desktop.errors import UserError
from desktop.jobs.events import EventKind, JobEvent
from desktop.jobs.model import ACTIVE, FINISHED, JobStatus
from desktop.jobs.watcher import ChangeWatcher, probe_sql
from tests.helpers import spawn_cli, wait_until

SLEEP = "diagnostics.sleep"
LONG = {"seconds": 600, "steps": 600}  # runs until canceled


def statuses(rt, ids):
    return [rt.engine.get(i).status for i in ids]


# --- wait_for_job ---------------------------------------------------------------------------


def test_wait_for_job_returns_the_finished_row(rt, pool_thread):
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0.3, "steps": 3})
    pool_thread(1)
    row = rt.engine.wait_for_job(job_id, timeout=120)
    assert row.id == job_id and row.is_finished
    assert row.status == JobStatus.SUCCEEDED and row.progress == 1.0


def test_wait_for_job_gives_back_the_unfinished_row_when_time_is_up(rt):
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0})  # no pool: it stays queued
    row = rt.engine.wait_for_job(job_id, timeout=0.2)
    assert row.id == job_id and not row.is_finished and row.status == JobStatus.QUEUED


def test_wait_for_job_refuses_a_job_that_does_not_exist(rt):
    with pytest.raises(UserError, match="There is no job 4242"):
        rt.engine.wait_for_job(4242, timeout=5)


def test_wait_for_job_sees_a_job_another_process_ran(rt, home):
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0.2})
    worker = spawn_cli("worker", "--exit-when-idle", home=home)
    try:
        row = rt.engine.wait_for_job(job_id, timeout=180)
        assert row.status == JobStatus.SUCCEEDED, (row, worker.poll())
    finally:
        out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err


# --- settings through methods -------------------------------------------------------------------


def test_raising_max_parallel_from_another_thread_starts_waiting_jobs(rt, pool_thread):
    ids = [rt.engine.enqueue(SLEEP, LONG) for _ in range(3)]
    pt = pool_thread(1)
    wait_until(lambda: statuses(rt, ids).count("running") == 1, timeout=60)
    assert statuses(rt, ids).count("queued") == 2  # one at a time: the others wait

    setter = threading.Thread(target=pt.pool.set_max_parallel, args=(3,))
    setter.start()
    setter.join()
    wait_until(lambda: statuses(rt, ids) == ["running"] * 3, timeout=60)
    for job_id in ids:
        rt.engine.cancel(job_id)
    wait_until(lambda: all(s == "canceled" for s in statuses(rt, ids)), timeout=60)


def test_lowering_max_parallel_lets_running_jobs_finish_and_then_runs_fewer(rt, pool_thread):
    first = [rt.engine.enqueue(SLEEP, LONG) for _ in range(2)]
    pt = pool_thread(2)
    wait_until(lambda: statuses(rt, first) == ["running"] * 2, timeout=60)
    later = [rt.engine.enqueue(SLEEP, LONG) for _ in range(2)]

    pt.pool.set_max_parallel(1)
    # the running ones are not stopped to make room
    assert statuses(rt, first) == ["running"] * 2
    for job_id in first:
        rt.engine.cancel(job_id)
    wait_until(lambda: "running" in statuses(rt, later), timeout=60)
    wait_until(lambda: all(s == "canceled" for s in statuses(rt, first)), timeout=60)
    assert sorted(statuses(rt, later)) == ["queued", "running"]  # one at a time now
    for job_id in later:
        rt.engine.cancel(job_id)
    wait_until(lambda: all(s == "canceled" for s in statuses(rt, later)), timeout=60)


def test_set_max_parallel_before_the_pool_runs_is_kept(rt):
    pool = rt.engine.pool(max_parallel=2)
    pool.set_max_parallel(0)  # at least one
    assert pool.max_parallel == 1
    pool.set_max_parallel(5)
    assert pool.max_parallel == 5


def test_configure_changes_new_jobs_attempts_and_refuses_nonsense(rt):
    rt.engine.configure(max_attempts=5, retention_days=0.5)
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0})
    assert rt.engine.get(job_id).max_attempts == 5
    assert rt.engine.retention_days == 0.5
    with pytest.raises(UserError, match="at least 1 attempt"):
        rt.engine.configure(max_attempts=0)
    with pytest.raises(UserError, match="less than 0 days"):
        rt.engine.configure(retention_days=-1)
    assert rt.engine.max_attempts == 5


# --- watching other tables ----------------------------------------------------------------------


def test_a_watched_table_changes_the_probe_and_an_unwatched_one_does_not():
    """The PostgreSQL probe's SQL, run on SQLite (the same SQL): the engine alone watches jobs;
    the styles table counts only once a front door asked for it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, updated_at REAL)")
    conn.execute("CREATE TABLE styles (id INTEGER PRIMARY KEY)")
    jobs_only = probe_sql({"jobs": "updated_at"})
    both = probe_sql({"jobs": "updated_at", "styles": "id"})

    def probe(sql):
        return conn.execute(sql).fetchone()

    before_jobs, before_both = probe(jobs_only), probe(both)
    conn.execute("INSERT INTO styles (id) VALUES (7)")
    assert probe(jobs_only) == before_jobs
    assert probe(both) != before_both
    after_insert = probe(both)
    conn.execute("DELETE FROM styles")
    assert probe(both) != after_insert
    conn.execute("INSERT INTO jobs (updated_at) VALUES (1.5)")
    assert probe(jobs_only) != before_jobs


def test_watch_table_takes_plain_names_only(rt):
    watcher = ChangeWatcher(rt.db, rt.engine.hub)
    with pytest.raises(ValueError, match="not a plain table"):
        watcher.watch_table("styles; DROP TABLE jobs", "id")
    watcher.watch_table("styles", "id")


# --- enums ----------------------------------------------------------------------------------------


def test_rows_and_events_carry_enums_that_are_still_the_stored_strings(rt, pool_thread):
    seen: list[JobEvent] = []
    rt.engine.watch(seen.append)
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0})
    pool_thread(1)
    row = rt.engine.wait_for_job(job_id, timeout=120)
    assert row.status is JobStatus.SUCCEEDED and row.status == "succeeded"
    assert row.status in FINISHED and JobStatus.QUEUED in ACTIVE
    assert json.loads(json.dumps(row.to_json()))["status"] == "succeeded"
    assert f"{row.status}" == "succeeded"
    kinds = [e.kind for e in seen if e.job_id == job_id]
    assert kinds[0] is EventKind.ENQUEUED and EventKind.STATUS in kinds
    assert all(isinstance(k, EventKind) for k in kinds)


def test_postgres_parameters_keep_their_digits():
    """Status filters bind :s0, :s1... (PostgreSQL takes them as %(s0)s: a name cut at its
    digit made `jobs list` fail there); a ``::`` cast is left alone."""
    from desktop.jobs.sql import to_pyformat

    sql = "SELECT 1 WHERE status IN (:s0, :s12) AND updated_at < :now AND x::text = :t_1"
    assert to_pyformat(sql) == "SELECT 1 WHERE status IN (%(s0)s, %(s12)s) AND updated_at < %(now)s AND x::text = %(t_1)s"
