"""Several machines opening a new shared PostgreSQL library at the same moment: every one of
them opens it, and the schema is made once (the upgrade runs under a server-wide lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from desktop.db.engine import Database
from desktop.db.migrate import head_revision

OPEN_WHEN_TOLD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from desktop.db.engine import Database
    import desktop.db.migrate  # noqa: F401 - loaded before the start, so all upgrade at once
    go = Path(sys.argv[1])
    db = Database(os.environ["STYLESTUDIO_DATABASE_URL"])
    Path(sys.argv[2]).write_text("ready")
    while not go.exists():
        time.sleep(0.005)
    db.migrate()
    print(db.stored_revision())
    """
)


def test_machines_opening_a_new_library_at_once_all_open_it(postgres_url, tmp_path: Path):
    go = tmp_path / "go"
    env = {**os.environ, "STYLESTUDIO_DATABASE_URL": postgres_url}
    procs = []
    for i in range(6):
        ready = tmp_path / f"ready{i}"
        procs.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-c", OPEN_WHEN_TOLD, str(go), str(ready)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    for ready, proc in procs:  # every process is connected and waiting: then all start at once
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.01)
    go.write_text("go")
    for _ready, proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.strip() == head_revision()
    db = Database(postgres_url)
    try:
        assert db.stored_revision() == head_revision()
    finally:
        db.dispose()
