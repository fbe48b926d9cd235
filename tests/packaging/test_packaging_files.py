"""The packaging files are valid, and ``stylestudio self-test`` works. Nothing here builds the
bundle (that takes minutes: ``python packaging/build.py``, then ``packaging/smoke_test.sh``)."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGING = REPO / "packaging"
SPEC = PACKAGING / "stylestudio.spec"
BUILD = PACKAGING / "build.py"
DESKTOP_FILE = PACKAGING / "linux" / "stylestudio.desktop"
ISS = PACKAGING / "windows" / "stylestudio.iss"
WORKFLOW = REPO / ".github" / "workflows" / "build.yml"
SMOKE = PACKAGING / "smoke_test.sh"
MAKE_DMG = PACKAGING / "macos" / "make_dmg.sh"
ICONS = REPO / "resources" / "icons"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _load(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the PyInstaller spec -----------------------------------------------------------------------


class _Recorder:
    """Stands in for PyInstaller's Analysis/PYZ/EXE/COLLECT/BUNDLE: records the arguments."""

    def __init__(self, calls: dict, name: str) -> None:
        self.calls, self.name = calls, name

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        self.calls[self.name] = (args, kwargs)
        return types.SimpleNamespace(binaries=[], datas=[], pure=[], scripts=[], zipped_data=[])


@pytest.fixture(scope="module")
def spec_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Execute the spec with PyInstaller's build classes stubbed: what it would build from."""
    compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec")  # a syntax error fails here
    calls: dict = {"metadata": [], "submodules": []}

    def copy_metadata(dist: str) -> list[tuple[str, str]]:
        calls["metadata"].append(dist)
        importlib.metadata.distribution(dist)  # raises like the real one when not installed
        return []

    def collect_submodules(package: str, filter=None) -> list[str]:  # noqa: A002, ANN001
        calls["submodules"].append(package)
        return [package]

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.copy_metadata = copy_metadata
    hooks.collect_submodules = collect_submodules
    stubs = {
        "PyInstaller": types.ModuleType("PyInstaller"),
        "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
        "PyInstaller.utils.hooks": hooks,
    }
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        namespace = {"SPECPATH": str(PACKAGING), "__file__": str(SPEC), "__name__": "__main__"}
        for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
            namespace[name] = _Recorder(calls, name)
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    calls["namespace"] = namespace
    return calls


def test_the_spec_parses_and_builds_one_folder_named_stylestudio(spec_run):
    args, kwargs = spec_run["EXE"]
    assert kwargs["name"] == "stylestudio"
    assert kwargs["exclude_binaries"] is True  # one folder, not one file
    assert spec_run["COLLECT"][1]["name"] == "stylestudio"
    # windowed on Windows and macOS, console on Linux; icon per platform
    assert kwargs["console"] is sys.platform.startswith("linux")
    assert Path(kwargs["icon"]).is_file()
    assert spec_run["namespace"]["VERSION"] == VERSION


def test_the_spec_references_files_that_exist(spec_run):
    (scripts,), kwargs = spec_run["Analysis"]
    assert [Path(s).name for s in scripts] == ["stylestudio_entry.py"]
    assert all(Path(s).is_file() for s in scripts)
    datas = kwargs["datas"]
    for src, _dest in datas:
        assert Path(src).exists(), src
    dests = {dest for _src, dest in datas}
    assert {"resources/samples", "resources/icons", "desktop/db/migrations", "desktop/db/migrations/versions"} <= dests
    # the migrations travel as files Alembic can find next to desktop/db/migrate.py
    migration_sources = {Path(src).name for src, dest in datas if dest.startswith("desktop/db/migrations")}
    versions = {p.name for p in (REPO / "desktop" / "db" / "migrations" / "versions").glob("*.py")}
    assert versions and {"env.py", "script.py.mako"} | versions <= migration_sources
    assert not any("__pycache__" in src for src, _dest in datas)
    assert (REPO / "resources" / "samples" / "LICENSES.md").is_file()


