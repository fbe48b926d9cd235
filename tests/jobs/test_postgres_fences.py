"""What only PostgreSQL can get wrong: a fenced item write racing a recovery of its job.

On SQLite one write lock serialises everything. On PostgreSQL (read committed) a statement
reads rows as they were when it began, so the fence "is the job still this run's?" must lock
the job's row, or an item is recorded for a run that a recovery has just taken away."""

from __future__ import annotations

import threading

import pytest

from desktop.errors import LeaseLost
from desktop.jobs import registry
from desktop.jobs.items import PENDING, Fence, ItemStore
from desktop.runtime import open_runtime
from tests.helpers import wait_until
from tests.pg import RawSQL

BATCH = "test.fenced_batch"
pytestmark = pytest.mark.postgres


@registry.register(BATCH, title="Test: a batch that never runs")
async def _never_runs(ctx, payload):  # pragma: no cover - the test claims the row by hand
    return None


@pytest.fixture
def rt(home, postgres_url):
    runtime = open_runtime(home, watch_external=False)
    yield runtime
    runtime.close()


def _waiting_on_a_lock(rt) -> bool:
    conn = RawSQL(rt.db)
    try:
        rows = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchall()
    finally:
        conn.close()
    return rows[0][0] > 0


def _race_with_a_recovery(rt, job_id: int, write) -> dict[str, object]:
    """Run ``write`` in a thread while another session holds an uncommitted recovery of the
    job; assert it waits for that recovery, then let the recovery commit. Returns
    ``{"result": "written" | "lease lost" | repr(error)}``."""
    recovery = RawSQL(rt.db)
    recovery.execute("BEGIN")
    recovery.execute("UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL WHERE id = ?", (job_id,))
    outcome: dict[str, object] = {}

    def attempt() -> None:
        try:
            write()
            outcome["result"] = "written"
        except LeaseLost:
            outcome["result"] = "lease lost"
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
            outcome["result"] = repr(exc)

    writer = threading.Thread(target=attempt)
    writer.start()
    try:
        wait_until(lambda: "result" in outcome or _waiting_on_a_lock(rt), timeout=30, interval=0.05)
        assert "result" not in outcome, f"the write did not wait for the recovery: {outcome}"
    finally:
        recovery.execute("COMMIT")
        recovery.close()
        writer.join(60)
    return outcome


def test_an_item_write_racing_a_recovery_of_its_job_records_nothing(rt):
    items = ItemStore(rt.db)
    job_id = rt.engine.enqueue_batch(BATCH, {}, ["a.jpg", "b.jpg"])
    row = rt.engine.store.claim(rt.engine.owner, 30)
    assert row is not None and row.id == job_id
    def write_item() -> None:
        items.set(Fence.of(row), 0, status="done", output="/out/a.jpg")

    # another process has begun recovering the job: the item write waits for it
    outcome = _race_with_a_recovery(rt, job_id, write_item)
    assert outcome == {"result": "lease lost"}
    assert [i.status for i in items.items(job_id)] == [PENDING, PENDING]
    assert items.items(job_id)[0].output is None


def test_a_style_commit_racing_a_recovery_of_its_job_commits_nothing(rt):
    """``JobContext.verify_owned``, the check inside the transaction that commits a job's effects
    (a new style, a pack's styles), must also wait for a recovery that has begun."""
    from types import SimpleNamespace

    from sqlalchemy import text

    from desktop.jobs.context import JobContext

    job_id = rt.engine.enqueue(BATCH, {})
    row = rt.engine.store.claim(rt.engine.owner, 30)
    assert row is not None and row.id == job_id
    run = SimpleNamespace(row=row, lost=False)  # the two fields verify_owned reads and sets

    def commit_effect() -> None:
        with rt.db.write_session() as session:
            JobContext.verify_owned(run, session)  # type: ignore[arg-type]
            session.execute(text("UPDATE jobs SET message = 'effect committed' WHERE id = :id"), {"id": job_id})

    outcome = _race_with_a_recovery(rt, job_id, commit_effect)
    assert outcome == {"result": "lease lost"} and run.lost
    assert rt.engine.get(job_id).message != "effect committed"
