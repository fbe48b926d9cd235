"""`jobs list` and `jobs watch` fit a terminal's width (issue 21 §6): on a real terminal (a
pseudo-terminal here, 100 columns) every line is cut to fit, with "…" last; into a pipe the
lines stay whole for scripts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from desktop.runtime import open_runtime
from tests.helpers import REPO, cli

LONG = "Applying 3 of 200 · " + "a very long file name that goes on and on " * 5


def _library_with_a_long_message(home) -> None:
    rt = open_runtime(home, watch_external=False)
    try:
        job_id = rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    finally:
        rt.close()
    con = sqlite3.connect(home / "library.sqlite3")
    con.execute("UPDATE jobs SET message = ? WHERE id = ?", (LONG, job_id))
    con.commit()
    con.close()


def _on_a_terminal(home, columns: int, *args: str) -> str:
    main, secondary = os.openpty()
    env = dict(os.environ, STYLESTUDIO_HOME=str(home), COLUMNS=str(columns))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "desktop.cli", *args], stdout=secondary, stderr=subprocess.PIPE, env=env, cwd=REPO, timeout=60
        )
        os.close(secondary)
        secondary = -1
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if secondary >= 0:
            os.close(secondary)
        os.close(main)
    assert proc.returncode == 0, proc.stderr
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_jobs_list_fits_a_100_column_terminal_and_a_pipe_gets_whole_lines(home):
    _library_with_a_long_message(home)
    shown = _on_a_terminal(home, 100, "jobs", "list", "--all")
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 2 and all(len(line) <= 100 for line in lines), lines
    assert lines[1].endswith("…") and "Applying 3 of 200" in lines[1]
    piped = cli("jobs", "list", "--all", home=home)
    assert LONG.strip() in piped.stdout, "a pipe keeps the whole message"
