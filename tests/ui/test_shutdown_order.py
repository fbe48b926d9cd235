"""The window's close waits for the reads its threads are doing before the library closes, on
both paths (``stop`` on the event loop, ``stop_blocking`` when Qt quits), and a refresh asked
for while it closes is refused quietly (no error in the log, nothing read)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from desktop import app as desktop_app
from desktop.ui import async_utils
from desktop.ui.async_utils import run_blocking, spawn
from tests.ui.conftest import arun, wait_until


@pytest.mark.parametrize("path", ["stop", "stop_blocking"])
def test_the_library_closes_only_after_the_reads_in_flight_end(qtbot, aloop, home, path):
    win = arun(qtbot, desktop_app.start(home))
    runtime = win.runtime
    engine = runtime.engine
    events: list[str] = []
    release = threading.Event()

    started: list[int] = []

    def slow_read() -> int:  # a read that is still going when the close begins
        started.append(1)
        release.wait(30)
        time.sleep(0.2)  # (a close that did not wait would close the library meanwhile)
        rows = engine.list(include_finished=True, limit=10)
        events.append("read")
        return len(rows)

    reads = [spawn(run_blocking(slow_read)) for _ in range(3)]
    wait_until(lambda: len(started) == 3)  # all three are running on threads

    original_shutdown, original_close = win.shutdown, runtime.close

    def shutdown() -> None:  # the close has begun: let the reads go on
        original_shutdown()
        release.set()

    def close() -> None:
        events.append("closed")
        original_close()

    win.shutdown = shutdown
    runtime.close = close
    if path == "stop":
        arun(qtbot, desktop_app.stop(win), timeout=60)
    else:
        desktop_app.stop_blocking(win)
    assert events == ["read", "read", "read", "closed"]
    assert async_utils.in_flight() == 0
    # the tasks that awaited the reads were canceled (the window no longer wanted them)
    arun(qtbot, _settle(reads))
    assert all(t.done() for t in reads)


async def _settle(tasks) -> None:
    import asyncio

    await asyncio.wait(tasks, timeout=30)


def test_a_refresh_asked_while_closing_reads_nothing_and_is_no_error(qtbot, aloop, home, caplog):
    win = arun(qtbot, desktop_app.start(home))
    engine = win.runtime.engine
    reads: list[str] = []
    original_list = engine.list

    def counting_list(*args, **kwargs):
        reads.append("list")
        return original_list(*args, **kwargs)

    wait_until(lambda: not win.jobs_model.loading)  # the first load is done
    engine.list = counting_list
    original_shutdown = win.shutdown

    def shutdown() -> None:  # as if a change arrived just as the window closes
        original_shutdown()
        win.jobs_model.reload()
        win.styles_model.refresh()

    win.shutdown = shutdown
    with caplog.at_level(logging.DEBUG, logger="desktop.ui.async_utils"):
        arun(qtbot, desktop_app.stop(win), timeout=60)
    assert reads == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert async_utils.in_flight() == 0
