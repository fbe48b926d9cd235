"""A batch reads only the photos and writes only into the output folder a front door checked:
a ``style.apply`` payload written by hand, or a batch whose photos were changed in the
database, is refused in one sentence and touches nothing; real front-door batches still run."""

from __future__ import annotations

import json

from desktop.jobs.pool_thread import PoolThread
from desktop.pipelines.apply.grant import REFUSED
from desktop.pipelines.apply.request import JOB_TYPE, batch_items, enqueue_apply
from tests.batch.conftest import photo
from tests.helpers import cli, run_pool, wait_until
from tests.pg import RawSQL


def test_a_hand_written_payload_is_refused_at_enqueue_and_creates_nothing(rt, style, tmp_path):
    out = tmp_path / "anywhere"
    payload = {"style": style, "out": str(out)}
    res = cli("jobs", "enqueue", JOB_TYPE, "--payload", json.dumps(payload), home=rt.paths.home)
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "without their grant is refused" in res.stderr
    assert [r.type for r in rt.engine.list()] == ["style.generate"] and not out.exists()


def test_a_forged_grant_fails_the_job_in_one_sentence_before_any_file_is_opened_or_made(rt, style, tmp_path):
    secret = tmp_path / "secret.png"
    photo(secret)
    out = tmp_path / "loot"
    payload = {"style": style, "out": str(out), "count": 1, "grant": "0" * 64}
    job = rt.engine.enqueue_batch(JOB_TYPE, payload, [str(secret)])
    run_pool(rt, timeout=60)
    row = rt.engine.require(job)
    assert row.status == "failed" and row.error == REFUSED
    assert not out.exists()  # no folder made, no photo written


def test_a_batch_whose_photos_were_changed_in_the_database_is_refused(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.jpg")
    secret = photo(tmp_path / "private" / "secret.png", colour=(1, 2, 3))
    job = enqueue_apply(rt, style, [src], out=out)
    sql = RawSQL(rt.db)
    try:
        sql.execute("UPDATE job_items SET input = ? WHERE job_id = ?", (str(secret), job))
    finally:
        sql.close()
    run_pool(rt, timeout=60)
    row = rt.engine.require(job)
    assert row.status == "failed" and row.error == REFUSED
    assert not out.exists()


def test_a_photo_changed_in_the_database_while_the_batch_runs_is_never_opened(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(12):
        photo(src / f"p{i:02}.jpg", size=(1200, 900))
    secret = photo(tmp_path / "private" / "secret.png", colour=(1, 2, 3))
    job = enqueue_apply(rt, style, [src], out=out)
    pool = PoolThread(rt.engine.pool(max_parallel=1))
    pool.start()
    try:
        wait_until(lambda: sum(i.status == "done" for i in batch_items(rt.db, job)) >= 1, timeout=120, interval=0.05)
        sql = RawSQL(rt.db)
        try:  # the last photo, still pending, now names another file
            sql.execute("UPDATE job_items SET input = ? WHERE job_id = ? AND position = 11 AND status = 'pending'", (str(secret), job))
        finally:
            sql.close()
        row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=120)
    finally:
        assert pool.stop(timeout=60)
    assert row.status == "failed" and row.error == REFUSED
    wait_until(lambda: not [p for p in out.iterdir() if p.name.endswith(".part")], timeout=60)  # photos in flight end
    assert not (out / "secret.png").exists() and all(p.name.startswith("p") for p in out.iterdir())


def test_front_door_batches_carry_a_grant_that_covers_their_photos_and_run(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    photo(src / "a.jpg")
    res = cli("apply", str(style), str(src), "--out", str(out), "--enqueue", home=rt.paths.home)
    assert res.returncode == 0, res.stderr
    job = int(res.stdout)
    assert len(rt.engine.require(job).payload_dict()["grant"]) == 64
    run_pool(rt, timeout=60)
    assert rt.engine.require(job).status == "succeeded"
    assert [p.name for p in out.iterdir()] == ["a.jpg"]
