"""Shared by the UI benchmarks: a library of N styles in a temporary data folder, made fast.

A handful of real styles (preview JPEG + 256 px WebP thumbnail, graded sample photos) are
written by ``tests/ui/sample_library.add_styles``; the rest are rows inserted directly with
SQLAlchemy that reuse those files. With ``unique_thumbnails`` each extra style gets its own
copy of a thumbnail (so the gallery decodes every card, as it would in a real library);
without, they share the handful of files (10,000 styles stay a few MB on disk).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from desktop.config import resolve_paths  # noqa: E402
from desktop.db.engine import Database  # noqa: E402
from desktop.db.models import Style, StyleImage  # noqa: E402
from tests.ui.sample_library import LOOKS, add_styles  # noqa: E402

REAL = 8
BATCH = 2000


def make_library(home: Path, count: int, *, unique_thumbnails: bool = False) -> float:
    """Fill ``home`` with ``count`` styles, newest first as the gallery shows them; returns the
    seconds it took."""
    started = time.perf_counter()
    paths = resolve_paths(home)
    paths.home.mkdir(parents=True, exist_ok=True)
    db = Database(paths.database_url())
    try:
        db.migrate()
        if count <= 0:
            return time.perf_counter() - started
        now = time.time()
        real_ids = add_styles(home, count=min(REAL, count), previews=1, start_time=now - 1.0)
        with db.read_session() as s:
            images = {i.style_id: i for i in s.scalars(select(StyleImage).where(StyleImage.style_id.in_(real_ids)))}
            styles = {st.id: st for st in s.scalars(select(Style).where(Style.id.in_(real_ids)))}
        extra = count - len(real_ids)
        next_id = max(real_ids) + 1
        style_rows: list[dict] = []
        image_rows: list[dict] = []
        for k in range(extra):
            src_id = real_ids[k % len(real_ids)]
            src, img = styles[src_id], images[src_id]
            style_id = next_id + k
            name, description, _ = LOOKS[k % len(LOOKS)]
            thumb = img.thumb_path
            if unique_thumbnails:
                folder = Path("styles") / f"{style_id:06d}"
                (paths.home / folder).mkdir(parents=True, exist_ok=True)
                thumb = str(folder / "preview_1.thumb.webp")
                shutil.copyfile(paths.home / img.thumb_path, paths.home / thumb)
            style_rows.append(
                {
                    "id": style_id,
                    "name": f"{name} {k + 1}",
                    "description": description,
                    "prompt": src.prompt,
                    "generator": "local",
                    "folder": src.folder,
                    "lut_path": src.lut_path,
                    "analysis": src.analysis,
                    "params": json.dumps({"seed": k}),
                    "created_at": now - 2.0 - k,  # older than the real ones, one a second
                }
            )
            image_rows.append(
                {"style_id": style_id, "position": 0, "path": img.path, "thumb_path": thumb, "width": img.width, "height": img.height}
            )
        with db.write_session() as s:
            for i in range(0, len(style_rows), BATCH):
                s.execute(insert(Style), style_rows[i : i + BATCH])
                s.execute(insert(StyleImage), image_rows[i : i + BATCH])
    finally:
        db.dispose()
    return time.perf_counter() - started


def cached_library(home: Path, count: int, *, unique_thumbnails: bool = False) -> float:
    """``make_library`` unless ``home`` already holds one made by it with the same ``count``
    (a marker file says so); returns the seconds spent making it (0.0 when reused)."""
    marker = home / ".bench-library"
    wanted = json.dumps({"count": count, "unique_thumbnails": unique_thumbnails})
    if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return 0.0
    if home.exists():
        shutil.rmtree(home)
    seconds = make_library(home, count, unique_thumbnails=unique_thumbnails)
    marker.write_text(wanted, encoding="utf-8")
    return seconds


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB, from /proc/self/status."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
