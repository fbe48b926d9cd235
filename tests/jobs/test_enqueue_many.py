"""``JobEngine.enqueue_many``: many jobs of one type queued in one statement, all or none, on
SQLite and PostgreSQL; and on PostgreSQL, a queued job wakes an idle watcher at once, however
recently it reported another change (migration 0008's ``jobs.queued`` notification).

How fast is measured in benchmarks/bench_postgres.py; these tests only wait for outcomes."""

from __future__ import annotations

import threading

import pytest

from desktop.errors import UserError
from desktop.jobs.events import EventKind, JobEvent
from desktop.jobs.watcher import ChangeWatcher
from tests.helpers import wait_until
from tests.pg import RawSQL

SLEEP = "diagnostics.sleep"


def test_every_payload_becomes_a_queued_job_in_order_and_a_pool_runs_them(rt, pool_thread, log_text):
    seen: list[JobEvent] = []
    rt.engine.watch(seen.append)
    payloads = [{"seconds": 0, "steps": 1 + i % 3} for i in range(30)]
    ids = rt.engine.enqueue_many(SLEEP, payloads)

    assert len(ids) == 30 and ids == list(range(ids[0], ids[0] + 30))
    rows = sorted(rt.engine.list(limit=100), key=lambda r: r.id)
    assert [r.id for r in rows] == ids
    assert [r.payload_dict() for r in rows] == payloads
    assert {(r.status, r.message, r.attempts) for r in rows} == {("queued", "Waiting to start", 0)}
    # one "read the rows again" event for the lot, not one per job
    enqueued = [e for e in seen if e.kind == EventKind.ENQUEUED]
    assert len(enqueued) == 1 and enqueued[0].row is None
    assert f"[job {ids[0]}] {SLEEP} queued" in log_text() and f"[job {ids[-1]}] {SLEEP} queued" in log_text()

    pool_thread(2)
    wait_until(lambda: rt.engine.count(include_finished=False) == 0, timeout=120)
    assert {r.status for r in rt.engine.list(limit=100)} == {"succeeded"}


def test_one_refused_payload_queues_none_of_them(rt):
    with pytest.raises(UserError):
        rt.engine.enqueue_many(SLEEP, [{"seconds": 0}, {"seconds": 0, "no_such_option": 1}])
    with pytest.raises(UserError, match="no job type"):
        rt.engine.enqueue_many("no.such.type", [{}])
    assert rt.engine.count() == 0
    assert rt.engine.enqueue_many(SLEEP, []) == []


def test_jobs_of_a_paused_type_are_queued_paused(rt):
    rt.engine.pause(SLEEP)
    ids = rt.engine.enqueue_many(SLEEP, [{"seconds": 0}, None], max_attempts=5)
    rows = [rt.engine.get(i) for i in ids]
    assert [(r.status, r.message, r.max_attempts, r.payload_dict()) for r in rows] == [
        ("queued", "Paused", 5, {"seconds": 0}),
        ("queued", "Paused", 5, {}),
    ]
    assert rt.engine.queue_order() == []  # paused: none may start


@pytest.mark.postgres
def test_a_queued_job_is_reported_at_once_while_other_changes_wait_for_the_gap(pg_rt):
    """Events at most one an hour, except a job queued: the first change is reported (the
    leading edge), the next plain change waits for the hour, but a job queued by another
    session right after it is reported at once (the change waiting with it goes along)."""
    rt = pg_rt
    job_id = rt.engine.enqueue(SLEEP, {"seconds": 0})
    hub_events: list[JobEvent] = []
    arrived = threading.Event()

    def on_event(event: JobEvent) -> None:
        if event.external:
            hub_events.append(event)
            arrived.set()

    from desktop.jobs.events import ChangeHub

    hub = ChangeHub()
    hub.subscribe(on_event)
    watcher = ChangeWatcher(rt.db, hub, probe_interval=3600.0, min_gap=3600.0)
    watcher.start()
    other = RawSQL(rt.db)  # another session, as another process's
    try:
        assert watcher.ready.wait(60)
        other.execute("UPDATE jobs SET status = 'canceled', message = 'first' WHERE id = ?", (job_id,))
        assert arrived.wait(60), "the first change was not reported"
        count = len(hub_events)
        other.execute("UPDATE jobs SET message = 'second' WHERE id = ?", (job_id,))
        other.execute(
            "INSERT INTO jobs (type, status, message, payload, attempts, max_attempts, cancel_requested,"
            " created_at, updated_at, run_after) VALUES (?, 'queued', 'Waiting to start', '{}', 0, 3, false, 1, 1, 0)",
            (SLEEP,),
        )
        wait_until(lambda: len(hub_events) > count, timeout=60)
    finally:
        other.close()
        watcher.stop()


@pytest.fixture
def pg_rt(home, postgres_url):
    from desktop.runtime import open_runtime

    runtime = open_runtime(home)
    yield runtime
    runtime.close()
