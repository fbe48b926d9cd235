"""The engine in one process: life cycle, cancel, retry, dismiss, backoff, errors, progress."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from desktop.errors import UserError
from desktop.jobs import registry
from desktop.jobs.events import JobEvent
from desktop.jobs.model import INTERRUPTED_ERROR, Ending, JobStatus
from desktop.runtime import open_runtime
from tests.helpers import run_pool, wait_until
from tests.pg import RawSQL


def test_enqueue_returns_an_id_and_a_queued_row(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0.5, "steps": 2})
    row = rt.engine.get(job_id)
    assert row.status == "queued" and row.type == "diagnostics.sleep"
    assert row.payload_dict() == {"seconds": 0.5, "steps": 2}
    assert row.attempts == 0 and row.max_attempts == 3
    assert [r.id for r in rt.engine.list()] == [job_id]


def test_a_job_runs_to_success_with_progress_and_result(rt):
    seen: list[tuple[str, float | None, str]] = []
    rt.engine.watch(lambda e: seen.append((e.row.status, e.row.progress, e.row.message)) if e.row else None)
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0.9, "steps": 3})
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded"
    assert row.progress == 1.0
    assert row.result_dict() == {"steps": 3, "seconds": 0.9}
    assert row.started_at and row.finished_at and row.finished_at >= row.started_at
    statuses = [s for s, _, _ in seen]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "succeeded"
    assert any("step 2 of 3" in m for _, _, m in seen), seen


def test_pool_respects_max_parallel_and_runs_oldest_first(rt):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0, "order": []}

    @registry.register("test.track", title="Track")
    async def track(ctx, payload):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            state["order"].append(payload["n"])
        await asyncio.sleep(0.05)
        with lock:
            state["now"] -= 1
        return None

    for n in range(7):
        rt.engine.enqueue("test.track", {"n": n})
    run_pool(rt, max_parallel=2)
    assert state["peak"] == 2
    assert state["order"] == list(range(7))


def test_canceling_a_queued_job_ends_it_at_once(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 5})
    row = rt.engine.cancel(job_id)
    assert row.status == "canceled"
    assert rt.engine.get(job_id).finished_at is not None


def test_canceling_a_running_job_reaches_the_handler_quickly(rt, pool_thread):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 30, "steps": 3})
    pool_thread()
    wait_until(lambda: rt.engine.get(job_id).status == "running")
    row = rt.engine.cancel(job_id)
    assert row.status == "running" and row.cancel_requested and row.message == "Canceling..."
    # long before the job's next step (10 s away): the cancel woke its sleep
    # (how quickly is measured in benchmarks/bench_engine.py)
    wait_until(lambda: rt.engine.get(job_id).status == "canceled", timeout=8)


def test_retry_requeues_the_same_row_and_dismiss_removes_it(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0, "fail_at_step": 1})
    run_pool(rt)
    failed = rt.engine.get(job_id)
    assert failed.status == "failed" and failed.error == "Diagnostics job failed at step 1, as asked."
    row = rt.engine.retry(job_id)
    assert row.id == job_id and row.status == "queued" and row.error is None and row.attempts == 0
    with pytest.raises(UserError, match="still queued; cancel it first"):
        rt.engine.dismiss(job_id)
    rt.engine.cancel(job_id)
    rt.engine.dismiss(job_id)
    assert rt.engine.get(job_id) is None


def test_wrong_ids_and_states_are_refused_with_a_sentence(rt):
    with pytest.raises(UserError, match="There is no job 999"):
        rt.engine.cancel(999)
    with pytest.raises(UserError, match="There is no job 999"):
        rt.engine.retry(999)
    with pytest.raises(UserError, match="no job type 'nope'"):
        rt.engine.enqueue("nope", {})
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    with pytest.raises(UserError, match="only failed or canceled jobs, and batches with photos that failed, can be retried"):
        rt.engine.retry(job_id)
    run_pool(rt)
    with pytest.raises(UserError, match="already ended"):
        rt.engine.cancel(job_id)
    with pytest.raises(UserError, match="must be numbers"):
        rt.engine.enqueue("diagnostics.sleep", {"seconds": "soon"})


def test_passing_errors_retry_with_backoff_then_succeed(rt):
    messages: list[str] = []
    rt.engine.watch(lambda e: messages.append(e.row.message) if e.row else None)
    job_id = rt.engine.enqueue(
        "diagnostics.sleep", {"seconds": 0, "fail_at_step": 1, "retryable": True, "fail_attempts": 2}
    )
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded" and row.attempts == 3
    assert any(m.startswith("Retrying in") and "(attempt 2 of 3)" in m for m in messages), messages
    assert any("(attempt 3 of 3)" in m for m in messages)


def test_passing_errors_stop_after_max_attempts(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0, "fail_at_step": 1, "retryable": True})
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed" and row.attempts == 3
    assert row.error == "Diagnostics job hit a passing failure at step 1, as asked."


def test_backoff_waits_between_attempts(rt, monkeypatch):
    monkeypatch.setenv("STYLESTUDIO_RETRY_BASE_SECONDS", "0.4")
    job_id = rt.engine.enqueue(
        "diagnostics.sleep", {"seconds": 0, "fail_at_step": 1, "retryable": True, "fail_attempts": 1}
    )
    t0 = time.monotonic()
    run_pool(rt)
    assert rt.engine.get(job_id).status == "succeeded"
    assert time.monotonic() - t0 >= 0.2  # 0.4 * (0.5 + random) >= 0.2


def test_a_bug_in_a_handler_fails_the_job_with_a_sentence_and_logs_the_traceback(rt):
    @registry.register("test.buggy", title="Buggy")
    async def buggy(ctx, payload):
        return {"x": 1 / 0}

    job_id = rt.engine.enqueue("test.buggy", {})
    run_pool(rt)
    row = rt.engine.get(job_id)
    assert row.status == "failed" and row.attempts == 1
    assert "ZeroDivisionError" in row.error and "Traceback" not in row.error
    assert "log" in row.error
    log_text = rt.paths.log_file.read_text()
    assert "Traceback" in log_text and "1 / 0" in log_text
    from desktop.logs import job_log_lines

    lines = job_log_lines(rt.paths.log_file, job_id)
    assert any("Traceback" in ln for ln in lines) and any("ZeroDivisionError" in ln for ln in lines)


def test_progress_is_coalesced_to_a_few_writes_a_second(rt):
    calls = 200_000
    stats = {}

    @registry.register("test.chatty", title="Chatty")
    async def chatty(ctx, payload):
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 1.2:
            for _ in range(1000):
                n += 1
                ctx.progress(min(n / calls, 1.0), f"call {n}")
            await asyncio.sleep(0)
        stats["writes"] = ctx.row_writes
        stats["seconds"] = time.monotonic() - t0
        stats["calls"] = n
        return None

    job_id = rt.engine.enqueue("test.chatty", {})
    run_pool(rt)
    assert rt.engine.get(job_id).status == "succeeded"
    assert stats["calls"] > 10_000
    assert stats["writes"] <= 6 * stats["seconds"] + 1, stats
    assert stats["writes"] >= 4, stats


_AUDIT_SQLITE = """
    CREATE TABLE audit (n INTEGER PRIMARY KEY, job_id INTEGER, status TEXT, message TEXT);
    CREATE TRIGGER audit_insert AFTER INSERT ON jobs
        BEGIN INSERT INTO audit (job_id, status, message) VALUES (new.id, new.status, new.message); END;
    CREATE TRIGGER audit_update AFTER UPDATE ON jobs
        BEGIN INSERT INTO audit (job_id, status, message) VALUES (new.id, new.status, new.message); END;
