"""Exchange benchmark (not a test): run with

    python benchmarks/bench_exchange.py

1. Packing 100 styles (each a 33^3 .cube, 4 previews at 768 px and 4 thumbnails) with
   ``PackWriter`` (SHA-256 of every file, a manifest, JPEG/WebP stored, .cube deflated)
   against the bare ``zipfile`` writing the same files deflated, no hashing.
2. Unpacking them with ``open_pack`` + ``PackReader.read`` (entry-name and zip-bomb checks,
   manifest schema, byte-counted reads, SHA-256 of every file) against the bare ``zipfile``
   reading every entry.
3. Parsing a 65^3 .cube with ``read_cube`` (all checks: row count, finite values, domain)
   against a bare float parser (every line starting with a digit, split, float), and against
   the previous ``desktop.imaging.lut.read_cube`` (now ``desktop.exchange.cube.read_pillow_lut``).

Best of 3 each, in the same run; ratios are ours / baseline.
"""

from __future__ import annotations

import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.exchange.cube import Lut, read_cube, write_cube  # noqa: E402
from desktop.exchange.cube import read_pillow_lut as old_read_cube  # noqa: E402
from desktop.exchange.pack import PackWriter, content_hash, file_json, files_of, open_pack  # noqa: E402
from desktop.imaging.description import grade_from_description  # noqa: E402
from desktop.imaging.grade import build_lut  # noqa: E402
from desktop.imaging.intake import load_image  # noqa: E402
from desktop.imaging.thumbnails import save_preview, save_thumbnail  # noqa: E402
from desktop.resources import sample_photos  # noqa: E402

STYLES = 100


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def make_files(root: Path) -> list[list[tuple[Path, str]]]:
    """One style's files on disk, listed 100 times under different pack names."""
    lut = Lut.from_pillow(build_lut(grade_from_description("warm film"), strength=0.8))
    write_cube(root / "style.cube", lut, "Warm film", notes=["Description: warm film"])
    files = [(root / "style.cube", "style.cube")]
    for k, photo in enumerate(sample_photos()[:4], 1):
        img = load_image(photo).image
        img.thumbnail((768, 768))
        files.append((save_preview(img, root / f"preview-{k}.jpg"), f"preview-{k}.jpg"))
        files.append((save_thumbnail(img, root / f"thumb-{k}.webp"), f"thumb-{k}.webp"))
    return [[(p, f"styles/{i}/{name}") for p, name in files] for i in range(1, STYLES + 1)]


def pack_ours(styles, out: Path) -> None:
    with open(out, "wb") as fh:
        w = PackWriter(fh)
        for i, files in enumerate(styles, 1):
            refs = [w.add_file(p, arc) for p, arc in files]
            cube, rest = refs[0], refs[1:]
            previews = [{"image": file_json(a), "thumb": file_json(b), "width": 768, "height": 512} for a, b in zip(rest[::2], rest[1::2], strict=True)]
            w.add_style({
                "name": f"Style {i}", "description": "warm film", "prompt": "", "palette": None, "strength": 80,
                "looks": [], "effects": [], "generator": "local", "created": "2025-01-01T00:00:00Z", "params": {}, "analysis": None,
                "content_hash": content_hash(cube.sha256, [r.sha256 for r in rest[::2]]),
                "files": {"cube": file_json(cube), "previews": previews, "reference": None},
            })
        w.finish(app_version="bench", created=datetime.now(UTC).isoformat())


def pack_bare(styles, out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for files in styles:
            for p, arc in files:
                z.write(p, arc)


def unpack_ours(path: Path) -> int:
    total = 0
    with open_pack(path) as reader:
        for style in reader.manifest.styles:
            for ref in files_of(style):
                total += len(reader.read(ref))
    return total


def unpack_bare(path: Path) -> int:
    total = 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            total += len(z.read(info))
    return total


def bare_float_parser(path: Path) -> list[float]:
    values: list[float] = []
    with open(path) as fh:
        for line in fh:
            if line[:1].isdigit():
                values.extend(map(float, line.split()))
    return values


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        styles = make_files(root)
        size = sum(p.stat().st_size for p, _ in styles[0]) * STYLES
        print(f"{STYLES} styles, {size / 1024**2:.0f} MB of files")
        ours_pack, bare_pack = root / "ours.stylepack", root / "bare.zip"
        t_ours = best_of(3, lambda: pack_ours(styles, ours_pack))
        t_bare = best_of(3, lambda: pack_bare(styles, bare_pack))
        print(f"pack   : ours {t_ours:6.3f} s  bare zipfile {t_bare:6.3f} s  ratio {t_ours / t_bare:4.2f}  ({ours_pack.stat().st_size / 1024**2:.0f} MB vs {bare_pack.stat().st_size / 1024**2:.0f} MB)")
        u_ours = best_of(3, lambda: unpack_ours(ours_pack))
        u_bare = best_of(3, lambda: unpack_bare(bare_pack))
        print(f"unpack : ours {u_ours:6.3f} s  bare zipfile {u_bare:6.3f} s  ratio {u_ours / u_bare:4.2f}  (ours checks names, limits, manifest and every SHA-256)")

        cube = write_cube(root / "big.cube", Lut.from_pillow(build_lut(grade_from_description("teal and orange"), size=65)), "Big", size=65)
        c_ours = best_of(3, lambda: read_cube(cube))
        c_bare = best_of(3, lambda: bare_float_parser(cube))
        c_old = best_of(3, lambda: old_read_cube(cube))
        assert read_cube(cube).table.tolist() == bare_float_parser(cube)
        print(f"65^3 .cube ({cube.stat().st_size / 1024**2:.1f} MB): ours {c_ours:6.3f} s  bare float parser {c_bare:6.3f} s  ratio {c_ours / c_bare:4.2f}  (previous read_pillow_lut {c_old:6.3f} s)")


if __name__ == "__main__":
    main()
