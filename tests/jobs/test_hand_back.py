"""A closing window's work pool hands the jobs it runs back to the queue instead of canceling
them (issue 21 §1): the row is queued again without spending an attempt, items done stay done,
items in progress wait again at once, and any other pool resumes the batch where it stopped."""

from __future__ import annotations

from desktop.jobs.hand_back import HANDED_BACK
from desktop.jobs.items import DONE, PENDING, ItemStore
from desktop.jobs.pool_thread import PoolThread
from desktop.pipelines.diagnostics.request import ITEMS_TYPE, JOB_TYPE
from tests.helpers import wait_until


def test_a_batch_handed_back_keeps_its_attempt_and_done_items_and_resumes_on_another_pool(rt, log_text):
    count = 10
    job = rt.engine.enqueue_batch(ITEMS_TYPE, {"seconds": 0.4, "parallel": 2}, [f"item {i}" for i in range(count)])
    store = ItemStore(rt.db)
    first = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    first.start()
    wait_until(lambda: store.counts(job)[DONE] >= 2 and store.held_positions(job), timeout=60)
    assert first.stop(20, hand_back=True), "the pool did not stop"

    row = rt.engine.get(job)
    assert (row.status, row.attempts, row.owner, row.cancel_requested) == ("queued", 0, None, False), row
    assert row.message == HANDED_BACK
    counts = store.counts(job)
    assert counts[DONE] >= 2 and counts[PENDING] > 0, counts
    assert store.held_positions(job) == {}, "items in progress wait again for any worker"
    done_before = {i.position for i in store.items(job) if i.status == DONE}
    assert "handed back to the queue" in log_text()

    second = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    second.start()
    try:
        wait_until(lambda: rt.engine.get(job).status == "succeeded", timeout=60)
    finally:
        assert second.stop(20)
    row = rt.engine.get(job)
    assert row.attempts == 1, "handing back spent no attempt"
    items = store.items(job)
    assert all(i.status == DONE for i in items)
    by_first = {owner: n for owner, n in store.done_by(job).items() if owner == first.pool.owner}
    assert by_first.get(first.pool.owner, 0) >= len(done_before), "the items done before stayed done"


def test_a_job_being_canceled_is_not_handed_back_but_ends_canceled(rt):
    job = rt.engine.enqueue(JOB_TYPE, {"seconds": 60, "steps": 600})
    pool = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    pool.start()
    wait_until(lambda: rt.engine.get(job).status == "running", timeout=30)
    rt.engine.cancel(job)
    assert pool.stop(20, hand_back=True)
    assert rt.engine.get(job).status == "canceled"
