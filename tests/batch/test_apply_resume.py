"""The same batch asked for again is resumed, and a photo already styled is never styled twice:
a real ``stylestudio apply`` killed with SIGKILL mid-batch and run again makes exactly one file
per photo and leaves no job behind to add more later; run again after it finished, it writes
nothing new; the apply dialog's Start resumes the unfinished batch too."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from desktop.jobs.items import ItemStore
from desktop.pipelines.apply.request import batch_items, enqueue_apply, start_apply
from tests.batch.conftest import photo
from tests.helpers import cli, spawn_cli, wait_until
from tests.ui.conftest import aloop  # noqa: F401 - a fixture: the qasync loop the dialog runs on
from tests.ui.conftest import wait_until as qt_wait

COUNT = 40


def _apply_args(style: int, src: Path, out: Path) -> list[str]:
    return ["apply", str(style), str(src), "--out", str(out), "--format", "png", "--strength", "80"]


def _batches(rt) -> list:
    return [r for r in rt.engine.list() if r.type == "style.apply"]


def _done(rt, job: int) -> int:
    return ItemStore(rt.db).counts(job)["done"]


def test_sigkill_of_an_inline_apply_then_the_same_command_resumes_that_batch(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(COUNT):
        photo(src / f"p{i:02}.jpg", size=(900, 700), colour=(i * 6, 120, 200))
    first = spawn_cli(*_apply_args(style, src, out), home=rt.paths.home, env={"STYLESTUDIO_WORKER_PROCESSES": "1"})
    try:
        job = wait_until(lambda: next((r.id for r in _batches(rt)), None), timeout=60)
        wait_until(lambda: _done(rt, job) >= 4, timeout=120, interval=0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    done_before = _done(rt, job)
    assert done_before < COUNT and rt.engine.require(job).status == "running"  # left by a process that is gone

    again = cli(*_apply_args(style, src, out), home=rt.paths.home, timeout=300)
    assert again.returncode == 0, again.stderr
    lines = [line for line in again.stderr.splitlines() if line.startswith(f"Job {job} is this same batch")]
    assert len(lines) == 1, again.stderr
    assert f"({done_before} of {COUNT} photos done)" in lines[0]

    # one job, finished; nothing queued or running that could add files later
    rows = _batches(rt)
    assert [r.id for r in rows] == [job] and rows[0].status == "succeeded", [(r.id, r.status) for r in rows]
    assert all(r.is_finished for r in rt.engine.list())
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"p{i:02}.png" for i in range(COUNT)]  # exactly one per photo: no " (2)", no temporary file
    items = batch_items(rt.db, job)
    assert sorted(os.path.basename(i.output) for i in items) == names


def test_the_same_command_after_the_batch_finished_styles_nothing_again(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        photo(src / f"p{i}.jpg", colour=(i * 40, 90, 10))
    args = _apply_args(style, src, out)
    assert cli(*args, home=rt.paths.home).returncode == 0
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}
    assert sorted(stamps) == ["p0.png", "p1.png", "p2.png"]

    second = cli(*args, "--json", home=rt.paths.home)
    assert second.returncode == 0, second.stderr
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()} == stamps  # nothing written again

    (out / "p1.png").unlink()  # an output deleted since: that photo (only) is styled again
    third = cli(*args, home=rt.paths.home)
    assert third.returncode == 0, third.stderr
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}
    assert sorted(after) == ["p0.png", "p1.png", "p2.png"]
    assert after["p0.png"] == stamps["p0.png"] and after["p2.png"] == stamps["p2.png"]

    # other settings are another batch: styled again, beside the first ones
    other = cli("apply", str(style), str(src), "--out", str(out), "--format", "png", "--strength", "30", home=rt.paths.home)
    assert other.returncode == 0, other.stderr
    assert sorted(p.name for p in out.iterdir()) == ["p0 (2).png", "p0.png", "p1 (2).png", "p1.png", "p2 (2).png", "p2.png"]


def test_start_resumes_a_queued_batch_that_is_exactly_this_one_and_queues_another_one_otherwise(rt, style, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(2):
        photo(src / f"p{i}.jpg")
    queued = enqueue_apply(rt, style, [src], out=out)
    same = start_apply(rt, style, [src], out=out)
    assert same.resumed and same.job_id == queued and not same.following
    assert same.sentence().startswith(f"Job {queued} is this same batch, not finished (0 of 2 photos done)")
    photo(src / "p2.jpg")  # more photos: another batch
    more = start_apply(rt, style, [src], out=out)
    assert not more.resumed and more.job_id != queued
    changed = start_apply(rt, style, [src / "p0.jpg", src / "p1.jpg"], out=out, quality=50)
    assert not changed.resumed and changed.job_id not in (queued, more.job_id)


@pytest.fixture
def qt_loop(style, request):
    """The qasync loop the dialog runs on, started after the style was made (its pool runs
    with asyncio.run, which a running loop forbids)."""
    return request.getfixturevalue("aloop")


@pytest.mark.usefixtures("qt_loop")
def test_the_apply_dialog_s_start_resumes_the_unfinished_batch_that_is_exactly_this_one(rt, style, tmp_path, qtbot):
    from desktop.ui.apply_dialog import ApplyDialog

    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        photo(src / f"p{i}.jpg")
    queued = enqueue_apply(rt, style, [src], out=out)  # e.g. queued by an earlier Start, its window closed
    dialog = ApplyDialog(rt, style, [str(src)])
    qtbot.addWidget(dialog)
    started: list[int] = []
    dialog.jobStarted.connect(started.append)
    qt_wait(lambda: dialog.plan is not None)
    dialog.set_output(str(out))
    qt_wait(lambda: dialog.start_button.isEnabled())
    dialog.start_button.click()
    qt_wait(lambda: bool(started))
    assert started == [queued] and dialog.resumed
    assert [r.id for r in _batches(rt)] == [queued]  # no second batch
