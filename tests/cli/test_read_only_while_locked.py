"""docs/command-line.md's promise: the commands that only look (jobs list/show, styles list/show, queue,
workers) answer while another program holds the library's write lock, on SQLite (an exclusive
transaction, like a backup tool's) and on PostgreSQL (every table locked against writers)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from desktop.runtime import open_runtime
from tests.helpers import REPO, cli

pytestmark = pytest.mark.timeout(300)

# Holds the library's write lock until stdin closes: argv[1] is the library's URL.
LOCKER = r"""
import sys
from sqlalchemy.engine import make_url
url = make_url(sys.argv[1])
if url.get_backend_name() == "sqlite":
    import sqlite3
    conn = sqlite3.connect(url.database, isolation_level=None, timeout=60)
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("UPDATE jobs SET message = message WHERE 0")
else:
    import psycopg
    conn = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    conn.execute("LOCK TABLE jobs, styles, style_images, workers, queue_pauses, alembic_version IN EXCLUSIVE MODE")
print("locked", flush=True)
sys.stdin.read()
conn.rollback()
"""

LOOKING = [
    ("jobs", "list", "--all"),
    ("jobs", "show", "1"),
    ("styles", "list"),
    ("styles", "list", "--json"),
    ("queue",),
    ("queue", "--json"),
    ("workers", "--all"),
]


def test_commands_that_only_look_answer_while_the_write_lock_is_held(home, database_url):
    rt = open_runtime(home, watch_external=False)
    try:
        rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
    finally:
        rt.close()
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, database_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert locker.stdout.readline().strip() == "locked"
        for args in LOOKING:
            result = cli(*args, home=home, timeout=50)  # a writer would wait a minute, then say "busy"
            assert result.returncode == 0, (args, result.stderr)
            assert "busy" not in result.stderr and "Reconnecting" not in result.stderr
        assert locker.poll() is None, "the lock was let go before the commands ran"
        assert _a_write_is_blocked(database_url), "the lock did not stop a writer"
    finally:
        locker.stdin.close()
        locker.wait(30)


def _a_write_is_blocked(url: str) -> bool:
    """A writer that waits at most a moment finds the library locked."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        conn = sqlite3.connect(parsed.database, isolation_level=None, timeout=0.2)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            conn.close()
        return False
    import psycopg

    with psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '200ms'")
        try:
            conn.execute("UPDATE jobs SET message = message")
        except psycopg.errors.LockNotAvailable:
            return True
    return False
