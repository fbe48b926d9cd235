"""``stylestudio styles list`` on a SQLite library reads it with plain ``sqlite3``
(``desktop.cli.listing``): it imports neither SQLAlchemy nor the job engine, and prints exactly
what the full path prints (``STYLESTUDIO_NO_QUICK_LISTING`` forces the full path), search and
hostile names included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli.listing import QUICK_ENV
from desktop.config import resolve_paths
from desktop.db.engine import Database
from desktop.db.models import Style
from desktop.runtime import open_runtime
from tests.helpers import REPO, cli
from tests.ui.sample_library import add_styles

HEAVY = ("sqlalchemy", "desktop.db.models", "desktop.runtime", "desktop.jobs.engine", "asyncio", "importlib.metadata")
NAMES = ["100% _real_ a/b", "Crème Brûlée", "ÉCLAIR noir", "bell\x07 \x1b[31mred", "plain"]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("quick")
    open_runtime(home).close()
    ids = add_styles(home, count=len(NAMES) + 1, previews=1)
    db = Database(resolve_paths(home).database_url())
    try:
        with db.write_session() as s:
            for style_id, name in zip(ids, NAMES, strict=False):
                s.get(Style, style_id).name = name
            s.get(Style, ids[-1]).deleted_at = 1.0  # a deleted style is not listed
    finally:
        db.dispose()
    return home


def _imported_by(home: Path, argv: list[str], env: dict[str, str] | None = None) -> set[str]:
    script = (
        "import sys\nfrom desktop.cli import main\ncode = main(sys.argv[1:])\n"
        f"print('imported:' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\nsys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "--home", str(home), *argv], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("imported:"), done.stderr
    return {m for m in last.removeprefix("imported:").split(",") if m}


def test_a_listing_imports_neither_sqlalchemy_nor_the_engine(library):
    assert _imported_by(library, ["styles", "list"]) == set()
    assert _imported_by(library, ["styles", "list", "--search", "crème"]) == set()
    # the check itself sees them: the full path imports them
    assert {"sqlalchemy", "desktop.runtime"} <= _imported_by(library, ["styles", "list"], {QUICK_ENV: "1"})


@pytest.mark.parametrize("search", [None, "CRÈME", "%", "_", "a/b", "  noir  "])
def test_the_quick_listing_prints_what_the_full_path_prints(library, search):
    argv = ["styles", "list"] + ([] if search is None else ["--search", search])
    quick, full = cli(*argv, home=library), cli(*argv, home=library, env={QUICK_ENV: "1"})
    assert (quick.returncode, quick.stdout, quick.stderr) == (full.returncode, full.stdout, full.stderr)
    assert quick.returncode == 0 and quick.stdout.strip()


def test_an_empty_or_missing_library_says_so_as_before(tmp_path):
    assert cli("styles", "list", home=tmp_path / "none").stdout == "No styles yet.\n"
    open_runtime(tmp_path / "empty").close()
    assert cli("styles", "list", home=tmp_path / "empty").stdout == "No styles yet.\n"
    assert cli("styles", "list", "--search", "x", home=tmp_path / "empty").stdout == "No style matches.\n"
