"""``python -m desktop.tools.screenshots OUTDIR``: render the window and its dialogs offscreen
into PNG files (the work is done in ``desktop.ui.screenshots``; only the UI layer touches
widgets). The tool hands it the app's start-up and shut-down (``desktop.app.start``/``stop``),
so the screenshots module does not import the app above it."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desktop.tools.screenshots",
        description="Render screenshots of the window offscreen, with a temporary library.",
    )
    parser.add_argument("outdir", help="folder for the PNG files (made if missing)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    args = parser.parse_args(argv)
    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        print(f"{args.outdir} is a file; give a folder for the screenshots.", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(relativeCreated)7.0f ms %(name)s: %(message)s")

    from desktop import app
    from desktop.ui.screenshots import ScreenshotError, take_screenshots

    try:
        paths = take_screenshots(args.outdir, app.start, app.stop)
    except (ScreenshotError, TimeoutError) as exc:
        print(f"screenshots failed: {exc or 'timed out'}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
