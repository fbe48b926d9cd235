"""The window's start-up frame is shown before the event loop, the window's modules and the
database library are imported (issue 23): what ``stylestudio`` has imported when the frame is
painted is checked in a real process, on Qt's offscreen platform."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import REPO

LATER = ("sqlalchemy", "desktop.runtime", "desktop.ui.main_window", "qasync", "asyncio", "importlib.metadata")
SCRIPT = f"""
import sys
from desktop.cli import main
import desktop.ui.application as application
shown = application.show_startup_frame
def spy(settings_file):
    frame = shown(settings_file)
    print("imported:" + ",".join(m for m in {LATER!r} if m in sys.modules), flush=True)
    print("frame:", frame.isVisible(), frame.width(), frame.height(), flush=True)
    sys.exit(0)
application.show_startup_frame = spy
sys.exit(main(sys.argv[1:]))
"""


def test_the_frame_shows_before_the_library_and_the_window_modules_load(home):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, "--home", str(home)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
    assert lines["imported"] == "", f"imported before the first paint: {lines['imported']}"
    assert lines["frame"].split() == ["True", "1180", "760"]


def test_closing_the_frame_twice_is_harmless(qtbot):
    from desktop.ui.application import close_startup_frame, show_startup_frame

    frame = show_startup_frame(None)
    assert frame.isVisible()
    close_startup_frame(frame)
    assert not frame.isVisible() and frame.ended
    close_startup_frame(frame)
    close_startup_frame(None)
