"""Commands that only look (jobs list/show, styles list/show) write nothing to the library:
no recovery of a dead process's job, no purge, no clean-up of temporary files."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from desktop.jobs.owners import HOSTNAME
from desktop.runtime import open_runtime
from tests.helpers import cli
from tests.pg import RawSQL


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_looking_changes_nothing_and_the_next_writer_recovers(home, database_url):
    rt = open_runtime(home)
    try:
        running = rt.engine.enqueue("diagnostics.sleep", {})
        old = rt.engine.enqueue("diagnostics.sleep", {})
        rt.engine.enqueue("diagnostics.sleep", {})  # the newest, so that no id is used again
        conn = RawSQL(rt.db)
        conn.execute(
            "UPDATE jobs SET status = 'running', attempts = 1, owner = ?, lease_until = ? WHERE id = ?",
            (f"{HOSTNAME}:{_dead_pid()}:gone", time.time() + 3600, running),
        )
        month_ago = time.time() - 30 * 86400
        conn.execute(
            "UPDATE jobs SET status = 'succeeded', finished_at = ?, updated_at = ? WHERE id = ?",
            (month_ago, month_ago, old),
        )
        conn.close()
    finally:
        rt.close()
    stale = home / "tmp" / f"job-{running}-half-made"
    stale.mkdir(parents=True)

    for args in (("jobs", "list", "--all", "--json"), ("jobs", "show", str(running), "--json"),
                 ("styles", "list"), ("styles", "show", "1")):
        result = cli(*args, home=home)
        assert result.returncode in (0, 2), result.stderr
    rows = {d["id"]: d for d in json.loads(cli("jobs", "list", "--all", "--json", home=home).stdout)}
    assert rows[running]["status"] == "running", "a read-only command recovered a job"
    assert old in rows, "a read-only command purged a finished job"
    assert stale.is_dir(), "a read-only command removed temporary files"

    assert cli("jobs", "enqueue", "diagnostics.sleep", home=home).returncode == 0  # a writer
    rows = {d["id"]: d for d in json.loads(cli("jobs", "list", "--all", "--json", home=home).stdout)}
    assert rows[running]["status"] in ("queued", "failed")
    assert old not in rows and not stale.exists()
