"""The data folder and everything Style Studio keeps in it are private to the user (POSIX)."""

from __future__ import annotations

import os
import stat

import pytest

from desktop.config import Settings, ensure_writable, resolve_paths
from desktop.logs import flush_logs
from desktop.runtime import open_runtime
from tests.helpers import cli

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX matter")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_library_is_private_folders_0700_files_0600(tmp_path):
    old_umask = os.umask(0o022)  # the usual umask: new files would be 0644, folders 0755
    home = tmp_path / "home"
    rt = open_runtime(home)
    try:
        Settings.load(rt.paths).save(rt.paths)
        rt.engine.enqueue("diagnostics.sleep", {"seconds": 0})
        flush_logs()
        folders = [home, home / "logs", home / "uploads", home / "styles", home / "tmp"]
        files = [home / "library.sqlite3", home / "library.sqlite3-wal", home / "library.sqlite3-shm", home / "logs" / "stylestudio.log", home / "settings.json"]
        for folder in folders:
            assert _mode(folder) == 0o700, folder
        for file in files:
            assert file.exists(), file
            assert _mode(file) == 0o600, file
    finally:
        rt.close()
        os.umask(old_umask)


def test_a_library_made_before_is_made_private_when_opened(tmp_path):
    home = tmp_path / "home"
    assert cli("--home", str(home), "jobs", "enqueue", "diagnostics.sleep").returncode == 0
    (home / "settings.json").write_text("{}")
    for path in home.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chmod(home, 0o755)
    assert cli("--home", str(home), "jobs", "list").returncode == 0
    for sub in ("logs", "uploads", "styles", "tmp"):
        assert _mode(home / sub) == 0o700, sub
    for name in ("library.sqlite3", "settings.json", "logs/stylestudio.log"):
        assert _mode(home / name) == 0o600, name


def test_a_folder_that_is_not_a_library_keeps_its_modes(tmp_path):
    """--home pointed by mistake at a folder with a tmp/ of its own: nothing of it is changed."""
    home = tmp_path / "projects"
    (home / "tmp").mkdir(parents=True)
    os.chmod(home, 0o755)
    os.chmod(home / "tmp", 0o1777)
    ensure_writable(resolve_paths(home))
    assert _mode(home) == 0o755
    assert _mode(home / "tmp") == 0o1777
    assert _mode(home / "styles") == 0o700  # made by us
