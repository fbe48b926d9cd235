"""A one-job command starts only the workers it can use (``processes.warm(workers=N)``) and
ends them at exit without waiting for them to wind down (``processes.stop_now``)."""

from __future__ import annotations

import os

from desktop.jobs import processes
from tests.helpers import wait_until


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_warm_starts_only_the_workers_asked_for_and_stop_now_ends_them(monkeypatch):
    monkeypatch.setenv("STYLESTUDIO_WORKER_PROCESSES", "2")
    processes.shutdown()
    try:
        futures = processes.warm(("desktop.pipelines.generate.work",), workers=1)
        assert len(futures) == 1
        pid = futures[0].result(timeout=120)
        assert processes.worker_pids() == [pid], "one worker asked for, one started"
    finally:
        processes.stop_now()
    assert processes.worker_pids() == []
    wait_until(lambda: not _alive(pid), timeout=30)  # killed, not left to wind down
    processes.stop_now()  # again, with no pool: nothing
