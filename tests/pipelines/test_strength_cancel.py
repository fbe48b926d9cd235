"""Cancelling a style.strength job while it runs, on a real library (SQLite, real images, the
local generator, real worker processes): the job ends canceled, the style keeps its strength,
its .cube and previews are byte for byte what they were, and no temporary file is left in the
library's tmp/ or the style's folder.

The job is held at a known point (after its real work up to there is done, so its half-made
files exist) while the test asks to cancel it from another thread, as the window or
``stylestudio jobs cancel`` would."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from desktop.library.reading import Library
from desktop.pipelines.generate.request import enqueue_style
from desktop.pipelines.strength.request import enqueue_strength
from desktop.resources import sample_photos
from desktop.runtime import open_runtime
from tests.helpers import run_pool, wait_until

SAMPLES = sample_photos()
WAIT = 120.0  # generous: the machine may be busy
PREVIEWS = 2


@pytest.fixture
def rt(home):
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _make_style(rt, tmp_path) -> int:
    reference = tmp_path / "reference.png"
    shutil.copy(SAMPLES[2], reference)
    job_id = enqueue_style(rt, "warm film grain, teal and orange", reference=reference, previews=PREVIEWS, size=160, seed=11)
    run_pool(rt, timeout=WAIT)
    row = rt.engine.get(job_id)
    assert row.status == "succeeded", row.error
    return row.result_dict()["id"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class Hold:
    """Where the job stops until released: ``reached`` is set once it is there."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def stop_here(self) -> None:  # on one of the pool's threads
        self.reached.set()
        self.release.wait(WAIT)


def hold_after_writing_the_cube(monkeypatch, hold: Hold) -> None:
    """The new .cube is written in the job's tmp folder; no preview is rendered yet."""
    import desktop.exchange.cube as cube

    real = cube.write_pillow_lut

    def write_then_hold(*args, **kwargs):
        out = real(*args, **kwargs)
        hold.stop_here()
        return out

    monkeypatch.setattr(cube, "write_pillow_lut", write_then_hold)


def _hold_after_process_call(monkeypatch, hold: Hold, name: str, nth: int) -> None:
    import desktop.jobs.processes as processes

    real = processes.run
    calls = {"n": 0}

    async def run_then_hold(fn, *args, **kwargs):
        out = await real(fn, *args, **kwargs)
        if getattr(fn, "__name__", "") == name:
            calls["n"] += 1
            if calls["n"] == nth:
                await asyncio.to_thread(hold.stop_here)  # the pool's loop stays free meanwhile
        return out

    monkeypatch.setattr(processes, "run", run_then_hold)


def hold_after_the_last_preview(monkeypatch, hold: Hold) -> None:
    """Every new preview and thumbnail is rendered in the tmp folder; nothing is moved yet."""
    _hold_after_process_call(monkeypatch, hold, "render_preview_files", PREVIEWS)


def hold_after_measuring(monkeypatch, hold: Hold) -> None:
    """The last step before the commit: the style's quality at the new strength is measured."""
    _hold_after_process_call(monkeypatch, hold, "quality_at", 1)


@pytest.mark.parametrize("hold_at", [hold_after_writing_the_cube, hold_after_the_last_preview, hold_after_measuring])
def test_a_strength_job_canceled_while_it_runs_leaves_the_style_as_it_was(rt, tmp_path, monkeypatch, hold_at):
    style_id = _make_style(rt, tmp_path)
    library = Library(rt.db, rt.paths)
    before = library.require(style_id)
    assert before.params["strength"] == 90 and before.params.get("quality")
    old_files = _files(before.folder)
    assert "style.cube" in old_files and len(old_files) == 1 + 2 * PREVIEWS
    old_images = before.images
    assert list(rt.paths.tmp_dir.iterdir()) == []

    hold = Hold()
    hold_at(monkeypatch, hold)
    job_id = enqueue_strength(rt, style_id, 30)
    errors: list[BaseException] = []

    def pool() -> None:
        try:
            run_pool(rt, timeout=WAIT * 2)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    runner = threading.Thread(target=pool, name="strength-pool")
    runner.start()
    try:
        assert hold.reached.wait(WAIT), "the job never reached the point it is held at"
        assert rt.engine.get(job_id).status == "running"
        # its half-made files exist now, so "nothing left behind" below means something
        work = [p for p in rt.paths.tmp_dir.iterdir() if p.name.startswith(f"job-{job_id}-")]
        assert len(work) == 1 and (work[0] / "style.cube").is_file()
        rt.engine.cancel(job_id)
        wait_until(lambda: rt.engine.get(job_id).cancel_requested, WAIT, interval=0.05)
    finally:
        hold.release.set()
        runner.join(WAIT * 2)
    assert not runner.is_alive() and errors == []

    row = rt.engine.get(job_id)
    assert row.status == "canceled", (row.status, row.error)
    after = library.require(style_id)
    assert after.params["strength"] == 90, "the style keeps its old strength"
    assert after.params.get("strength_job") is None
    assert after.params["quality"] == before.params["quality"]
    assert after.images == old_images, "the rows still point at the old previews"
    assert _files(after.folder) == old_files, "the .cube and previews are byte-identical, and no new file is there"
    assert list(rt.paths.tmp_dir.iterdir()) == []
