"""A job type is a slice: a folder under ``desktop/pipelines`` with a ``handler`` module is
registered by ``register_all()`` with no other line to add (docs/development.md, "Adding a job type")."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import REPO

CODE = """
import json, sys
import desktop.pipelines as pipelines
pipelines.__path__.append(sys.argv[1])  # a new slice folder beside the real ones
print(json.dumps([pipelines.slices(), pipelines.register_all()]))
"""


def test_a_new_slice_folder_with_a_handler_is_registered_with_no_other_line(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "__init__.py").write_text("")
    (demo / "handler.py").write_text(
        "from desktop.jobs.registry import register\n\n\n"
        "@register('demo.echo', title='Echo')\n"
        "async def echo(ctx, payload):\n    return payload\n"
    )
    helpers_only = tmp_path / "helpers_only"  # a folder without a handler is no slice
    helpers_only.mkdir()
    (helpers_only / "__init__.py").write_text("")
    (helpers_only / "request.py").write_text("")
    out = subprocess.run([sys.executable, "-c", CODE, str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    slices, names = json.loads(out.stdout)
    assert "demo" in slices and "helpers_only" not in slices and "preview" not in slices
    assert {"apply", "diagnostics", "export", "generate", "import_", "strength"} <= set(slices)
    assert "demo.echo" in names
    assert {"style.generate", "style.apply", "style.strength", "style.export", "style.import", "diagnostics.sleep"} <= set(names)
