"""The code stays ruff-clean (the same check the developers run). The layers, and where Qt may
be imported, are checked over the real imports in tests/test_layers.py."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "desktop", "tests", "benchmarks", "packaging"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_engine_and_pipelines_import_no_qt_at_all():
    code = (
        "import sys, desktop.jobs.engine, desktop.runtime, desktop.library.reading, desktop.cli;"
        "import desktop.pipelines as p; p.register_all();"
        "print([m for m in sys.modules if m.startswith('PySide6')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
