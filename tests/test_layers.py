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
    typing_only: bool = False  # under `if TYPE_CHECKING:`: read by type checkers, never run


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
        self.typing = 0
        self.found: list[Import] = []

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            self.typing += 1
            for child in node.body:
                self.visit(child)
            self.typing -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _add(self, target: str, node: ast.AST) -> None:
        self.found.append(Import(self.module, target, node.lineno, self.depth > 0, self.typing > 0))

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


FRONT_DOORS = {"cli", "ui"}  # the command line, the window (desktop/ui, app.py, selftest.py)


def _package_node(module: str, package: str) -> str | None:
    """The child of ``package`` that ``module`` lives in (a module or a sub-package), the
    package itself for its ``__init__``, or None when ``module`` is outside it."""
    if module == package:
        return package
    if not module.startswith(package + "."):
        return None
    return package + "." + module[len(package) + 1 :].split(".")[0]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def loop_violations(root: Path) -> list[str]:
    """One line per import loop inside a package (lazy imports count: a loop is a loop, even
    when it only closes at run time; imports under ``if TYPE_CHECKING:`` do not, they never
    run). Inside package P, each module or sub-package directly in
    P is one node; A -> B when anything in A imports anything in B."""
    imports = [
        i
        for i in collect_imports(root)
        if (i.target == "desktop" or i.target.startswith("desktop.")) and not i.typing_only
    ]
    packages = {
        module_name(root, p.parent / "__init__.py")
        for p in (root / "desktop").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    bad = []
    for package in sorted(packages):
        edges: dict[str, set[str]] = {}
        for imp in imports:
            a, b = _package_node(imp.importer, package), _package_node(imp.target, package)
            if a and b and a != b:
                edges.setdefault(a, set()).add(b)
        for group in _cycles(edges):
            bad.append(f"an import loop inside {package}: " + " <-> ".join(group))
    return bad


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_violations(root: Path) -> list[str]:
    """One line per ``_private`` name taken from another module: ``from m import _x`` or
    ``m._x`` on a module imported by name."""
    paths = sorted(p for p in (root / "desktop").rglob("*.py") if "__pycache__" not in p.parts)
    modules = {module_name(root, p) for p in paths}
    bad = []
    for path in paths:
        me = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases: dict[str, str] = {}  # local name -> a desktop module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(me, path.name == "__init__.py", node.level, node.module)
                if not (base == "desktop" or base.startswith("desktop.")):
                    continue
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:
                        aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
                        if _private(alias.name):
                            bad.append(f"{me} (line {node.lineno}) imports the private module {base}.{alias.name}")
                    elif _private(alias.name) and base != me:
                        bad.append(f"{me} (line {node.lineno}) imports {alias.name} from {base}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("desktop.") and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _private(node.attr)
                and aliases[node.value.id] != me
            ):
                bad.append(f"{me} (line {node.lineno}) uses {node.attr} of {aliases[node.value.id]}")
    return bad


def widget_violations(root: Path) -> list[str]:
    """A widget never touches pixels: nothing in desktop/ui imports desktop.imaging (previews
    come from the worker processes, through a pipeline's request module)."""
    return [
        f"{i.importer} (line {i.line}) imports {i.target}"
        for i in collect_imports(root)
        if i.importer.startswith("desktop.ui.")
        and (i.target == "desktop.imaging" or i.target.startswith("desktop.imaging."))
    ]


def front_door_violations(root: Path) -> list[str]:
    """The command line and the window reach a job type only through its slice's
    ``request`` module: ``desktop.pipelines.<type>.request``."""
    bad = []
    for i in collect_imports(root):
        if i.target != "desktop.pipelines" and not i.target.startswith("desktop.pipelines."):
            continue
        if layer_of(i.importer) not in FRONT_DOORS:
            continue
        parts = i.target.split(".")
        if len(parts) == 4 and parts[3] == "request":
            continue
        bad.append(f"{i.importer} (line {i.line}) imports {i.target}, not a slice's request module")
    return list(dict.fromkeys(bad))  # `from m import a, b` is one line


def long_files(root: Path, limit: int = 600) -> list[str]:
    """Source files over ``limit`` lines (migrations aside: each is a record of history)."""
    out = []
    for path in sorted((root / "desktop").rglob("*.py")):
        if "__pycache__" in path.parts or "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            out.append(f"{path.relative_to(root)}: {lines} lines")
    return out


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


def test_no_import_loop_inside_a_package():
    assert loop_violations(REPO) == []


def test_no_private_name_is_taken_from_another_module():
    assert private_violations(REPO) == []


def test_widgets_never_import_imaging():
    assert widget_violations(REPO) == []


def test_front_doors_reach_a_pipeline_only_through_its_request_module():
    assert front_door_violations(REPO) == []


def test_no_source_file_is_over_600_lines():
    assert long_files(REPO) == []


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


def test_the_checker_catches_a_loop_inside_a_package_even_through_a_lazy_import(tmp_path):
    root = _tree(
        tmp_path,
        {
            "jobs/engine.py": "from desktop.jobs import pool\n",
            "jobs/pool.py": "def f():\n    from desktop.jobs.engine import JobEngine\n",
            "jobs/model.py": "",
            "jobs/store.py": "from desktop.jobs import model\n",
            "jobs/queue.py": "from desktop.jobs import watcher\n",
            "jobs/watcher.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from desktop.jobs.queue import Q\n",
            "pipelines/a/request.py": "from desktop.pipelines.b import request\n",
            "pipelines/b/request.py": "from desktop.pipelines.a.handler import run\n",
            "pipelines/a/handler.py": "",
        },
    )
    assert loop_violations(root) == [
        "an import loop inside desktop.jobs: desktop.jobs.engine <-> desktop.jobs.pool",
        "an import loop inside desktop.pipelines: desktop.pipelines.a <-> desktop.pipelines.b",
    ]


def test_the_checker_catches_private_names_taken_from_another_module(tmp_path):
    root = _tree(
        tmp_path,
        {
            "jobs/store.py": "def _to_pyformat():\n    pass\n\n\ndef ok():\n    return _to_pyformat()\n",
            "jobs/items.py": "from desktop.jobs.store import SQL, _to_pyformat\n",
            "jobs/pool.py": "from desktop.jobs import store\n\nstore._to_pyformat()\n",
            "jobs/fine.py": "from desktop.jobs.store import ok\nimport os\n\nos._exit(0)\n",
            "cli/run.py": "def f():\n    from desktop.cli.generate import _cancel_quietly\n",
            "cli/generate.py": "",
        },
    )
    bad = private_violations(root)
    assert [line.split(" ")[0] for line in bad] == ["desktop.cli.run", "desktop.jobs.items", "desktop.jobs.pool"], bad
    assert "_to_pyformat" in bad[1] and "_to_pyformat" in bad[2]


def test_the_checker_catches_a_widget_importing_imaging(tmp_path):
    root = _tree(
        tmp_path,
        {
            "ui/strength_editor.py": "def f():\n    from desktop.imaging.looks import render_look\n",
            "ui/drop_zone.py": "import desktop.imaging.intake\n",
            "ui/ok.py": "from desktop.pipelines.preview import request\n",
            "imaging/looks.py": "",
            "imaging/intake.py": "",
            "pipelines/preview/request.py": "from desktop.imaging import looks\n",
        },
    )
    bad = widget_violations(root)
    assert [line.split(" ")[0] for line in bad] == ["desktop.ui.drop_zone", "desktop.ui.strength_editor"], bad


def test_the_checker_catches_a_front_door_reaching_past_a_request_module(tmp_path):
    root = _tree(
        tmp_path,
        {
            "cli/apply.py": "from desktop.pipelines.apply.request import enqueue\n",
            "cli/styles.py": "from desktop.pipelines.strength.handler import run\n",
            "ui/apply_flow.py": "from desktop.pipelines.apply import work\n",
            "ui/old.py": "from desktop.pipelines import style_apply\n",
            "app.py": "from desktop.pipelines.generate import request\n",
            "runtime.py": "from desktop.pipelines.apply import handler\n",
            "pipelines/apply/request.py": "",
            "pipelines/apply/work.py": "",
            "pipelines/strength/handler.py": "",
            "pipelines/generate/request.py": "",
            "pipelines/style_apply.py": "",
        },
    )
    bad = front_door_violations(root)
    assert [line.split(" ")[0] for line in bad] == ["desktop.cli.styles", "desktop.ui.apply_flow", "desktop.ui.old"], bad


def test_the_checker_catches_a_long_file(tmp_path):
    root = _tree(
        tmp_path,
        {"jobs/short.py": "x = 1\n" * 600, "jobs/long.py": "x = 1\n" * 601, "db/migrations/v1.py": "x = 1\n" * 900},
    )
    assert long_files(root) == [str(Path("desktop/jobs/long.py")) + ": 601 lines"]
