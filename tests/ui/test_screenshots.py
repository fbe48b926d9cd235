"""The screenshot tool renders every shot through the real start-up path, and none is blank."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

# name: (exact size or None, minimum size, minimum distinct colours)
SHOTS = {
    "main.png": ((1200, 800), None, 5000),
    "jobs.png": ((1200, 800), None, 5000),
    "export.png": (None, (400, 250), 50),
    "new_style.png": (None, (460, 300), 1000),  # a photo thumbnail inside
    "progress.png": (None, (400, 150), 100),
    "failed.png": (None, (400, 150), 100),
    "apply.png": (None, (460, 300), 1000),  # the before/after photo inside
    "apply_progress.png": (None, (400, 150), 100),
}


@pytest.mark.timeout(600)
def test_screenshot_tool_renders_every_shot(tmp_path):
    out = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "desktop.tools.screenshots", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=540,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = {Path(line).name for line in result.stdout.split()}
    assert printed == set(SHOTS)
    assert {p.name for p in out.iterdir()} == set(SHOTS)  # the library was temporary
    for name, (exact, minimum, min_colours) in SHOTS.items():
        with Image.open(out / name) as im:
            assert im.format == "PNG"
            rgb = im.convert("RGB")
        if exact is not None:
            assert rgb.size == exact, name
        else:
            assert rgb.width >= minimum[0] and rgb.height >= minimum[1], (name, rgb.size)
            assert rgb.width <= 1000 and rgb.height <= 800, (name, rgb.size)  # a dialog, not a wall
        colours = rgb.getcolors(maxcolors=1 << 24)
        assert len(colours) >= min_colours, (name, len(colours))
        commonest = max(count for count, _ in colours) / (rgb.width * rgb.height)
        assert commonest < 0.95, (name, commonest)  # not one flat colour


def test_a_file_as_outdir_is_refused_in_a_sentence(tmp_path):
    bad = tmp_path / "file.png"
    bad.write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "desktop.tools.screenshots", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        timeout=60,
    )
    assert result.returncode == 2
    assert "is a file" in result.stderr and "Traceback" not in result.stderr
    assert bad.read_text() == "x"