def test_the_spec_collects_the_lazily_imported_handlers_and_keyring(spec_run):
    _args, kwargs = spec_run["Analysis"]
    hidden = set(kwargs["hiddenimports"])
    for module in ("desktop.pipelines", "desktop.generators", "desktop.imaging", "desktop.pipelines.diagnostics.handler", "desktop.selftest"):
        assert module in hidden
        assert importlib.util.find_spec(module) is not None, module
    assert "desktop" in spec_run["submodules"] and "keyring.backends" in spec_run["submodules"]
    assert {"keyring", "style-studio"} <= set(spec_run["metadata"])
    excludes = set(kwargs["excludes"])
    assert {"tkinter", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtNetwork"} <= excludes
    assert "numpy" not in excludes  # a runtime dependency: learning a look from an edit


def test_the_spec_keeps_the_plugins_the_window_needs_and_drops_the_rest(spec_run):
    keep = spec_run["namespace"]["keep_plugin"]
    plugins = "PySide6/Qt/plugins"
    for wanted in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
                   "imageformats/libqjpeg.so", "imageformats/libqwebp.so", "iconengines/libqsvgicon.so",
                   "platformthemes/libqxdgdesktopportal.so", "wayland-shell-integration/libxdg-shell.so"):
        assert keep(f"{plugins}/{wanted}"), wanted
    assert keep("PySide6/plugins/platforms/qwindows.dll")  # Windows wheel layout
    for dropped in ("platforms/libqeglfs.so", "platforms/libqvnc.so", "qmltooling/libqmldbg_tcp.so",
                    "imageformats/libqpdf.so", "sqldrivers/libqsqlite.so", "tls/libqopensslbackend.so"):
        assert not keep(f"{plugins}/{dropped}"), dropped
    assert keep("desktop/db/migrations/env.py")  # not a plugin: untouched


# --- build.py -----------------------------------------------------------------------------------


