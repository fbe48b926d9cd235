"""The layers of DESIGN.md hold: every ``import`` of every module under ``desktop/`` (read with
``ast``, lazy imports inside functions included) points down the layer order, never up.

Layer order, top first (a layer may import the ones listed for it, and itself):

- ``tools``: developer tools (``desktop/tools``), anything.
- ``ui``: the window: ``desktop/ui``, ``desktop/app.py`` (its start-up and shut-down) and
  ``desktop/selftest.py`` (runs the window offscreen); anything below.
- ``cli``: the command line; anything below. The window and the self-test are reached only
  through a lazy import inside the command that starts them (``LAZY_EXCEPTIONS``).
- ``runtime``: opening a library for a front door (registers the pipelines' handlers).
- ``pipelines``: job handlers.
- ``library``: the styles' rows and files (read by the pipelines, the CLI and the window).
- ``generators``, then ``imaging``.
- ``jobs``: the engine: only ``db``, ``config`` and ``errors``; no Qt, no styles.
- ``db``: only ``config`` and ``errors``.
- foundation, importable from every layer except where narrowed above: ``desktop`` itself
  (the version), ``config``, ``errors``, ``logs``, ``resources``, ``files`` (writing a file
  whole), ``text`` (names made safe) and ``grants`` (proof a person asked for file access).

Only the ``ui`` layer and ``tools`` import Qt; only ``desktop/ui`` imports ``QtWidgets``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO

FOUNDATION = {"root", "config", "errors", "logs", "resources", "files", "text", "grants"}
ALLOWED: dict[str, set[str]] = {
    "tools": {"ui", "cli", "runtime", "pipelines", "library", "generators", "exchange", "imaging", "jobs", "db"} | FOUNDATION,
    "ui": {"cli", "runtime", "pipelines", "library", "generators", "exchange", "imaging", "jobs", "db"} | FOUNDATION,
    "cli": {"runtime", "pipelines", "library", "generators", "exchange", "imaging", "jobs", "db"} | FOUNDATION,
    "runtime": {"pipelines", "library", "jobs", "db"} | FOUNDATION,
    "pipelines": {"library", "generators", "exchange", "imaging", "jobs", "db"} | FOUNDATION,
    "library": {"jobs", "db"} | FOUNDATION,
    "generators": {"imaging"} | FOUNDATION,
    "exchange": {"imaging"} | FOUNDATION,
    "imaging": FOUNDATION,
    "jobs": {"db", "config", "errors", "files", "text", "grants"},
    "db": {"config", "errors"},
    "config": {"errors"},
    "errors": set(),
    "logs": set(),
    "resources": set(),
    "files": {"config", "errors"},
    "text": set(),
    "grants": {"errors"},
    "root": set(),
}
# (importing module's prefix, imported module): allowed only inside a function (a lazy import),
# so importing the importing module never loads the imported one.
LAZY_EXCEPTIONS = {
    ("desktop.cli", "desktop.app"),  # `stylestudio` with no command opens the window
    ("desktop.cli", "desktop.selftest"),  # `stylestudio self-test` runs the window offscreen
}
QT_PACKAGES = ("PySide6", "shiboken6", "qasync")
QT_LAYERS = {"ui", "tools"}


def layer_of(module: str) -> str:
    """The layer of a dotted module name under ``desktop``."""
    parts = module.split(".")
    if parts == ["desktop"]:
        return "root"
    top = parts[1]
    if top in ("app", "selftest"):
        return "ui"
    if top not in ALLOWED:
        raise AssertionError(
            f"{module} belongs to no layer: place it in tests/test_layers.py (and DESIGN.md's Layers)"
        )
    return top


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name (a submodule when `from package import submodule`)
    line: int
    lazy: bool  # inside a function


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name a relative ``from`` import refers to."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules: set[str]) -> None:
        self.module = module
        self.is_package = is_package
        self.modules = modules
        self.depth = 0
        self.found: list[Import] = []

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _add(self, target: str, node: ast.AST) -> None:
        self.found.append(Import(self.module, target, node.lineno, self.depth > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve(self.module, self.is_package, node.level, node.module)
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            ours = base == "desktop" or base.startswith("desktop.")
            # ours: the submodule when it is one (`from desktop import config`), else the module;
            # others' (`from PySide6 import QtWidgets`): the full name, for the Qt rule
            self._add(sub if sub in self.modules or not ours else base, node)


def collect_imports(root: Path) -> list[Import]:
    """Every import statement of every module under ``root/desktop``."""
    paths = sorted(p for p in (root / "desktop").rglob("*.py") if "__pycache__" not in p.parts)
    modules = {module_name(root, p) for p in paths}
    found: list[Import] = []
    for path in paths:
        collector = _Collector(module_name(root, path), path.name == "__init__.py", modules)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found.extend(collector.found)
    return found


def _lazy_exception(imp: Import) -> bool:
    return imp.lazy and any(
        (imp.importer == prefix or imp.importer.startswith(prefix + "."))
        and (imp.target == target or imp.target.startswith(target + "."))
        for prefix, target in LAZY_EXCEPTIONS
    )


def layer_violations(root: Path) -> list[str]:
    """One line per import that points up (or sideways to a layer not allowed)."""
    bad = []
    for imp in collect_imports(root):
        if imp.target != "desktop" and not imp.target.startswith("desktop."):
            continue
        mine, theirs = layer_of(imp.importer), layer_of(imp.target)
        if mine == theirs or theirs in ALLOWED[mine] or _lazy_exception(imp):
            continue
        how = "lazily " if imp.lazy else ""
        bad.append(f"{imp.importer} (line {imp.line}, layer {mine}) {how}imports {imp.target} (layer {theirs})")
    return bad


def qt_violations(root: Path) -> list[str]:
    bad = []
    for imp in collect_imports(root):
        if imp.target.split(".")[0] not in QT_PACKAGES:
            continue
        layer = layer_of(imp.importer)
        if layer not in QT_LAYERS:
            bad.append(f"{imp.importer} (line {imp.line}, layer {layer}) imports {imp.target}")
        elif "QtWidgets" in imp.target and not imp.importer.startswith("desktop.ui."):
            bad.append(f"{imp.importer} (line {imp.line}) imports QtWidgets outside desktop/ui")
    return bad


# --- the real code -------------------------------------------------------------------------


def test_every_import_points_down_the_layers():
    assert layer_violations(REPO) == []


def test_only_the_window_imports_qt_and_only_desktop_ui_imports_widgets():
    assert qt_violations(REPO) == []


def test_the_lazy_exceptions_are_still_needed_and_still_lazy():
    """An exception nobody uses any more is removed from the list, not left to hide a new one."""
    imports = [i for i in collect_imports(REPO) if i.importer.startswith("desktop.cli")]
    for prefix, target in LAZY_EXCEPTIONS:
        uses = [i for i in imports if i.target == target or i.target.startswith(target + ".")]
        assert uses, f"no module of {prefix} imports {target} any more: drop the exception"
        assert all(i.lazy for i in uses), f"{prefix} imports {target} at module level: {uses}"


def test_importing_the_engine_loads_nothing_above_it():
    """What actually gets loaded, not only what the source says: importing every engine module
    brings in only the engine, the database layer, config and errors (and no Qt)."""
    engine_modules = sorted(
        module_name(REPO, p) for p in (REPO / "desktop" / "jobs").glob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {engine_modules!r}: importlib.import_module(m)\n"
        "import json; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('desktop', 'PySide6', 'qasync'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    above = [m for m in loaded if m != "desktop" and layer_of(m) not in {"jobs", "db", "config", "errors"}]
    assert above == []
    assert "desktop.pipelines" not in loaded


def test_the_front_doors_know_every_job_type():
    """The engine has no job type of its own; opening a library (the window, the command line,
    the worker) registers every type, the diagnostics' too."""
    code = (
        "import json, desktop.jobs.engine, desktop.jobs.registry as r;"
        "print(json.dumps(r.names()));"
        "import desktop.runtime, desktop.pipelines as p; print(json.dumps(p.register_all()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    engine_only, front_door = (json.loads(line) for line in out.stdout.splitlines())
    assert engine_only == []
    assert {"style.generate", "style.apply", "diagnostics.sleep", "diagnostics.items"} <= set(front_door)


# --- the checker itself can fail ------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / "desktop" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in [p for p in (tmp_path / "desktop").rglob("*") if p.is_dir()] + [tmp_path / "desktop"]:
        (folder / "__init__.py").touch()
    return tmp_path


def test_the_checker_catches_upward_imports_even_lazy_ones(tmp_path):
    root = _tree(
        tmp_path,
        {
            "jobs/registry.py": "def load():\n    import desktop.pipelines\n",
            "jobs/watcher.py": "from desktop.library import Library\n",
            "db/engine.py": "from ..jobs import model\n",
            "imaging/lut.py": "from desktop import generators\n",
            "cli/main.py": "from desktop.app import main\n",  # the window entry, but not lazy
            "cli/ok.py": "def window():\n    from desktop.app import main\n",
            "pipelines/gen.py": "from desktop.jobs.registry import register\nfrom desktop.library import x\n",
            "pipelines/__init__.py": "from . import gen\n",
            "ui/view.py": "from PySide6.QtWidgets import QWidget\nfrom desktop.pipelines import gen\n",
            "library.py": "from desktop.db import engine\n",
            "app.py": "",
            "jobs/model.py": "",
            "pipelines/x.py": "",
            "generators/local.py": "",
        },
    )
    bad = layer_violations(root)
    assert [line.split(" ")[0] for line in bad] == [
        "desktop.cli.main",
        "desktop.db.engine",
        "desktop.imaging.lut",
        "desktop.jobs.registry",
        "desktop.jobs.watcher",
    ], bad
    assert "lazily imports desktop.pipelines" in bad[3]


def test_the_checker_catches_qt_outside_the_window(tmp_path):
    root = _tree(
        tmp_path,
        {
            "jobs/bridge.py": "def f():\n    from PySide6.QtCore import QObject\n",
            "app.py": "from PySide6.QtWidgets import QApplication\n",
            "ui/ok.py": "from PySide6 import QtWidgets\n",
        },
    )
    bad = qt_violations(root)
    assert len(bad) == 2 and bad[0].startswith("desktop.app") and bad[1].startswith("desktop.jobs.bridge"), bad


def test_a_module_outside_every_layer_is_refused(tmp_path):
    root = _tree(tmp_path, {"plugins/extra.py": "import desktop.jobs\n", "jobs/model.py": ""})
    with pytest.raises(AssertionError, match="belongs to no layer"):
        layer_violations(root)
