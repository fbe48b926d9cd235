"""Closing the window while its threads read and write the library, many times in a row, in a
fresh process: a connection closed under a running read crashes the process (exit -11), which
only a fresh process shows."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop.runtime import open_runtime
from tests.helpers import REPO

CYCLES = 30


@pytest.mark.timeout(900)
def test_closing_the_window_mid_read_never_crashes_nor_leaves_a_job_running(home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STYLESTUDIO_HOME=str(home))
    out = subprocess.run(
        [sys.executable, "-m", "tests.ui.shutdown_cycles", str(home), str(CYCLES)],
        capture_output=True,
        text=True,
        timeout=840,
        cwd=REPO,
        env=env,
    )
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    assert out.stdout.split()[-2:] == ["ok", str(CYCLES)]
    rt = open_runtime(home, watch_external=False)
    try:
        rows = rt.engine.list(include_finished=True, limit=10_000)
        assert len(rows) >= CYCLES * 5  # the jobs were made: each cycle enqueued at least five
        assert [r.id for r in rows if r.status == "running"] == []
    finally:
        rt.close()
    log = (home / "logs" / "stylestudio.log").read_text()
    assert "A window task failed" not in log  # a call refused at the close is no error
