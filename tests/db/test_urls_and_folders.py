"""An unusable STYLESTUDIO_DATABASE_URL or an empty data folder name is one sentence (exit 2),
never a password, and nothing is created."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop.config import resolve_paths
from desktop.db.engine import Database, mask_url
from desktop.errors import UserError
from tests.db.support import assert_refused
from tests.helpers import cli

FORMS = "sqlite:///path/to/library.sqlite3 or postgresql://user@host/db"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("foo://x", "'foo' is not a database type it supports"),
        ("mysql://me@db/lib", "'mysql' is not a database type it supports"),
        ("not a url", "it is not a database URL"),
        ("postgresql://me@db:port/lib", "it is not a database URL"),
        ("sqlite://", "not an in-memory database"),
        ("sqlite+nosuchdriver:///x.db", "the driver 'sqlite+nosuchdriver' is unknown"),
    ],
)
def test_an_unusable_database_url_is_one_sentence_naming_the_variable_and_the_forms(tmp_path, url, reason):
    home = tmp_path / "home"
    result = cli("--home", str(home), "jobs", "enqueue", "diagnostics.sleep", env={"STYLESTUDIO_DATABASE_URL": url})
    assert_refused(result, "STYLESTUDIO_DATABASE_URL", reason, FORMS)
    assert not home.exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+nosuchdriver://bob:hunter2secret@db.example/lib",  # unknown driver
        "postgres ql://bob:hunter2secret@db.example/lib",  # not a URL
        "postgresql://bob:hunter2secret@db.example/lib",  # driver not installed
        "oracle://bob:hunter2secret@db.example/lib",  # not supported
    ],
)
def test_no_sentence_or_log_line_shows_the_password_of_a_url(tmp_path, url):
    home = tmp_path / "home"
    # a host that cannot be resolved is waited for like a network that is down: not here
    env = {"STYLESTUDIO_DATABASE_URL": url, "STYLESTUDIO_DATABASE_WAIT_SECONDS": "0"}
    result = cli("--home", str(home), "-v", "jobs", "enqueue", "diagnostics.sleep", env=env)
    assert result.returncode == 2, result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout
    assert "STYLESTUDIO_DATABASE_URL" in result.stderr
    logs = "".join(p.read_text() for p in home.rglob("*.log")) if home.exists() else ""
    assert "hunter2secret" not in logs


def test_masking_keeps_everything_but_the_password():
    assert mask_url("postgresql://bob:pw@db/lib") == "postgresql://bob:***@db/lib"
    assert mask_url("postgresql://bob@db/lib") == "postgresql://bob@db/lib"
    assert mask_url("bob:pw@db") == "bob:***@db"
    assert "pw" not in mask_url("postgresql://bob:p/w@x@db/lib")
    with pytest.raises(UserError) as caught:
        Database("postgresql+nosuchdriver://bob:pw@db/lib")
    assert ":pw@" not in str(caught.value) and "bob:***@db" in str(caught.value)


def _cli_in(folder, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line run from ``folder`` (an empty data folder name would mean it)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args], capture_output=True, text=True, timeout=60, env=full_env, cwd=folder
    )


def test_an_empty_home_option_is_refused(tmp_path):
    assert_refused(_cli_in(tmp_path, "--home", "", "jobs", "enqueue", "diagnostics.sleep"), "--home", "empty")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserError, match="--home is empty|given by --home is empty"):
        resolve_paths("  ")


def test_an_empty_stylestudio_home_is_refused_not_taken_for_the_current_folder(tmp_path, monkeypatch):
    result = _cli_in(tmp_path, "jobs", "enqueue", "diagnostics.sleep", env={"STYLESTUDIO_HOME": ""})
    assert_refused(result, "STYLESTUDIO_HOME", "empty")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("STYLESTUDIO_HOME", "")
    with pytest.raises(UserError, match="STYLESTUDIO_HOME is empty"):
        resolve_paths()
