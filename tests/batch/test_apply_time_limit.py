"""Each photo has a time limit (``STYLESTUDIO_PHOTO_TIME_LIMIT``): a photo that takes longer has
its worker process killed and fails with a sentence; the photos in flight beside it are styled
again without their deaths counting against them, and the batch goes on. Real slow photos, real
worker processes."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from desktop.jobs import processes
from desktop.pipelines.apply.photos import span, time_limit
from desktop.pipelines.apply.request import batch_items, enqueue_apply
from tests.batch.conftest import photo
from tests.helpers import run_pool

# The limit sits far from both sides, so a loaded machine (small photos slower) and a fast one
# (slow photos faster) both keep it between them: a small photo takes about half a second in a
# new worker process on a quiet machine (gate runs with two suites and a busy loop on 2 cores
# pushed one past 2.5 s, then past 6 s), a slow one (9,000 x 9,000 noise to WebP) about 40 s
# here.
LIMIT = 15


@pytest.fixture
def two_workers(monkeypatch):
    """A fresh pool of two worker processes, and a photo time limit of ``LIMIT`` seconds."""
    processes.shutdown()
    monkeypatch.setenv("STYLESTUDIO_WORKER_PROCESSES", "2")
    monkeypatch.setenv("STYLESTUDIO_PHOTO_TIME_LIMIT", str(LIMIT))
    yield
    processes.shutdown()


def test_photos_over_the_time_limit_fail_with_a_sentence_and_the_others_are_styled(rt, style, tmp_path, two_workers):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    slow = src / "a_slow0.jpg"  # as WebP about 40 s on a quiet machine; a small one 0.3 s
    Image.effect_noise((9000, 9000), 60).convert("RGB").save(slow, quality=90)
    os.link(slow, src / "a_slow1.jpg")  # one for each worker process
    for i in range(4):
        photo(src / f"b_small{i}.jpg", colour=(i * 50, 100, 100))
    job = enqueue_apply(rt, style, [src], out=out, format="webp")
    run_pool(rt, max_parallel=1, timeout=240)
    row = rt.engine.require(job)
    items = {os.path.basename(i.input): i for i in batch_items(rt.db, job)}
    for i in range(2):
        item = items[f"a_slow{i}.jpg"]
        assert item.status == "failed" and item.error.startswith(f'"a_slow{i}.jpg" took longer than {LIMIT} seconds to style, so it was stopped;'), item.error
    # the small photos were in flight when the slow ones' workers were killed: styled all the same
    assert [items[f"b_small{i}.jpg"].status for i in range(4)] == ["done"] * 4
    assert row.status == "succeeded" and row.message == "Done · 4 of 6 photos · 2 could not be styled"
    assert row.result_dict()["problems"].startswith("2 of 6 photos could not be styled")
    assert sorted(p.name for p in out.iterdir()) == [f"b_small{i}.webp" for i in range(4)]  # no temporary file left


def test_a_photo_swapped_for_a_pipe_after_planning_does_not_stall_the_batch(rt, style, tmp_path, two_workers):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        photo(src / f"p{i}.jpg")
    job = enqueue_apply(rt, style, [src], out=out)
    (src / "p1.jpg").unlink()
    os.mkfifo(src / "p1.jpg")  # nobody ever writes to it: opening it for reading blocks
    run_pool(rt, max_parallel=1, timeout=120)
    items = {os.path.basename(i.input): i for i in batch_items(rt.db, job)}
    assert items["p1.jpg"].status == "failed" and items["p1.jpg"].error.endswith(".")
    assert items["p0.jpg"].status == items["p2.jpg"].status == "done"
    assert sorted(p.name for p in out.iterdir()) == ["p0.jpg", "p2.jpg"]


def test_the_time_limit_is_ten_minutes_unless_set(monkeypatch):
    monkeypatch.delenv("STYLESTUDIO_PHOTO_TIME_LIMIT", raising=False)
    assert time_limit() == 600 and span(time_limit()) == "10 minutes"
    for text, seconds in (("90", 90), ("0.5", 0.5), ("nonsense", 600), ("-3", 600), ("inf", 600)):
        monkeypatch.setenv("STYLESTUDIO_PHOTO_TIME_LIMIT", text)
        assert time_limit() == seconds
    assert span(90) == "1.5 minutes" and span(1) == "1 second" and span(2) == "2 seconds"
