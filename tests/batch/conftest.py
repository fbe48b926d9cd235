"""Batch tests: a real library with one style, real photo files, real worker processes."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from PIL import Image

from desktop.jobs import processes
from desktop.pipelines.generate.request import enqueue_style
from tests.helpers import run_pool, runtime


@pytest.fixture(autouse=True, scope="session")
def _stop_worker_processes():
    yield
    processes.shutdown()


@pytest.fixture
def rt(home, database_url):
    """The library, on SQLite and on PostgreSQL (``database_url``)."""
    r = runtime(home)
    yield r
    r.close()


@pytest.fixture
def style(rt) -> int:
    """A style with a grade and look effects (grain, vignette), made by the real pipeline."""
    job = enqueue_style(rt, "warm film grain with a vignette", previews=1, size=64, seed=7)
    run_pool(rt, timeout=60)
    row = rt.engine.require(job)
    assert row.status == "succeeded", row.error
    return int(row.result_dict()["id"])


def photo(path: Path, size=(96, 64), colour=(90, 140, 200), **save) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, **save)
    return path


def rotated_jpeg(path: Path) -> Path:
    """Stored 96 x 64 with EXIF orientation 6: upright it is 64 x 96."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"  # Make: carried over
    return photo(path, exif=exif.tobytes(), dpi=(300, 300))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashes(folder: Path) -> dict[str, str]:
    return {str(p): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def adobe_rgb_profile() -> bytes:
    """A real ICC v2 matrix/TRC profile with Adobe RGB (1998) primaries, gamma 2.2 (built by
    hand: Pillow's ImageCms can only create sRGB, LAB and XYZ). ImageCms reads it back."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 563) + b"\0\0"  # gamma 563/256 = 2.2
    text = b"Test Adobe RGB\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 4 + b"\0" * 4 + b"\0\0" + b"\0" + b"\0" * 67
    cprt = b"text\0\0\0\0" + b"public domain\0"
    tags = [
        (b"desc", desc), (b"cprt", cprt), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.60974, 0.31111, 0.01947)), (b"gXYZ", xyz(0.20528, 0.62567, 0.06087)),
        (b"bXYZ", xyz(0.14919, 0.06322, 0.74457)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b"\0"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    size = 128 + len(body)
    header = (
        struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
        + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28
    )
    assert len(header) == 128
    return header + body
