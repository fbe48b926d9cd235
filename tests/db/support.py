"""Helpers for the library-opening tests: snapshots of a folder, refusals of the real command
line, and a small real disk (tmpfs) that can be filled up."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: its content hash (files) and its mode."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        mode = oct(path.stat().st_mode & 0o777)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        found[str(path.relative_to(folder))] = f"{digest} {mode}"
    return found


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def make_foreign_database(path: Path) -> None:
    """Another app's SQLite file (rollback journal, one table with a row)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO contacts (name) VALUES ('Ann')")
    conn.commit()
    conn.close()


def assert_refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit code 2 and exactly one line on stderr holding every needle; returns that line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text and "Logging error" not in text, text
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


class SmallDisk:
    """A tmpfs of a few MiB mounted for one test: a real disk that really fills up."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def fill(self) -> None:
        """Write until the disk refuses (ENOSPC), in ever smaller pieces."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 4096, 1):
                block = b"\0" * size
                while True:
                    try:
                        os.write(fd, block)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC, exc
                        break
        finally:
            os.close(fd)
        assert os.statvfs(self.root).f_bavail == 0

    def free_up(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path):
    """Mounting needs root (the tests run as root in CI); elsewhere the test says why it skips."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here, so the real disk-full case cannot run ({done.stderr.strip()})")
    try:
        yield SmallDisk(mount_point)
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
