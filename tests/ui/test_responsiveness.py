"""What keeps the GUI thread responsive while jobs run beside the window (measured by
benchmarks/bench_ui_stall.py): the jobs' CPU work runs in worker processes, so the window's
process leaves the interpreter's own settings alone; the workers are started ahead of the first
job; one core is kept free of the jobs' in-process threads; and the gallery takes a new style
in on its own instead of re-reading every loaded one."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from desktop import app as desktop_app
from desktop.jobs import processes
from desktop.library.reading import Library
from desktop.pipelines.apply.request import enqueue_apply
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from desktop.ui.responsiveness import job_cpu_threads
from desktop.ui.styles_model import StyleIdRole, StylesModel
from tests.ui.conftest import arun, wait_until
from tests.ui.sample_library import add_styles


def test_job_cpu_threads_keep_one_core_for_the_window():
    assert job_cpu_threads(1) == 1
    assert job_cpu_threads(2) == 1
    assert job_cpu_threads(8) == 7


def test_the_window_leaves_the_interpreter_alone_and_starts_the_workers_ahead(qtbot, aloop, home):
    switch = sys.getswitchinterval()
    thresholds = gc.get_threshold()
    window = arun(qtbot, desktop_app.start(home))
    try:
        assert window.pool_thread.pool._executor._max_workers == job_cpu_threads(os.cpu_count())
        wait_until(lambda: window.responsiveness.warmed_workers, timeout=60)
        assert len(processes.worker_pids()) == processes.worker_count()
        assert os.getpid() not in processes.worker_pids()
        if hasattr(os, "getpriority"):  # nice 10: the window's GUI thread weighs nine times a worker
            assert all(processes.is_background(pid) for pid in processes.worker_pids())
        # no speed tuning; the collector only moved to the GUI thread (desktop/ui/gui_gc.py),
        # with Python's own thresholds
        assert sys.getswitchinterval() == switch
        assert not gc.isenabled() and gc.get_threshold() == thresholds and gc.get_freeze_count() == 0
    finally:
        arun(qtbot, desktop_app.stop(window), timeout=30)
    assert sys.getswitchinterval() == switch
    wait_until(gc.isenabled)  # automatic collection is back once the window is gone


def test_while_a_window_is_open_a_cycle_holding_a_qt_object_is_freed_on_the_gui_thread(qtbot, aloop, home):
    """A worker thread that allocates enough to start a collection must not free a Qt object
    (that crashed the process once); the GUI thread's timer frees it."""
    import threading

    from PySide6.QtCore import QObject, Qt

    window = arun(qtbot, desktop_app.start(home))
    try:
        freed_on: list[int] = []

        class Holder:
            pass

        def make_cycle() -> None:
            holder = Holder()
            holder.me = holder  # only the collector frees it
            holder.obj = QObject()
            holder.obj.destroyed.connect(lambda *_: freed_on.append(threading.get_ident()), Qt.ConnectionType.DirectConnection)

        def allocate() -> None:
            kept = [[] for _ in range(20_000)]  # far past the youngest generation's threshold
            del kept

        make_cycle()
        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert worker.ident not in freed_on
        wait_until(lambda: freed_on, timeout=30)
        assert freed_on == [threading.get_ident()]
    finally:
        arun(qtbot, desktop_app.stop(window), timeout=30)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers_cpu(pids: set[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += _cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass  # a worker that ended: its time is no longer counted anywhere (counted low)
    return total


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU times from /proc")
def test_a_batch_started_in_the_window_is_styled_by_other_processes(qtbot, aloop, home, tmp_path):
    """CPU time, not wall time: what the batch cost the window's process against what it cost
    the workers, so a loaded machine changes neither side's share much."""
    window = arun(qtbot, desktop_app.start(home))
    try:
        rt = window.runtime
        make = enqueue_style(rt, "golden warm tones", previews=1, size=64, seed=3)
        wait_until(lambda: rt.engine.get(make).is_finished, timeout=120)
        style = int(rt.engine.get(make).result_dict()["id"])
        assert Library(rt.db, rt.paths).require(style).lut_path.is_file()
        folder = tmp_path / "photos"
        folder.mkdir()
        first = folder / "photo-00.jpg"
        # 12 MP photos: the work per photo dwarfs what the window (and this test's polling) spends
        Image.effect_noise((4000, 3000), 60).convert("RGB").save(first, quality=90)
        for i in range(1, 16):
            shutil.copy(first, folder / f"photo-{i:02}.jpg")
        wait_until(lambda: window.responsiveness.warmed_workers, timeout=60)
        workers = set(processes.worker_pids())
        before_window, before_workers = sum(os.times()[:2]), _workers_cpu(workers)

        job = enqueue_apply(rt, style, [folder], out=tmp_path / "out", format="jpeg")
        seen: set[int] = set()

        def ended() -> bool:
            seen.update(processes.worker_pids())
            return rt.engine.get(job).is_finished

        wait_until(ended, timeout=180)
        window_cpu = sum(os.times()[:2]) - before_window
        workers_cpu = _workers_cpu(workers | seen) - before_workers
        row = rt.engine.get(job)
        assert row.status == "succeeded", row.error
        assert len(list((tmp_path / "out").glob("*.jpg"))) == 16
        assert workers_cpu > 2 * window_cpu, f"workers {workers_cpu:.2f} s, window's process {window_cpu:.2f} s"
    finally:
        arun(qtbot, desktop_app.stop(window), timeout=30)


def test_a_new_style_is_taken_in_without_rereading_the_gallery(qtbot, aloop, home):
    rt = open_runtime(home, watch_external=False)
    try:
        add_styles(home, 3, previews=1, start_time=time.time() - 60)
        model = StylesModel(Library(rt.db, rt.paths))
        model.refresh()
        wait_until(lambda: model.rowCount() == 3 and not model.busy)
        reads = []
        original = model._refreshes.once

        async def counting_refresh():
            reads.append(1)
            return await original()

        model._refreshes.once = counting_refresh
        (new_id,) = add_styles(home, 1, previews=1)  # as a job would commit it
        model.take_new(new_id)
        wait_until(lambda: model.rowCount() == 4 and not model.taking(new_id))
        assert model.index(0, 0).data(StyleIdRole) == new_id  # newest first
        assert model.total == 4
        assert reads == []  # that one style was read, not the whole gallery

        # two styles appeared but only one is announced: the model cannot account for the
        # other, so it reads everything again
        first, second = add_styles(home, 2, previews=1)
        model.take_new(second)
        wait_until(lambda: model.rowCount() == 6 and not model.busy)
        assert reads == [1]
        assert model.index(0, 0).data(StyleIdRole) == second
    finally:
        rt.close()
