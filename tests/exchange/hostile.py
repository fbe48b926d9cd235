"""Hostile files built for real (a zip listing a million entries, a level-16 HaldCLUT, a .cube of
one 30 MB line, pictures of 9999 x 9999), and the peak memory of a real process that reads one."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers import REPO

_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")


def zip_listing(path: Path, entries: int, *, declared: int | None = None, zip64: bool = False) -> Path:
    """A zip whose central directory really lists ``entries`` entries (each a 1-byte name, no
    data), with end records that declare ``declared`` (default: the truth); ``zip64`` writes
    the zip64 end record and its locator, as a zip of over 65,535 entries must."""
    declared = entries if declared is None else declared
    header = _CENTRAL.pack(b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) + b"x"
    directory_size = len(header) * entries
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04")  # a zip's first bytes
        start = fh.tell()
        block = header * 10_000
        for _ in range(entries // 10_000):
            fh.write(block)
        fh.write(header * (entries % 10_000))
        end = fh.tell()
        if zip64:
            fh.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, declared, declared, directory_size, start))
            fh.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1))
            fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
        else:
            fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, declared, declared, directory_size, start, 0))
    return path


def rewrite_pack(pack: Path, out: Path, *, manifest=None, replace: dict[str, bytes] | None = None) -> Path:
    """A copy of ``pack`` with entries replaced and the manifest changed by ``manifest(doc)``,
    the files' sizes, hashes and content hashes then brought in line with them."""
    import hashlib

    from desktop.exchange.pack import content_hash

    replace = replace or {}
    with zipfile.ZipFile(pack) as src:
        data = {info.filename: src.read(info) for info in src.infolist()}
    data.update(replace)
    doc = json.loads(data["manifest.json"])
    if manifest is not None:
        manifest(doc)
    for style in doc["styles"]:
        files = style["files"]
        refs = [files["cube"]] + [p[k] for p in files["previews"] for k in ("image", "thumb")]
        for ref in refs:
            ref.update(sha256=hashlib.sha256(data[ref["path"]]).hexdigest(), bytes=len(data[ref["path"]]))
        style["content_hash"] = content_hash(files["cube"]["sha256"], [p["image"]["sha256"] for p in files["previews"]])
    data["manifest.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in data.items():
            dst.writestr(name, body)
    return out


PEAK = """
def _peak_mb():
    # VmHWM: the high-water mark of this program's own memory (ru_maxrss would also count the
    # test process it was forked from, whose memory it shared until exec)
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def run_measured(code: str, *, timeout: float = 300) -> tuple[str, float]:
    """Run ``code`` in a new Python process (this checkout first on its path); returns what it
    printed and its peak resident memory in MB."""
    script = PEAK + code + "\nimport sys\nprint('PEAK_MB', _peak_mb(), file=sys.stderr)\n"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_MB ")]
    return done.stdout.strip(), float(peak[-1].split()[1])


def cli_peak(*args: str, home: Path, workdir: Path, timeout: float = 300) -> tuple[int, str, str, float]:
    """``stylestudio ARGS`` in a real process: (exit code, stdout, stderr, its peak resident
    memory in MB)."""
    peak_file = workdir / "peak.txt"
    script = PEAK + (
        "import sys\nfrom desktop.cli import main\ncode = main(sys.argv[1:])\n"
        f"open({str(peak_file)!r}, 'w').write(str(_peak_mb()))\nsys.exit(code)\n"
    )
    env = dict(os.environ, STYLESTUDIO_HOME=str(home), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)
    return done.returncode, done.stdout, done.stderr, float(peak_file.read_text())
