"""No import loop among the engine's modules (``desktop/jobs``): every import counts, at module
level, under ``TYPE_CHECKING`` or inside a function."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import REPO
from tests.test_layers import collect_imports


def import_loops(root: Path, package: str) -> list[list[str]]:
    """The loops among the modules of ``package`` (dotted), each as the modules it goes through
    (the first one repeated at the end); none when the imports form a tree."""
    inside = package + "."
    graph: dict[str, set[str]] = {}
    for imp in collect_imports(root):
        if imp.importer.startswith(inside) and imp.target.startswith(inside) and imp.target != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.target)
    loops: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                if frozenset(path) not in seen:
                    seen.add(frozenset(path))
                    loops.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # each loop found once, from its smallest module
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return loops


def test_the_engine_modules_import_each_other_without_a_loop():
    assert [" -> ".join(loop) for loop in import_loops(REPO, "desktop.jobs")] == []


def test_the_loop_finder_finds_a_planted_loop(tmp_path):
    for name, text in {
        "__init__.py": "",
        "jobs/__init__.py": "",
        "jobs/a.py": "from desktop.jobs import b\n",
        "jobs/b.py": "def f():\n    from desktop.jobs.c import x\n",
        "jobs/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from desktop.jobs.a import y\n",
    }.items():
        path = tmp_path / "desktop" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert import_loops(tmp_path, "desktop.jobs") == [["desktop.jobs.a", "desktop.jobs.b", "desktop.jobs.c", "desktop.jobs.a"]]
