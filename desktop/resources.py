"""Where the bundled, read-only resources (sample photos, icons) live.

From a source checkout they are in ``resources/`` beside the package; in a PyInstaller bundle
they are under ``sys._MEIPASS``. ``STYLESTUDIO_RESOURCES`` overrides both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SAMPLE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
# sample photos too dark to judge a look on (nearly black): never the first preview of a style,
# nor the photo a strength is previewed on
DARK_SAMPLES = frozenset({"hubble_deep_field.jpg"})


def resources_dir() -> Path:
    override = os.environ.get("STYLESTUDIO_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def sample_photos() -> list[Path]:
    """The bundled sample photos that previews are rendered over, in a stable order."""
    folder = resources_dir() / "samples"
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SAMPLE_SUFFIXES)