"""
_AUDIT_POSTGRES = [
    "CREATE TABLE audit (n SERIAL PRIMARY KEY, job_id INTEGER, status TEXT, message TEXT)",
    "CREATE FUNCTION audit_job() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO audit (job_id, status, message) VALUES (NEW.id, NEW.status, NEW.message);"
    " RETURN NEW; END $$",
    "CREATE TRIGGER audit_job AFTER INSERT OR UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION audit_job()",
]


def _audit_writes(rt) -> RawSQL:
    """Record every write to a job row (its status and message) in an audit table of the
    test's library, through triggers: what any reader could have seen, write by write."""
    conn = RawSQL(rt.db)
    if conn.sqlite:
        conn.conn.executescript(_AUDIT_SQLITE)
    else:
        for statement in _AUDIT_POSTGRES:
            conn.execute(statement)
    return conn


def _statuses(conn: RawSQL, job_id: int) -> list[str]:
    """The row's statuses, write by write, with repeats (progress writes) folded."""
    seen = [r[0] for r in conn.execute("SELECT status FROM audit WHERE job_id = ? ORDER BY n", (job_id,))]
    return [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"seconds": 0, "steps": 50}, ["queued", "running", "succeeded"]),
        ({"seconds": 0, "steps": 50, "fail_at_step": 30}, ["queued", "running", "failed"]),
        (
            {"seconds": 0, "steps": 50, "fail_at_step": 30, "retryable": True, "fail_attempts": 1},
            ["queued", "running", "queued", "running", "succeeded"],
        ),
    ],
    ids=["succeeds", "fails", "retried"],
)
def test_every_status_change_is_written_at_once(rt, payload, expected):
    """A job that ends within the progress interval still writes every status it passes
    through, each in its own write (none is skipped or merged by the progress throttle)."""
    audit = _audit_writes(rt)
    try:
        job_id = rt.engine.enqueue("diagnostics.sleep", payload)
        run_pool(rt)
        assert _statuses(audit, job_id) == expected
        writes = audit.execute("SELECT count(*) FROM audit WHERE job_id = ?", (job_id,)).fetchone()[0]
        assert writes < 15, "50 quick progress calls must be coalesced, not written one by one"
        last = audit.execute("SELECT status, message FROM audit WHERE job_id = ? ORDER BY n DESC LIMIT 1", (job_id,)).fetchone()
        assert last == (rt.engine.get(job_id).status, rt.engine.get(job_id).message)
    finally:
        audit.close()


