"""Shared helpers for the exchange tests: a real library with a few small styles, and checks
that nothing was added."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import Runtime
from tests.helpers import run_pool


def make_styles(rt: Runtime, descriptions: list[str], *, reference: Path | None = None) -> list[int]:
    jobs = [enqueue_style(rt, d, previews=2, size=96, seed=5 + i, reference=reference if i == 0 else None) for i, d in enumerate(descriptions)]
    run_pool(rt, timeout=120)
    ids = []
    for job_id in jobs:
        row = rt.engine.require(job_id)
        assert row.status == "succeeded", row.error
        ids.append(row.result_dict()["id"])
    return ids


def counts(rt: Runtime) -> tuple[int, int]:
    con = sqlite3.connect(rt.paths.db_file)
    try:
        return con.execute("SELECT count(*) FROM styles").fetchone()[0], con.execute("SELECT count(*) FROM style_images").fetchone()[0]
    finally:
        con.close()


def assert_nothing_added(rt: Runtime, before: tuple[int, int] = (0, 0), uploads: set[str] | None = None) -> None:
    assert counts(rt) == before
    styles = sorted(p.name for p in rt.paths.styles_dir.iterdir()) if rt.paths.styles_dir.exists() else []
    assert len(styles) == before[0], styles
    assert not rt.paths.tmp_dir.exists() or list(rt.paths.tmp_dir.iterdir()) == []
    if uploads is not None:
        now = {p.name for p in rt.paths.uploads_dir.iterdir()} if rt.paths.uploads_dir.exists() else set()
        assert now == uploads
