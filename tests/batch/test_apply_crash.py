"""A batch survives the death of its processes: every item done exactly once, none
half-written, whether the coordinating worker or one of the photo worker processes is killed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from PIL import Image

from desktop.jobs import processes
from desktop.jobs.pool_thread import PoolThread
from desktop.pipelines.apply.request import batch_items, enqueue_apply
from tests.batch.conftest import photo
from tests.helpers import spawn_cli, wait_until

COUNT = 24


def _batch(tmp_path: Path) -> tuple[Path, Path]:
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(COUNT):
        photo(src / f"p{i:02}.jpg", size=(1200, 900), colour=(i * 10, 120, 200))
    return src, out


def _done(rt, job) -> int:
    return sum(i.status == "done" for i in batch_items(rt.db, job))


def _check_exactly_once(rt, job, out: Path) -> None:
    items = batch_items(rt.db, job)
    assert all(i.status == "done" for i in items), [(i.input, i.status, i.error) for i in items if i.status != "done"]
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"p{i:02}.jpg" for i in range(COUNT)]  # no " (2)" copies, no temporary files
    assert sorted(os.path.basename(i.output) for i in items) == names
    for p in out.iterdir():  # none half-written
        with Image.open(p) as im:
            im.load()
            assert im.size == (1200, 900)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(t) for t in text)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _hold_last(rt, job: int, held: bool) -> None:
    """The batch's last photo held by another live worker (this test's process) for an hour, or
    let go: while it is held, the batch cannot end, whatever the machine's speed."""
    import socket
    import time

    from sqlalchemy import text

    owner, until = (f"{socket.gethostname()}:{os.getpid()}:hold", time.time() + 3600) if held else (None, None)
    with rt.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE job_items SET owner = :owner, lease_until = :until WHERE job_id = :job AND position = :last"),
            {"owner": owner, "until": until, "job": job, "last": COUNT - 1},
        )


def test_sigkill_of_the_worker_mid_batch_then_a_new_worker_finishes_each_item_once(rt, style, tmp_path):
    src, out = _batch(tmp_path)
    job = enqueue_apply(rt, style, [src], out=out)
    _hold_last(rt, job, True)
    worker = spawn_cli("worker", "--max-parallel", "1", home=rt.paths.home)
    try:
        wait_until(lambda: _done(rt, job) >= 3, timeout=120, interval=0.05)
        children = _children(worker.pid)
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        # the photo workers of the killed process do not outlive it for long
        wait_until(lambda: not any(_alive(c) for c in children), timeout=60, interval=0.1)
        assert _done(rt, job) < COUNT
    finally:
        if worker.poll() is None:
            worker.kill()
    _hold_last(rt, job, False)
    second = spawn_cli("worker", "--exit-when-idle", home=rt.paths.home)
    try:
        assert second.wait(180) == 0, second.stderr.read()
    finally:
        if second.poll() is None:
            second.kill()
    assert rt.engine.require(job).status == "succeeded"
    _check_exactly_once(rt, job, out)


def test_a_photo_worker_process_killed_mid_batch_is_replaced_and_its_photos_redone(rt, style, tmp_path):
    src, out = _batch(tmp_path)
    job = enqueue_apply(rt, style, [src], out=out)
    pool = PoolThread(rt.engine.pool(max_parallel=1))
    pool.start()
    try:
        wait_until(lambda: _done(rt, job) >= 2 and processes.worker_pids(), timeout=120, interval=0.05)
        os.kill(processes.worker_pids()[0], signal.SIGKILL)
        row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=180, interval=0.1)
    finally:
        assert pool.stop(timeout=60)
    assert row.status == "succeeded", row.error
    _check_exactly_once(rt, job, out)