def test_build_script_help_runs():
    out = subprocess.run([sys.executable, str(BUILD), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "--reuse-venv" in out.stdout


def test_build_script_targets_and_outputs():
    build = _load(BUILD, "stylestudio_build")
    assert build.FOLDER_LIMIT_MB == 190 and build.ARCHIVE_LIMIT_MB == 75
    assert "scipy" in build.FORBIDDEN and "numpy" not in build.FORBIDDEN
    assert build.version() == VERSION
    assert build.INSTALL_DIR == "/opt/style-studio"
    assert build.SPEC.is_file() and build.DESKTOP_FILE.is_file()
    for size in build.HICOLOR_SIZES:
        assert (ICONS / f"stylestudio-{size}.png").is_file()


def test_build_script_refuses_a_venv_with_strays():
    """The stray check, run against the test venv (it holds pytest, ruff, ...): it must fail."""
    build = _load(BUILD, "stylestudio_build")
    with pytest.raises(SystemExit) as info:
        build.check_venv(Path(sys.executable))
    assert "pytest" in str(info.value)


# --- Linux menu entry ----------------------------------------------------------------------------


def test_desktop_file_has_the_required_keys():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    entry = parser["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon", "Categories"):
        assert entry.get(key), key
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "stylestudio"
    assert entry["Icon"] == "stylestudio"
    assert entry["Categories"].endswith(";") and "Graphics" in entry["Categories"].split(";")


def test_desktop_file_validates():
    if shutil.which("desktop-file-validate") is None:
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure, not a skip
            pytest.fail("desktop-file-validate is missing on CI; .ci/run should have installed desktop-file-utils")
        pytest.skip("desktop-file-utils is not installed (apt install desktop-file-utils)")
    out = subprocess.run(["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


# --- icons --------------------------------------------------------------------------------------


def test_icons_exist_at_every_size():
    from PIL import Image

    make_icons = _load(PACKAGING / "make_icons.py", "stylestudio_make_icons")
    root = ET.parse(ICONS / "stylestudio.svg").getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 1024 1024"
    for size in make_icons.PNG_SIZES:
        with Image.open(make_icons.png_path(size)) as im:
            assert im.size == (size, size) and im.mode == "RGBA"
    with Image.open(ICONS / "stylestudio.ico") as ico:
        assert {(s, s) for s in make_icons.ICO_SIZES} <= set(ico.info["sizes"])
    with Image.open(ICONS / "stylestudio.icns") as icns:
        assert icns.format == "ICNS" and icns.size == (1024, 1024)
    assert set(range(16, 1025)) & set(make_icons.PNG_SIZES) >= {16, 32, 48, 256, 512, 1024}


def test_committed_icons_match_the_svg(qapp):
    """Re-render one size: the committed PNGs are the SVG's current look (run make_icons.py).
    Uses pytest-qt's application, so no QGuiApplication of its own outlives the test."""
    import io

    from PIL import Image, ImageChops

    make_icons = _load(PACKAGING / "make_icons.py", "stylestudio_make_icons")
    fresh = Image.open(io.BytesIO(make_icons.render_png(make_icons.MASTER, 48))).convert("RGBA")
    committed = Image.open(make_icons.png_path(48)).convert("RGBA")
    diff = ImageChops.difference(fresh, committed)
    assert max(high for _low, high in diff.getextrema()) <= 8


# --- Windows, macOS, CI -------------------------------------------------------------------------


def test_inno_setup_script_points_at_the_bundle():
    text = ISS.read_text(encoding="utf-8")
    for needle in (r"..\out\dist\stylestudio", "stylestudio.exe", r"resources\icons\stylestudio.ico",
                   "MyAppVersion", "[Files]", "[Icons]", "recursesubdirs", "addtopath"):
        assert needle in text, needle
    assert (ISS.parent / ".." / ".." / "resources" / "icons" / "stylestudio.ico").resolve().is_file()


def test_macos_dmg_recipe_and_bundle():
    text = MAKE_DMG.read_text(encoding="utf-8")
    assert "hdiutil create" in text and "Style Studio.app" in text and "/Applications" in text
    assert os.access(MAKE_DMG, os.X_OK)
    assert subprocess.run(["bash", "-n", str(MAKE_DMG)]).returncode == 0
    spec_text = SPEC.read_text(encoding="utf-8")
    assert "BUNDLE(" in spec_text and "stylestudio.icns" in spec_text


def test_ci_workflow_builds_all_three():
    text = WORKFLOW.read_text(encoding="utf-8")
    for needle in ("ubuntu-", "windows-", "macos-", "python packaging/build.py", "packaging/smoke_test.sh",
                   r"packaging\windows\stylestudio.iss", "packaging/macos/make_dmg.sh", "dpkg-deb -x",
                   "upload-artifact"):
        assert needle in text, needle


# --- the smoke test and the self-test ------------------------------------------------------------


def test_smoke_test_script_is_valid_bash():
    assert os.access(SMOKE, os.X_OK)
    assert subprocess.run(["bash", "-n", str(SMOKE)]).returncode == 0


def _fake_bundle(folder: Path, body: str) -> Path:
    folder.mkdir()
    exe = folder / "stylestudio"
    exe.write_text("#!/bin/sh\n" + textwrap.dedent(body), encoding="utf-8")
    exe.chmod(0o755)
    return folder


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the self-test sets offscreen itself
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for the bundle")
def test_smoke_test_fails_loudly(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = subprocess.run([str(SMOKE), str(empty)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "SMOKE TEST FAILED" in out.stderr and "no stylestudio executable" in out.stderr
    wrong = _fake_bundle(tmp_path / "wrong", "echo 'Style Studio 0.0.0-stale'\n")
    out = subprocess.run([str(SMOKE), str(wrong)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "pyproject.toml says" in out.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for the bundle")
def test_smoke_test_passes_on_a_working_install(tmp_path: Path):
    """The smoke test run end to end against this checkout's install (a stand-in bundle)."""
    bundle = _fake_bundle(tmp_path / "bundle", f'exec "{sys.executable}" -m desktop.cli "$@"\n')
    out = subprocess.run([str(SMOKE), str(bundle)], capture_output=True, text=True, timeout=120, env=_child_env())
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Style Studio {VERSION}" in out.stdout
    assert "SMOKE TEST PASSED" in out.stdout


def test_self_test_passes_as_a_real_process(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "self-test"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path, env=_child_env(),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    steps = [line for line in lines if line.startswith(("ok ", "FAIL"))]
    assert [s.split(" (")[0] for s in steps] == [
        "ok   start app", "ok   find bundled resources", "ok   read a RAW and a HEIC", "ok   library migrated",
        "ok   job types registered", "ok   check the keyring", "ok   run a style job",
        "ok   gallery shows the style", "ok   stop app",
    ]
    assert "made style 1 with 2 previews" in out.stdout
    assert "read a camera RAW (DNG) through LibRaw and a HEIC through libheif" in out.stdout
    assert lines[-1].startswith("self-test passed")
    assert "propagateSizeHints" not in out.stdout + out.stderr, "Qt's own warnings go to the log file"
    # it used a temporary data folder: nothing was written to the configured one
    assert not any(Path(os.environ["STYLESTUDIO_HOME"]).iterdir())


def test_self_test_names_the_failing_step(tmp_path: Path):
    empty = tmp_path / "no-resources"
    (empty / "samples").mkdir(parents=True)
    env = _child_env() | {"STYLESTUDIO_RESOURCES": str(empty)}
    out = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "self-test"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path, env=env,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL find bundled resources: no sample photos in" in out.stdout
    assert "ok   stop app" in out.stdout  # the app is still stopped cleanly
    assert "run a style job" not in out.stdout


def test_the_entry_point_script_is_the_cli():
    tree = ast.parse((PACKAGING / "stylestudio_entry.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "desktop.cli" in imported