def test_same_process_watchers_see_changes_at_once(rt):
    events: list[JobEvent] = []
    rt.engine.watch(events.append)
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    assert events and events[-1].job_id == job_id and events[-1].row.status == "queued"
    rt.engine.cancel(job_id)
    assert events[-1].row.status == "canceled"
    rt.engine.dismiss(job_id)
    assert events[-1].kind == "removed" and events[-1].job_id == job_id


def test_retention_deletes_old_finished_rows_but_keeps_failed_ones(rt):
    ok = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    bad = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0, "fail_at_step": 1})
    run_pool(rt)
    conn = RawSQL(rt.db)
    conn.execute("UPDATE jobs SET finished_at = finished_at - 30 * 86400")
    conn.close()
    assert rt.engine.purge() == 1
    assert rt.engine.get(ok) is None
    assert rt.engine.get(bad).status == "failed"


def test_a_running_row_of_a_gone_engine_in_this_process_is_recovered(home, database_url):
    rt1 = open_runtime(home)
    job_id = rt1.engine.enqueue("diagnostics.sleep", {"seconds": 10}, max_attempts=1)
    claimed = rt1.engine.store.claim(rt1.engine.owner, 30)
    assert claimed.id == job_id
    rt1.close()  # the engine is gone without finishing its job
    rt2 = open_runtime(home)
    try:
        row = rt2.engine.get(job_id)
        assert row.status == "failed" and row.error == INTERRUPTED_ERROR
    finally:
        rt2.close()


def test_an_expired_lease_from_another_machine_is_recovered(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 10})
    conn = RawSQL(rt.db)
    conn.execute(
        "UPDATE jobs SET status='running', attempts=1, owner='elsewhere:123:abc', lease_until=? WHERE id=?",
        (time.time() + 60, job_id),
    )
    assert rt.engine.recover() == 0  # the other machine's lease is still good
    conn.execute("UPDATE jobs SET lease_until=? WHERE id=?", (time.time() - 1, job_id))
    conn.close()
    rt.engine.lease_seconds = 0.5
    # one sighting of a run-out lease is not enough (the library may just have been locked):
    # it must stay unrenewed for half a lease
    assert rt.engine.recover() == 0
    assert rt.engine.get(job_id).status == "running"
    wait_until(lambda: rt.engine.recover() == 1, timeout=10, interval=0.05)
    row = rt.engine.get(job_id)
    assert row.status == "queued"  # diagnostics.sleep is safe to retry and attempts remain
    assert "Restarting" in row.message


def test_late_completion_of_a_stale_attempt_is_ignored(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    claimed = rt.engine.store.claim(rt.engine.owner, 30)
    # meanwhile the row was recovered and claimed again (attempt 2)
    conn = RawSQL(rt.db)
    conn.execute("UPDATE jobs SET attempts = 2 WHERE id = ?", (job_id,))
    conn.close()
    assert rt.engine.store.finish(claimed, Ending(JobStatus.SUCCEEDED, "Done")) is None
    assert rt.engine.get(job_id).status == "running"


def test_json_document_has_row_fields_and_iso_timestamps(rt):
    job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    run_pool(rt)
    doc = rt.engine.get(job_id).to_json()
    for key in ("id", "type", "status", "message", "progress", "payload", "result", "error", "attempts", "created_at", "started_at", "updated_at", "finished_at"):
        assert key in doc
    from datetime import datetime

    assert datetime.fromisoformat(doc["created_at"]).tzinfo is not None
    json.dumps(doc)
