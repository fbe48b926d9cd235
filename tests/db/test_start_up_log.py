"""The log of a new library starts with our own line, not Alembic's set-up chatter."""

from __future__ import annotations

from tests.helpers import cli


def test_a_new_librarys_log_has_one_upgrade_line_and_no_alembic_info(tmp_path):
    home = tmp_path / "home"
    result = cli("--home", str(home), "jobs", "enqueue", "diagnostics.sleep")
    assert result.returncode == 0, result.stderr
    lines = (home / "logs" / "stylestudio.log").read_text().splitlines()
    assert not [ln for ln in lines if " alembic" in ln], lines
    from desktop.db.engine import SCHEMA_REVISION

    assert [ln for ln in lines if "Upgraded the library" in ln][0].endswith(f"Upgraded the library to schema {SCHEMA_REVISION}")
    assert "Upgraded the library" in lines[0]


def test_verbose_still_shows_what_alembic_does(tmp_path):
    home = tmp_path / "home"
    result = cli("--home", str(home), "-v", "jobs", "enqueue", "diagnostics.sleep")
    assert result.returncode == 0, result.stderr
    assert "alembic" in (home / "logs" / "stylestudio.log").read_text()
