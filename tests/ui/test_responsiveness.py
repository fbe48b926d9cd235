"""What keeps the GUI thread responsive while jobs run in the window's process (measured by
benchmarks/bench_ui_stall.py): process-wide settings set while a window is open and put back
when it closes, one core kept free of job CPU work, and the gallery taking a new style in on
its own instead of re-reading every loaded one."""

from __future__ import annotations

import gc
import os
import sys
import time
import weakref

from desktop import app as desktop_app
from desktop.library import Library
from desktop.runtime import open_runtime
from desktop.ui.responsiveness import SWITCH_INTERVAL, job_cpu_threads
from desktop.ui.styles_model import StyleIdRole, StylesModel
from tests.ui.conftest import arun, wait_until
from tests.ui.sample_library import add_styles


class Node:
    me: object = None


def test_job_cpu_threads_keep_one_core_for_the_window():
    assert job_cpu_threads(1) == 1
    assert job_cpu_threads(2) == 1
    assert job_cpu_threads(8) == 7


def test_settings_hold_while_the_window_is_open_and_are_put_back(qtbot, aloop, home):
    before_switch = sys.getswitchinterval()
    assert gc.isenabled()
    window = arun(qtbot, desktop_app.start(home))
    try:
        assert sys.getswitchinterval() == min(before_switch, SWITCH_INTERVAL)
        assert not gc.isenabled()  # collections run on the GUI thread, paced by a timer
        assert gc.get_freeze_count() > 0
        assert window.pool_thread.pool._executor._max_workers == job_cpu_threads(os.cpu_count())
        # garbage cycles still go: the pacer collects them, on the GUI thread
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
        churn = [[] for _ in range(5000)]  # more new objects than the young generation holds
        wait_until(lambda: gone() is None)
        assert sum(window.responsiveness.collections) > 0
        del churn
    finally:
        arun(qtbot, desktop_app.stop(window), timeout=30)
    assert sys.getswitchinterval() == before_switch
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_new_style_is_taken_in_without_rereading_the_gallery(qtbot, aloop, home):
    rt = open_runtime(home, watch_external=False)
    try:
        add_styles(home, 3, previews=1, start_time=time.time() - 60)
        model = StylesModel(Library(rt.db, rt.paths))
        model.refresh()
        wait_until(lambda: model.rowCount() == 3 and not model.busy)
        reads = []
        original = model._refresh

        async def counting_refresh():
            reads.append(1)
            await original()

        model._refresh = counting_refresh
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
