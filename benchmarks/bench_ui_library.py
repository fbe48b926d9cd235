"""A big library in the window (not a test): run with

    python benchmarks/bench_ui_library.py [--styles 10000] [--baseline 100] [--runs 3] [--libraries DIR]

Each library (10,000 styles, and a baseline of 100 in the same run) is made in a temporary data
folder by inserting rows with SQLAlchemy that reuse a handful of real thumbnail files, then
opened by a fresh process (offscreen) through the real ``desktop.app.start()``. Measured from
the ``start()`` call:

- window: the main window's first paint;
- library open: ``start()`` returned (migrations, engine, recovery done, pool started);
- gallery: the first paint of ``galleryView`` with items in it;
- gallery once the window exists: gallery minus window (target: under 300 ms); it includes
  opening the library (migrations check, engine, recovery), which does not depend on its size;
- gallery once the library is open: gallery minus library open, the gallery's own share;
- thumbnails: every card on the first screen shows its thumbnail;
- resident memory (VmRSS from /proc/self/status) at the first gallery paint, and after
  scrolling through the whole gallery (every page loaded; target: under 300 MB), and the peak;
- scrolling through every page, as a user dragging the scroll bar to the end again and again
  would (target: linear in the rows, at most 1.1x their ratio: 11x for 10x the styles).

``--libraries DIR`` keeps the generated libraries and reuses them on the next run.

Medians of ``--runs`` fresh processes per library (after one warm-up launch, alternating
between the libraries); the ratios are against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

TARGET_GALLERY_MS = 300.0
TARGET_RSS_MB = 300.0
TARGET_SCROLL_SLACK = 1.1  # scrolling through every page: linear in the rows, 10 % slack (<= 11x for 10x)
TIMEOUT = 120.0


# --- the child: one launch ----------------------------------------------------------------------


def child(home: str) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    imported_at = time.perf_counter()
    import qasync
    from PySide6.QtCore import QEvent, QObject
    from ui_library import rss_mb

    from desktop import app
    from desktop.ui.application import ensure_application
    from desktop.ui.styles_model import ThumbnailReadyRole

    qapp = ensure_application()
    marks: dict[str, float] = {}
    state: dict[str, object] = {}

    class FirstPaints(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                name = obj.objectName()
                if name == "mainWindow" and "window" not in marks:
                    marks["window"] = time.perf_counter()
                elif "gallery" not in marks and name == "qt_scrollarea_viewport":
                    parent = obj.parent()
                    model = parent.model() if parent is not None and parent.objectName() == "galleryView" else None
                    if model is not None and model.rowCount() > 0:
                        marks["gallery"] = time.perf_counter()
                        marks["rss_gallery"] = rss_mb()[0]
            return False

    watcher = FirstPaints()
    qapp.installEventFilter(watcher)

    async def until(check, what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not check():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            await asyncio.sleep(0.002)

    async def run() -> None:
        began = time.perf_counter()
        marks["began"] = began
        window = await app.start(home)
        marks["opened"] = time.perf_counter()
        state["window"] = window
        try:
            await until(lambda: "gallery" in marks, "the first gallery paint")
            qapp.removeEventFilter(watcher)
            view = window.gallery.view
            model = window.styles_model

            def first_screen_ready() -> bool:
                rect = view.viewport().rect()
                rows = [r for r in range(min(model.rowCount(), 60)) if view.visualRect(model.index(r, 0)).intersects(rect)]
                return bool(rows) and all(model.index(r, 0).data(ThumbnailReadyRole) for r in rows)

            await until(first_screen_ready, "the first screen's thumbnails")
            marks["thumbnails"] = time.perf_counter()
            # scroll to the end, page after page, as a user dragging the scroll bar would
            scrolled = time.perf_counter()
            bar = view.verticalScrollBar()
            while model.rowCount() < model.total or model.busy:
                bar.setValue(bar.maximum())
                await asyncio.sleep(0.01)
            bar.setValue(bar.maximum())
            await asyncio.sleep(0.5)  # the last screen's thumbnails
            marks["scrolled_all"] = time.perf_counter() - scrolled
            marks["rows"] = model.rowCount()
            marks["rss_all"], marks["hwm"] = rss_mb()
        finally:
            await app.stop(window)

    qasync.run(run())
    b = marks["began"]
    return {
        "imports_ms": (b - imported_at) * 1000,
        "window_ms": (marks["window"] - b) * 1000,
        "opened_ms": (marks["opened"] - b) * 1000,
        "gallery_ms": (marks["gallery"] - b) * 1000,
        "after_window_ms": (marks["gallery"] - marks["window"]) * 1000,
        "after_open_ms": (marks["gallery"] - marks["opened"]) * 1000,
        "thumbnails_ms": (marks["thumbnails"] - b) * 1000,
        "rss_gallery_mb": marks["rss_gallery"],
        "rss_all_mb": marks["rss_all"],
        "hwm_mb": marks["hwm"],
        "scroll_all_s": marks["scrolled_all"],
        "rows": marks["rows"],
    }


# --- the parent -----------------------------------------------------------------------------------


def launch(home: Path) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.pop("STYLESTUDIO_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT + 60,
    )
    if out.returncode != 0:
        raise SystemExit(f"the child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(counts: list[int], runs: int, tmp: Path) -> list[tuple[dict[str, float], float, float]]:
    """Make each library (or reuse one made before under ``tmp``), launch once to warm the disk
    cache, then alternate launches between the libraries so drift on a shared machine hits them
    alike; medians per library."""
    from ui_library import cached_library

    homes, made, sizes = [], [], []
    for count in counts:
        home = tmp / f"lib-{count}"
        made.append(cached_library(home, count))
        sizes.append(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 1e6)
        homes.append(home)
    launch(homes[0])  # warm-up, not counted
    results: list[list[dict[str, float]]] = [[] for _ in counts]
    for _ in range(runs):
        for i, home in enumerate(homes):
            results[i].append(launch(home))
    out = []
    for i in range(len(counts)):
        median = {k: statistics.median(r[k] for r in results[i]) for k in results[i][0]}
        out.append((median, made[i], sizes[i]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--styles", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--libraries",
        metavar="DIR",
        help="keep the generated libraries in DIR and reuse them on the next run (100,000 styles take a while to make)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0

    counts = [args.baseline, args.styles]
    if args.libraries:
        (base, base_made, base_size), (big, big_made, big_size) = measure(counts, args.runs, Path(args.libraries))
    else:
        with tempfile.TemporaryDirectory(prefix="stylestudio-bench-") as tmp:
            (base, base_made, base_size), (big, big_made, big_size) = measure(counts, args.runs, Path(tmp))

    rows = [
        ("launch -> window painted", "window_ms", "ms"),
        ("launch -> library open (start() returned)", "opened_ms", "ms"),
        ("launch -> gallery painted with items", "gallery_ms", "ms"),
        ("  gallery once the window exists", "after_window_ms", "ms"),
        ("  gallery once the library is open", "after_open_ms", "ms"),
        ("launch -> first screen's thumbnails", "thumbnails_ms", "ms"),
        ("resident memory at the first gallery paint", "rss_gallery_mb", "MB"),
        ("resident memory after scrolling through all", "rss_all_mb", "MB"),
        ("peak resident memory (VmHWM)", "hwm_mb", "MB"),
        ("scrolling through every page", "scroll_all_s", "s"),
    ]
    print(f"Gallery of a big library: fresh process per launch, offscreen, median of {args.runs}, {os.cpu_count()} CPUs")
    print(f"(libraries made in {base_made:.1f} s and {big_made:.1f} s (0 when reused); {base_size:.1f} MB and {big_size:.1f} MB on disk)")
    print(f"  {'':<46} {args.baseline:>9,} {args.styles:>10,}   ratio")
    for label, key, unit in rows:
        a, b = base[key], big[key]
        digits = 1 if unit == "s" else 0
        print(f"  {label:<46} {a:>7.{digits}f}{unit:<2} {b:>8.{digits}f}{unit:<2}  {b / a if a else float('nan'):5.2f}x")
    print(f"  rows loaded after scrolling: {base['rows']:.0f} and {big['rows']:.0f}")
    ok_time = big["after_window_ms"] < TARGET_GALLERY_MS
    ok_mem = big["hwm_mb"] < TARGET_RSS_MB
    scroll_ratio = big["scroll_all_s"] / base["scroll_all_s"] if base["scroll_all_s"] else float("inf")
    scroll_limit = TARGET_SCROLL_SLACK * args.styles / max(1, args.baseline)
    ok_scroll = scroll_ratio <= scroll_limit
    print(f"  target: gallery once the window exists < {TARGET_GALLERY_MS:.0f} ms: {'met' if ok_time else 'MISSED'}"
          f" ({big['after_window_ms']:.0f} ms); peak memory < {TARGET_RSS_MB:.0f} MB: {'met' if ok_mem else 'MISSED'} ({big['hwm_mb']:.0f} MB)")
    print(f"  target: scrolling through every page <= {scroll_limit:.1f}x the baseline: {'met' if ok_scroll else 'MISSED'} ({scroll_ratio:.1f}x)")
    return 0 if ok_time and ok_mem and ok_scroll else 1


if __name__ == "__main__":
    sys.exit(main())
