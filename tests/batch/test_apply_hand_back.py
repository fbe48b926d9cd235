"""A real ``style.apply`` batch queued as ``apply … --enqueue`` does, run by a pool that is then
closed the way a window closes (issue 21 §1): the batch goes back to the queue, not canceled,
with no attempt spent, and another pool finishes it with exactly one file per photo (the photos
that were in flight when it was handed back are neither lost nor made twice)."""

from __future__ import annotations

from desktop.jobs.items import ItemStore
from desktop.jobs.pool_thread import PoolThread
from desktop.pipelines.apply.request import enqueue_apply
from tests.batch.conftest import photo
from tests.helpers import wait_until

COUNT = 12


def test_an_apply_batch_handed_back_mid_way_is_finished_by_another_pool_one_file_per_photo(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(COUNT):
        photo(src / f"p{i:02}.jpg", size=(600, 400), colour=(i * 16, 120, 200))
    job = enqueue_apply(rt, style, [src], out=out, format="png")
    store = ItemStore(rt.db)
    first = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    first.start()
    wait_until(lambda: store.counts(job)["done"] >= 3 and store.held_positions(job), timeout=120, interval=0.02)
    assert first.stop(30, hand_back=True)
    row = rt.engine.require(job)
    assert (row.status, row.attempts) == ("queued", 0), row
    done_before = store.counts(job)["done"]
    assert 3 <= done_before < COUNT

    second = PoolThread(rt.engine.pool(max_parallel=1), grace=1.0)
    second.start()
    try:
        wait_until(lambda: rt.engine.require(job).is_finished, timeout=180)
    finally:
        assert second.stop(30)
    row = rt.engine.require(job)
    assert (row.status, row.attempts) == ("succeeded", 1), row
    assert sorted(p.name for p in out.iterdir()) == [f"p{i:02}.png" for i in range(COUNT)]  # no " (2)", no temp file
