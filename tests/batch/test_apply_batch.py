"""style.apply end to end with real files and real worker processes: mixed inputs, originals
untouched, name collisions, cancel, partial failure then retry of the failed items only."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from desktop.errors import UserError
from desktop.jobs.pool_thread import PoolThread
from desktop.pipelines.apply.request import batch_items, enqueue_apply
from tests.batch.conftest import adobe_rgb_profile, hashes, photo, rotated_jpeg, sha
from tests.helpers import run_pool, wait_until


def _mixed(folder):
    rotated_jpeg(folder / "rotated.jpg")
    im = Image.new("RGBA", (80, 60), (200, 80, 40, 255))
    im.paste((0, 0, 0, 0), (0, 0, 40, 60))
    im.save(folder / "alpha.png")
    Image.new("I;16", (70, 50), 30000).save(folder / "deep.tif")
    Image.new("CMYK", (60, 40), (10, 80, 200, 0)).save(folder / "cmyk.jpg")
    Image.new("RGB", (50, 50), (60, 170, 90)).save(folder / "adobe.png", icc_profile=adobe_rgb_profile())
    good = (folder / "rotated.jpg").read_bytes()
    (folder / "damaged.jpg").write_bytes(good[: len(good) // 2])
    (folder / "notes.jpg").write_text("this is not a photo\n")
    (folder / "shot.CR2").write_bytes(b"II*\0" + b"\0" * 200)
    (folder / "readme.txt").write_text("skipped")
    photo(folder / "nested" / "deeper.jpg")


def test_a_mixed_folder_styles_the_photos_fails_the_rest_with_reasons_and_never_touches_originals(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    _mixed(src)
    before = hashes(src)
    job = enqueue_apply(rt, style, [src], out=out, recursive=True)
    run_pool(rt, timeout=120)
    row = rt.engine.require(job)
    items = {os.path.basename(i.input): i for i in batch_items(rt.db, job)}
    assert "readme.txt" not in items and set(items) >= {"deeper.jpg", "shot.CR2"}
    done = {n for n, i in items.items() if i.status == "done"}
    assert done == {"rotated.jpg", "alpha.png", "deep.tif", "cmyk.jpg", "adobe.png", "deeper.jpg"}
    failed = {n: i.error for n, i in items.items() if i.status == "failed"}
    assert set(failed) == {"damaged.jpg", "notes.jpg", "shot.CR2"}
    assert "RAW" in failed["shot.CR2"] and "text" in failed["notes.jpg"]
    assert all(e and e.endswith(".") for e in failed.values())
    # a success with problems: the styled photos are there to use, the failed ones are named
    assert row.status == "succeeded" and row.message == "Done · 6 of 9 photos · 3 could not be styled"
    result = row.result_dict()
    assert result.pop("problems").startswith("3 of 9 photos could not be styled (the first: ")
    assert result == {"table": "styles", "id": style, "out": str(out), "done": 6, "failed": 3}
    assert hashes(src) == before  # originals untouched
    with Image.open(items["rotated.jpg"].output) as im:
        assert im.size == (64, 96)
    with Image.open(items["alpha.png"].output) as im:
        assert im.mode == "RGBA" and im.getpixel((5, 30))[3] == 0
    for name in ("deep.tif", "cmyk.jpg", "adobe.png"):
        with Image.open(items[name].output) as im:
            im.load()
            assert im.mode in ("RGB", "RGBA")
    assert sorted(p.name for p in out.iterdir()) == sorted(os.path.basename(items[n].output) for n in done)


def test_names_never_collide_and_nothing_is_overwritten(rt, style, tmp_path):
    a, b, out = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    photo(a / "x.jpg")
    photo(b / "x.jpg", colour=(10, 200, 10))
    photo(out / "x.jpg", colour=(1, 2, 3))
    kept = sha(out / "x.jpg")
    job = enqueue_apply(rt, style, [a, b], out=out)
    run_pool(rt, timeout=60)
    assert rt.engine.require(job).status == "succeeded"
    assert sorted(p.name for p in out.iterdir()) == ["x (2).jpg", "x (3).jpg", "x.jpg"]
    assert sha(out / "x.jpg") == kept


def test_partial_failure_then_retry_runs_only_the_failed_items(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        photo(src / f"p{i}.jpg")
    (src / "late.jpg").write_text("not yet a photo")
    job = enqueue_apply(rt, style, [src], out=out)
    run_pool(rt, timeout=60)
    row = rt.engine.require(job)
    assert row.status == "succeeded" and row.message == "Done · 3 of 4 photos · 1 could not be styled"
    assert "1 of 4 photos could not be styled" in row.result_dict()["problems"]
    first = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}
    assert len(first) == 3
    photo(src / "late.jpg")  # the user fixes the file
    rt.engine.retry(job)
    run_pool(rt, timeout=60)
    row = rt.engine.require(job)
    assert row.status == "succeeded" and row.message == "Done" and row.result_dict()["done"] == 4 and row.result_dict()["failed"] == 0
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}
    assert set(after) == set(first) | {"late.jpg"}
    assert {n: after[n] for n in first} == first  # the done ones were not redone
    with pytest.raises(UserError, match="batches with photos that failed, can be retried"):
        rt.engine.retry(job)  # every photo is done: nothing is left to retry


def test_cancel_stops_the_batch_keeps_finished_photos_and_says_how_many(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(40):
        photo(src / f"p{i:02}.jpg", size=(1200, 900))
    job = enqueue_apply(rt, style, [src], out=out)
    pool = PoolThread(rt.engine.pool(max_parallel=1))
    pool.start()
    try:
        wait_until(lambda: sum(i.status == "done" for i in batch_items(rt.db, job)) >= 2, timeout=120, interval=0.05)
        rt.engine.cancel(job)
        row = wait_until(lambda: (r := rt.engine.require(job)).status == "canceled" and r, timeout=30)
    finally:
        assert pool.stop(timeout=60)
    done = [i for i in batch_items(rt.db, job) if i.status == "done"]
    assert 2 <= len(done) < 40
    assert row.message == f"Canceled after {len(done)} of 40; {len(done)} photos are in {out}"
    wait_until(lambda: not any(p.name.endswith(".part") for p in out.iterdir()), timeout=60)
    assert sorted(p.name for p in out.iterdir()) == sorted(os.path.basename(i.output) for i in done)


def test_refused_input_creates_no_job(rt, style, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="No photos were found"):
        enqueue_apply(rt, style, [tmp_path / "empty"], out=tmp_path / "out")
    with pytest.raises(UserError, match="There is no style"):
        enqueue_apply(rt, 999, [photo(tmp_path / "p.jpg")], out=tmp_path / "out")
    with pytest.raises(UserError, match="does not exist"):
        enqueue_apply(rt, style, [tmp_path / "missing.jpg"], out=tmp_path / "out")
    assert [r.type for r in rt.engine.list()] == ["style.generate"]
    assert not (tmp_path / "out").exists()


def test_the_item_writes_of_a_run_that_lost_its_row_change_nothing(rt, style, tmp_path):
    from desktop.errors import LeaseLost
    from desktop.jobs.items import DONE, Fence, ItemStore

    job = enqueue_apply(rt, style, [photo(tmp_path / "p.jpg")], out=tmp_path / "out")
    store = ItemStore(rt.db)
    with pytest.raises(LeaseLost):  # the job is queued, not running for this (made-up) run
        store.set(Fence(job, 1, "someone"), 0, status=DONE, output="x")
    assert store.items(job)[0].status == "pending"


def test_a_batch_where_nothing_could_be_styled_is_the_one_that_fails(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "a.jpg").write_text("not a photo")
    (src / "b.jpg").write_bytes(b"")
    job = enqueue_apply(rt, style, [src], out=out)
    run_pool(rt, timeout=60)
    row = rt.engine.require(job)
    assert row.status == "failed" and row.error.startswith("2 of 2 photos could not be styled")
