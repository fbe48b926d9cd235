"""Where each of a style's previews was rendered over (``style.strength`` renders the new ones
over the same photos)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REFERENCE = "reference"  # a preview source: the style's reference photo


def preview_sources(params: dict[str, Any], count: int, samples: list[Path]) -> list[str]:
    """What each of a local style's ``count`` previews was rendered over: ``"reference"`` or a
    bundled sample photo's file name. A generator that records it says so in
    ``params["preview_sources"]``; older styles follow the rule they were made with (preview
    ``i`` over sample ``(seed + i) mod n``)."""
    recorded = params.get("preview_sources")
    if isinstance(recorded, list) and len(recorded) >= count and all(isinstance(x, str) for x in recorded):
        return [str(x) for x in recorded[:count]]
    if not samples:
        return []
    seed = int(params.get("seed") or 1)
    return [samples[(seed + i) % len(samples)].name for i in range(count)]


def source_path(source: str, reference: Path | None, samples: list[Path]) -> Path | None:
    if source == REFERENCE:
        return reference
    for photo in samples:
        if photo.name == source:
            return photo
    return None
