"""One batch spread over several workers (item-level claiming), on SQLite and on PostgreSQL:
real ``stylestudio worker`` processes share the items of one job, each item is done exactly
once (its ``owner`` says by whom), a killed assistant's item is done by another worker, a
cancel reaches the assistants, and an item whose holder's lease ran out is taken over while
the late holder records nothing."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from desktop.errors import LeaseLost
from desktop.jobs.items import DONE, FAILED, PENDING, Fence, ItemStore
from desktop.jobs.model import Ending, JobStatus
from desktop.pipelines.apply.request import batch_items, enqueue_apply
from desktop.pipelines.diagnostics.request import ITEMS_TYPE, RECORD_FOLDER
from tests.batch.conftest import photo
from tests.helpers import run_pool, spawn_cli, wait_until
from tests.pg import RawSQL

LEASE = "6"  # seconds: the workers' leases (jobs and items), short so a test never waits long


class Worker:
    """A real ``stylestudio worker`` process; its output is drained by threads (never blocks)."""

    def __init__(self, home: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        full = {"STYLESTUDIO_LEASE_SECONDS": LEASE, "STYLESTUDIO_WORKER_PROCESSES": "1", **(env or {})}
        self.proc = spawn_cli("worker", "--max-parallel", "1", *extra, home=home, env=full)
        self.lines: list[str] = []
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._drain, args=(stream,), daemon=True).start()

    def _drain(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ready(self) -> bool:
        return any(line.startswith("Worker running") for line in self.lines)

    def is_me(self, owner: str | None) -> bool:
        return owner is not None and owner.split(":")[1:2] == [str(self.pid)]

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


@pytest.fixture
def workers(rt):
    started: list[Worker] = []

    def start(*extra: str) -> Worker:
        w = Worker(rt.paths.home, *extra)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def _holders(rt, job: int) -> dict[int, str]:
    return ItemStore(rt.db).held_positions(job)


def _records(rt, name: str) -> list[tuple[int, int, str]]:
    path = Path(rt.paths.home) / RECORD_FOLDER / name
    if not path.exists():
        return []
    return [(int(j), int(p), o) for j, p, o in (line.split(" ") for line in path.read_text().splitlines())]


def _led_by(rt, job: int, worker: Worker) -> bool:
    row = rt.engine.require(job)
    return row.status == "running" and worker.is_me(row.owner)


def test_two_worker_processes_share_one_photo_batch_and_each_photo_is_done_once(rt, style, tmp_path, workers):
    count = 24
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(count):
        photo(src / f"p{i:02}.jpg", size=(1200, 900), colour=(i * 10, 120, 200))
    a, b = workers(), workers()
    wait_until(lambda: a.ready() and b.ready(), timeout=120, interval=0.1)
    job = enqueue_apply(rt, style, [src], out=out)
    row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=300, interval=0.2)
    assert row.status == "succeeded", row.error
    items = batch_items(rt.db, job)
    assert all(i.status == DONE for i in items)
    # both processes styled photos, and the lead's result counts everyone's
    by = ItemStore(rt.db).done_by(job)
    assert sum(by.values()) == count and row.result_dict()["done"] == count
    assert {w.pid for w in (a, b) if any(w.is_me(o) for o in by)} == {a.pid, b.pid}, by
    assert all(o.split(":")[0] == socket.gethostname() for o in by)
    # each photo once: no " (2)" copy, no temporary file left, every file whole
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"p{i:02}.jpg" for i in range(count)]
    assert sorted(os.path.basename(i.output) for i in items) == names
    for p in out.iterdir():
        with Image.open(p) as im:
            im.load()
            assert im.size == (1200, 900)


def test_a_sigkilled_assistant_costs_only_its_item_which_another_worker_does_once(rt, tmp_path, workers):
    count = 16
    payload = {"seconds": 1.5, "parallel": 1, "record": "killed.txt"}
    store = ItemStore(rt.db)
    lead = workers()
    wait_until(lead.ready, timeout=120, interval=0.1)
    job = rt.engine.enqueue_batch(ITEMS_TYPE, payload, [f"item {i}" for i in range(count)])
    wait_until(lambda: _led_by(rt, job, lead), timeout=120, interval=0.05)
    helper = workers()

    def helping() -> bool:  # it has done an item, and took the next one under 0.7 s ago (of 1.5 s)
        if not any(helper.is_me(o) for o in store.done_by(job)):
            return False
        sql = RawSQL(rt.db)
        try:
            rows = sql.execute(
                "SELECT updated_at FROM job_items WHERE job_id = ? AND status = 'pending' AND owner LIKE ?",
                (job, f"%:{helper.pid}:%"),
            ).fetchall()
        finally:
            sql.close()
        return any(time.time() - claimed < 0.7 for (claimed,) in rows)  # a claim stamps updated_at

    wait_until(helping, timeout=180, interval=0.02)
    helper.proc.send_signal(signal.SIGKILL)
    helper.proc.wait(30)
    held = [p for p, o in _holders(rt, job).items() if helper.is_me(o)]  # what it was in the middle of
    assert held
    row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=240, interval=0.2)
    assert row.status == "succeeded", row.error
    items = {i.position: i for i in store.items(job)}
    assert all(i.status == DONE for i in items.values())
    for position in held:  # done by the lead, not by the killed helper
        assert lead.is_me(items[position].output), items[position]
    recorded = [p for _j, p, _o in _records(rt, "killed.txt")]
    assert len(recorded) == len(set(recorded))  # nothing done twice
    assert set(recorded) >= {p for p, i in items.items() if lead.is_me(i.output)}
    assert all(o == items[p].output for _j, p, o in _records(rt, "killed.txt"))  # who did it, as the table says
    assert sum(store.done_by(job).values()) == count


def test_a_cancel_reaches_the_assistant_which_lets_go_of_its_items(rt, tmp_path, workers):
    # items that never end by themselves: only a cancel can make the helper let go
    payload = {"seconds": 3600, "parallel": 2, "record": "canceled.txt"}
    lead = workers()
    wait_until(lead.ready, timeout=120, interval=0.1)
    job = rt.engine.enqueue_batch(ITEMS_TYPE, payload, [f"item {i}" for i in range(10)])
    wait_until(lambda: _led_by(rt, job, lead), timeout=120, interval=0.05)
    helper = workers()
    wait_until(lambda: sum(helper.is_me(o) for o in _holders(rt, job).values()) == 2, timeout=180, interval=0.05)
    rt.engine.cancel(job)
    row = wait_until(lambda: (r := rt.engine.require(job)).is_finished and r, timeout=120, interval=0.1)
    assert row.status == "canceled"
    wait_until(lambda: not any(helper.is_me(o) for o in _holders(rt, job).values()), timeout=120, interval=0.1)
    items = ItemStore(rt.db).items(job)
    assert [i.status for i in items] == [PENDING] * 10 and _records(rt, "canceled.txt") == []
    assert helper.proc.poll() is None  # the helper goes on working: only the batch stopped
    assert helper.stop() == 0 and lead.stop() == 0


def test_an_item_whose_lease_ran_out_is_taken_over_and_its_late_holder_records_nothing(rt):
    store = ItemStore(rt.db)
    job = rt.engine.enqueue_batch(ITEMS_TYPE, {"seconds": 0}, ["first", "second"])
    row = rt.engine.store.claim(rt.engine.owner, 30)
    assert row is not None and row.id == job
    lead = Fence.of(row)
    elsewhere = Fence.assisting(job, "render-box:4242:feedbeef")  # another machine: only its lease tells
    assert store.claim(elsewhere, 0.5).position == 0
    assert store.claim(lead, 30).position == 1  # the held item is skipped
    # the other machine stops renewing: once its lease has run out, the lead takes the item
    taken = wait_until(lambda: store.claim(lead, 30), timeout=60, interval=0.05)
    assert taken.position == 0
    with pytest.raises(LeaseLost):
        store.set(elsewhere, 0, status=DONE, output="late")
    store.set(lead, 0, status=DONE, output="on time")
    store.set(lead, 1, status=DONE, output="on time")
    assert [(i.status, i.output) for i in store.items(job)] == [(DONE, "on time"), (DONE, "on time")]
    assert store.done_by(job) == {rt.engine.owner: 2}


def test_an_assistant_takes_no_item_of_a_job_being_canceled_and_writes_nothing_after(rt):
    store = ItemStore(rt.db)
    job = rt.engine.enqueue_batch(ITEMS_TYPE, {"seconds": 0}, ["a", "b"])
    row = rt.engine.store.claim(rt.engine.owner, 30)
    helper = Fence.assisting(job, "render-box:4242:feedbeef")
    assert store.claim(helper, 30).position == 0
    rt.engine.cancel(job)
    assert store.claim(helper, 30) is None
    with pytest.raises(LeaseLost):  # a name for a new photo: no more once a cancel was asked
        store.reserve(helper, 0, "/out/a.jpg")
    rt.engine.store.finish(row, Ending(JobStatus.CANCELED, "Canceled"))
    with pytest.raises(LeaseLost):  # the job has ended: nothing at all
        store.set(helper, 0, status=DONE, output="/out/a.jpg")
    assert [i.status for i in store.items(job)] == [PENDING, PENDING]


def test_a_photo_this_worker_cannot_reach_fails_with_the_path_and_the_host(rt, style, tmp_path):
    here, gone, out = tmp_path / "here", tmp_path / "share", tmp_path / "out"
    photo(here / "a.jpg")
    photo(gone / "b.jpg")
    job = enqueue_apply(rt, style, [here, gone], out=out)
    shutil.rmtree(gone)  # the share is not mounted on the machine that runs the batch
    run_pool(rt, timeout=120)
    row = rt.engine.require(job)
    assert row.status == "succeeded" and row.message == "Done · 1 of 2 photos · 1 could not be styled"
    failed = [i for i in batch_items(rt.db, job) if i.status == FAILED]
    assert [i.error for i in failed] == [
        f"The photo {gone / 'b.jpg'} cannot be reached from {socket.gethostname()}; check that its folder is mounted there."
    ]
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg"]
