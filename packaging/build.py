"""Build the Style Studio bundle (and on Linux its .tar.gz and .deb) from a clean virtual
environment.

    python packaging/build.py                 # everything, into packaging/out/
    python packaging/build.py --reuse-venv    # keep packaging/out/venv from a previous run

Steps: a fresh venv with only the runtime dependencies (PySide6-Essentials, SQLAlchemy, ...) and
PyInstaller, checked for strays (anything no one asked for fails the build);
PyInstaller with packaging/stylestudio.spec (which leaves out the Qt parts the app never
loads); a last prune and, on Linux, a check that every library the kept Qt parts link to is in
the bundle; the sizes against the targets (folder <= 190 MB, .tar.gz <= 75 MB); on Linux the
.tar.gz and a .deb made with dpkg-deb (/opt/style-studio, /usr/bin/stylestudio, a .desktop
file and hicolor icons). packaging/smoke_test.sh checks the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
OUT = PACKAGING / "out"
SPEC = PACKAGING / "stylestudio.spec"
ICONS = REPO / "resources" / "icons"
DESKTOP_FILE = PACKAGING / "linux" / "stylestudio.desktop"

APP_NAME = "Style Studio"
EXE_NAME = "stylestudio"
DEB_NAME = "style-studio"
INSTALL_DIR = "/opt/style-studio"
PYINSTALLER = "pyinstaller>=6.10,<7"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

FOLDER_LIMIT_MB = 190
ARCHIVE_LIMIT_MB = 75
MB = 1024 * 1024

# Never in the bundle's venv, whatever pulls them in. Anything else outside the runtime
# dependencies and the build tools fails the build too; this list only names the usual suspects.
FORBIDDEN = {"pyside6-addons", "pyqt5", "pyqt6", "pyside2", "pytest", "ruff", "fal-client", "huey", "matplotlib", "scipy", "pandas"}
BUILD_TOOLS = {"pip", "setuptools", "wheel", "pyinstaller"}  # with their own dependencies

# Files the spec cannot leave out (they are copied by PyInstaller's own hooks) and the app
# never reads. Paths are globs relative to the bundle's _internal folder.
PRUNE_GLOBS = (
    "PySide6/Qt/translations",
    "PySide6/translations",
    "PySide6/Qt/qml",
    "PySide6/qml",
    "PySide6/Qt/resources",
    "PySide6/resources",
    "PySide6/Qt/metatypes",
    "PySide6/Qt/libexec",
    "PySide6/typesystems",
    "PySide6/include",
    "PySide6/glue",
    "PySide6/**/*.pyi",
)
# Qt's own libraries may only be missing if they were never shipped; anything else missing is a
# system library (the .deb depends on it; the .tar.gz expects it, like every Qt app).
BUNDLED_LIB = re.compile(r"^(libQt6|libpyside6|libshiboken6|libicu|libpython)")
# Debian packages needed only by optional parts (the GTK platform theme: native file dialogs).
OPTIONAL_PLUGINS = ("libqgtk3",)
# For libraries ldd cannot find on the build machine (so dpkg cannot say whose they are).
KNOWN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libwayland-client.so.0": "libwayland-client0",
    "libgtk-3.so.0": "libgtk-3-0",
    "libgdk-3.so.0": "libgtk-3-0",
}


def log(text: str) -> None:
    print(f"[build] {text}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def version() -> str:
    return project()["version"]


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def fmt_mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


# --- the clean venv -------------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV", "VIRTUAL_ENV"):
        env.pop(name, None)
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def stage_source() -> Path:
    """A copy of what the distribution is built from (pyproject, README, the package)."""
    stage = OUT / "src"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, stage / name)
    shutil.copytree(REPO / "desktop", stage / "desktop", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return stage


def make_venv(venv: Path, reuse: bool) -> Path:
    py = venv_python(venv)
    if reuse and py.exists():
        log(f"reusing {venv}")
    else:
        if venv.exists():
            shutil.rmtree(venv)
        run([sys.executable, "-m", "venv", venv], env=clean_env())
        # the project itself, not editable (its metadata goes into the bundle), runtime deps only;
        # built from a copy, so setuptools leaves no build/ folder in the checkout to go stale
        run([py, "-m", "pip", "install", "--no-cache-dir", "-q", str(stage_source()), PYINSTALLER], env=clean_env())
    return py


CLOSURE_SCRIPT = r"""
import json, re, sys
from importlib import metadata
from packaging.requirements import Requirement

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def closure(roots):
    seen, stack = set(), list(roots)
    while stack:
        name = norm(stack.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            stack.append(req.name)
    return seen

roots = json.loads(sys.argv[1])
print(json.dumps({
    "installed": sorted({norm(d.metadata["Name"]): d.version for d in metadata.distributions()}.items()),
    "runtime": sorted(closure(roots["runtime"])),
    "tools": sorted(closure(roots["tools"])),
}))
"""


def check_venv(py: Path) -> list[tuple[str, str]]:
    """Fail if the venv holds anything that is neither a runtime dependency (of
    style-studio, recursively) nor a build tool. Returns the runtime packages and versions."""
    roots = {"runtime": [DEB_NAME], "tools": sorted(BUILD_TOOLS)}
    out = subprocess.run([str(py), "-c", CLOSURE_SCRIPT, json.dumps(roots)], check=True, capture_output=True, text=True, env=clean_env())
    doc = json.loads(out.stdout)
    installed = dict(doc["installed"])
    runtime, tools = set(doc["runtime"]), set(doc["tools"])
    pip_list = subprocess.run([str(py), "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True, text=True, env=clean_env()).stdout
    log("pip list in the build venv:\n    " + "\n    ".join(pip_list.split()))
    forbidden = sorted(set(installed) & FORBIDDEN)
    strays = sorted(set(installed) - runtime - tools)
    if forbidden or strays:
        raise SystemExit(
            "[build] FAILED: the build venv holds packages the app does not need: "
            + ", ".join(forbidden + [s for s in strays if s not in forbidden])
            + ". Start from a clean venv (drop --reuse-venv) and check the runtime dependencies."
        )
    runtime_pkgs = sorted((n, installed[n]) for n in runtime if n != DEB_NAME)
    log("runtime packages: " + ", ".join(f"{n} {v}" for n, v in runtime_pkgs))
    log("no strays")
    return runtime_pkgs


# --- PyInstaller and pruning ----------------------------------------------------------------------


def pyinstaller(py: Path, dist: Path, work: Path) -> Path:
    if dist.exists():
        shutil.rmtree(dist)
    started = time.monotonic()
    run([py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN", "--distpath", dist, "--workpath", work, SPEC], env=clean_env(), cwd=REPO)
    log(f"PyInstaller took {time.monotonic() - started:.0f} s")
    bundle = dist / EXE_NAME
    if not bundle.is_dir():
        raise SystemExit(f"[build] FAILED: PyInstaller made no {bundle}")
    return bundle


def internal_dir(bundle: Path) -> Path:
    inner = bundle / "_internal"
    return inner if inner.is_dir() else bundle


def prune(bundle: Path) -> None:
    inner = internal_dir(bundle)
    freed = 0
    for pattern in PRUNE_GLOBS:
        for path in sorted(inner.glob(pattern), reverse=True):
            if path.is_dir() and not path.is_symlink():
                freed += folder_size(path)
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                freed += path.lstat().st_size
                path.unlink()
    for link in sorted(p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()):
        link.unlink()  # a link to something left out
    log(f"pruned {fmt_mb(freed)} the app never loads")


def _has_debug_info(path: Path) -> bool:
    res = subprocess.run(["readelf", "-S", "--wide", str(path)], capture_output=True, text=True)
    return res.returncode == 0 and ".debug_info" in res.stdout


def strip_debug_info(bundle: Path) -> None:
    """Linux: drop the debug sections some builds of Python (pyenv's libpython, lib-dynload)
    and some wheels ship with; symbols stay. Libraries vendored by auditwheel (``*.libs``
    folders, rewritten by patchelf) are left alone."""
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        log("strip/readelf not found (binutils): debug sections stay")
        return
    saved = 0
    for path in elf_files(bundle):
        if path.parent.name.endswith(".libs") or not _has_debug_info(path):
            continue
        before = path.stat().st_size
        subprocess.run(["strip", "--strip-debug", str(path)], check=True)
        saved += before - path.stat().st_size
    log(f"stripped {fmt_mb(saved)} of debug sections")


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                with path.open("rb") as fh:
                    if fh.read(4) == b"\x7fELF":
                        found.append(path)
            except OSError:
                continue
    return sorted(found)


def _needed(path: Path) -> set[str]:
    res = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True)
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", res.stdout))


def linux_link_check(bundle: Path) -> dict[str, dict[str, set[str]]]:
    """ldd every ELF file of the bundle. Fails if a bundled library (Qt, PySide, ICU, Python)
    is missing (the prune went too far). Returns {"found": {path: users}, "missing": {name: users}}
    for the system libraries."""
    inner = internal_dir(bundle)
    lib_dirs = [inner, inner / "PySide6" / "Qt" / "lib", inner / "PySide6", inner / "shiboken6"]
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(str(d) for d in lib_dirs if d.is_dir()))
    found: dict[str, set[str]] = {}
    missing: dict[str, set[str]] = {}
    broken: list[str] = []
    for path in elf_files(bundle):
        res = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        user = str(path.relative_to(bundle))
        direct = _needed(path)  # the .deb names direct dependencies only, like dpkg-shlibdeps
        for line in res.stdout.splitlines():
            line = line.strip()
            m = re.match(r"^(\S+) => not found", line)
            if m:
                name = m.group(1)
                if BUNDLED_LIB.match(name):
                    broken.append(f"{user} needs {name}")
                missing.setdefault(name, set()).add(user)
                continue
            m = re.match(r"^(\S+) => (/\S+) \(", line)
            if m and m.group(1) in direct:
                target = Path(m.group(2))
                if str(bundle) not in str(target.resolve()):
                    found.setdefault(str(target), set()).add(user)
    if broken:
        raise SystemExit("[build] FAILED: bundled libraries are missing:\n  " + "\n  ".join(broken))
    if missing:
        log("system libraries not on this machine (the .deb depends on them): " + ", ".join(sorted(missing)))
    return {"found": found, "missing": missing}


# --- archives -----------------------------------------------------------------------------------


def make_tar_gz(bundle: Path, out: Path, top: str) -> Path:
    if out.exists():
        out.unlink()

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(out, "w:gz", compresslevel=9) as tar:
        tar.add(bundle, arcname=top, filter=reset)
    return out


def _dpkg_owner(paths: list[str]) -> dict[str, str]:
    """{library path: Debian package} for the paths dpkg knows (usr-merge aware)."""
    owners: dict[str, str] = {}
    candidates: dict[str, str] = {}
    for p in paths:
        for alt in {p, str(Path(p).resolve()), re.sub(r"^/usr/lib/", "/lib/", p), re.sub(r"^/lib/", "/usr/lib/", p)}:
            candidates[alt] = p
    res = subprocess.run(["dpkg", "-S", *sorted(candidates)], capture_output=True, text=True)
    for line in res.stdout.splitlines():
        pkgs, _, path = line.partition(": ")
        if path in candidates and not pkgs.startswith("diversion"):
            owners.setdefault(candidates[path], pkgs.split(",")[0].split(":")[0].strip())
    return owners


def deb_dependencies(links: dict[str, dict[str, set[str]]]) -> tuple[list[str], list[str]]:
    """Depends and Recommends from what the bundle links to on this machine."""
    def optional(users: set[str]) -> bool:
        return all(Path(u).name.startswith(OPTIONAL_PLUGINS) for u in users)

    owners = _dpkg_owner(sorted(links["found"]))
    depends: set[str] = set()
    recommends: set[str] = set()
    for path, users in links["found"].items():
        pkg = owners.get(path)
        if pkg is None:
            log(f"no Debian package owns {path} (used by {sorted(users)[0]}); not a dependency")
            continue
        (recommends if optional(users) else depends).add(pkg)
    for name, users in links["missing"].items():
        pkg = KNOWN_PACKAGES.get(name)
        if pkg is None:
            log(f"WARNING: {name} (used by {sorted(users)[0]}) is not on this machine and not in KNOWN_PACKAGES")
            continue
        (recommends if optional(users) else depends).add(pkg)
    recommends -= depends
    return sorted(depends), sorted(recommends)


def make_deb(bundle: Path, out_dir: Path, ver: str, links: dict[str, dict[str, set[str]]]) -> Path:
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    root = out_dir / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    opt = root / INSTALL_DIR.lstrip("/")
    shutil.copytree(bundle, opt, symlinks=True)
    # launcher on the PATH: a script, so the bundle always finds its own folder
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    launcher = bin_dir / EXE_NAME
    launcher.write_text(f'#!/bin/sh\nexec {INSTALL_DIR}/{EXE_NAME} "$@"\n', encoding="utf-8")
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy2(DESKTOP_FILE, apps / "stylestudio.desktop")
    for size in HICOLOR_SIZES:
        dest = root / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        dest.mkdir(parents=True)
        shutil.copy2(ICONS / f"stylestudio-{size}.png", dest / "stylestudio.png")
    scalable = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(ICONS / "stylestudio.svg", scalable / "stylestudio.svg")
    doc = root / "usr" / "share" / "doc" / DEB_NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Style Studio\nLicense: MIT\n\nThe sample photos in "
        f"{INSTALL_DIR}/_internal/resources/samples carry their own licences:\n\n"
        + (REPO / "resources" / "samples" / "LICENSES.md").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    # normal permissions whatever the umask: dirs and executables 0755, the rest 0644
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir() or path == launcher or os.access(path, os.X_OK):
            path.chmod(0o755)
        else:
            path.chmod(0o644)
    depends, recommends = deb_dependencies(links)
    installed_kb = (folder_size(root) + 1023) // 1024
    summary = project()["description"]
    control = [
        f"Package: {DEB_NAME}",
        f"Version: {ver}",
        "Section: graphics",
        "Priority: optional",
        f"Architecture: {arch}",
        "Maintainer: Style Studio maintainers <maintainers@stylestudio.invalid>",
        f"Installed-Size: {installed_kb}",
    ]
    if depends:
        control.append("Depends: " + ", ".join(depends))
    if recommends:
        control.append("Recommends: " + ", ".join(recommends))
    control += [
        f"Description: {APP_NAME}: visual styles from a description and a reference image",
        " " + summary,
        " .",
        " A desktop app (Qt): derive a colour grade from a photo, add looks named by",
        " your words, render previews and export a standard .cube LUT. Installed in",
        f" {INSTALL_DIR}; 'stylestudio self-test' checks the installation.",
    ]
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text("\n".join(control) + "\n", encoding="utf-8")
    log("control:\n    " + "\n    ".join(control))
    deb = out_dir / f"{DEB_NAME}_{ver}_{arch}.deb"
    if deb.exists():
        deb.unlink()
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", root, deb])
    shutil.rmtree(root)
    return deb


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=OUT / "venv", help="the build venv (default: packaging/out/venv)")
    parser.add_argument("--reuse-venv", action="store_true", help="keep an existing build venv instead of making a fresh one")
    parser.add_argument("--no-deb", action="store_true", help="Linux: skip the .deb")
    parser.add_argument("--no-size-limits", action="store_true", help="report the sizes without failing on the targets")
    args = parser.parse_args(argv)

    ver = version()
    system = platform.system().lower()
    machine = platform.machine().lower()
    log(f"{APP_NAME} {ver} on {system}/{machine}, Python {platform.python_version()}")
    OUT.mkdir(parents=True, exist_ok=True)
    py = make_venv(args.venv.resolve(), args.reuse_venv)
    runtime_pkgs = check_venv(py)
    bundle = pyinstaller(py, OUT / "dist", OUT / "work")
    prune(bundle)
    if system == "linux":
        strip_debug_info(bundle)
    links = linux_link_check(bundle) if system == "linux" else None

    results: dict[str, object] = {"version": ver, "platform": f"{system}-{machine}", "runtime": runtime_pkgs}
    folder = folder_size(bundle)
    results["folder"] = {"path": str(bundle.relative_to(REPO)), "bytes": folder}
    app = OUT / "dist" / f"{APP_NAME}.app"
    if app.is_dir():
        results["app"] = {"path": str(app.relative_to(REPO)), "bytes": folder_size(app)}
    archive = make_tar_gz(bundle, OUT / f"{DEB_NAME}-{ver}-{system}-{machine}.tar.gz", f"{DEB_NAME}-{ver}")
    results["tar.gz"] = {"path": str(archive.relative_to(REPO)), "bytes": archive.stat().st_size}
    if system == "linux" and not args.no_deb:
        if shutil.which("dpkg-deb") is None:
            log("dpkg-deb not found: no .deb (apt-get install dpkg-dev, or pass --no-deb)")
        else:
            deb = make_deb(bundle, OUT, ver, links or {"found": {}, "missing": {}})
            results["deb"] = {"path": str(deb.relative_to(REPO)), "bytes": deb.stat().st_size}
    (OUT / "build-info.json").write_text(json.dumps(results, indent=2), encoding="utf-8")

    print()
    print(f"{'what':<8} {'size':>10}  {'target':>8}  path")
    over = []
    for key, limit in (("folder", FOLDER_LIMIT_MB), ("app", None), ("tar.gz", ARCHIVE_LIMIT_MB), ("deb", None)):
        item = results.get(key)
        if not isinstance(item, dict):
            continue
        size = item["bytes"]
        target = f"<= {limit} MB" if limit else ""
        print(f"{key:<8} {fmt_mb(size):>10}  {target:>8}  {item['path']}")
        if limit and size > limit * MB:
            over.append(f"{key} is {fmt_mb(size)}, over {limit} MB")
    print()
    if over and not args.no_size_limits:
        print("[build] FAILED: " + "; ".join(over), file=sys.stderr)
        return 1
    log(f"done; check it with: packaging/smoke_test.sh {bundle.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
