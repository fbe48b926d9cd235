"""Every native library the app's wheels bring is named, with its licence, in the shipped
``resources/OPEN_SOURCE_LICENCES.md`` (Help › Open-source licences, and a file in the bundle),
and the GPL HEVC encoder is not among them (issue 22 §6)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LICENCES = ROOT / "resources" / "OPEN_SOURCE_LICENCES.md"
# the packages of the app's dependencies whose wheels carry native libraries (``<name>.libs``)
WHEELS = ("rawpy", "pi_heif", "PIL", "numpy")
# a native library's file name (up to its hash or version) -> how the licence file names it
NAMED = {
    "libgomp": "libgomp", "libjasper": "JasPer", "libjpeg": "libjpeg-turbo", "liblcms2": "Little CMS",
    "libde265": "libde265", "libheif": "libheif", "libavif": "libavif", "libbrotlicommon": "Brotli",
    "libbrotlidec": "Brotli", "libfreetype": "FreeType", "libharfbuzz": "HarfBuzz", "liblzma": "liblzma",
    "libopenjp2": "OpenJPEG", "libpng16": "libpng", "libsharpyuv": "libsharpyuv", "libtiff": "libtiff",
    "libwebp": "libwebp", "libwebpdemux": "libwebp", "libwebpmux": "libwebp", "libxcb": "libxcb",
    "libXau": "libXau", "libzstd": "Zstandard", "libgfortran": "libgfortran", "libquadmath": "libquadmath",
    "libscipy_openblas64_": "OpenBLAS", "libscipy_openblas": "OpenBLAS",
}


def _libs(package: str) -> list[Path]:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, package
    site = Path(spec.origin).parent.parent
    folder = site / f"{'pillow' if package == 'PIL' else package}.libs"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _stem(lib: Path) -> str:
    name = lib.name.split(".so")[0].split(".dll")[0].split(".dylib")[0]
    while True:  # auditwheel's hashes: libfoo-1a2b3c4d.so.1, libfoo-1a2b3c4d-5e6f7a8b.so.5
        head, _, tail = name.rpartition("-")
        if not (head and tail and all(c in "0123456789abcdef" for c in tail.lower())):
            return name
        name = head


@pytest.mark.parametrize("package", WHEELS)
def test_every_native_library_of_the_apps_wheels_is_listed_with_its_licence(package):
    text = LICENCES.read_text(encoding="utf-8")
    libs = _libs(package)
    for lib in libs:
        stem = _stem(lib)
        assert stem in NAMED, f"{lib.name} (from {package}) is not in OPEN_SOURCE_LICENCES.md: add it with its licence"
        row = next((line for line in text.splitlines() if line.startswith("|") and NAMED[stem] in line), None)
        assert row is not None and row.count("|") >= 4 and row.rstrip("| ").split("|")[-1].strip(), (lib.name, row)


def test_the_gpl_hevc_encoder_is_not_among_the_apps_libraries():
    every = [lib.name.lower() for package in WHEELS for lib in _libs(package)]
    assert not any("x265" in name for name in every), every
    assert "x265" in LICENCES.read_text(encoding="utf-8")  # and the file says why it is left out
