"""``JobEngine.enqueue_many``: many jobs of one type queued in one statement, all or none, on
SQLite and PostgreSQL (a lost answer: tests/jobs/test_server_restart.py).

How fast is measured in benchmarks/bench_postgres.py; these tests only wait for outcomes."""

from __future__ import annotations

import pytest

from desktop.errors import UserError
from desktop.jobs.events import EventKind, JobEvent
from tests.helpers import wait_until

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
