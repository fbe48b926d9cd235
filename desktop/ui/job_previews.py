"""What a running style job has rendered so far, for the progress dialog's thumbnail.

A batch's finished outputs come from its items (``job_items``); a generation job has no items,
so its previews are found in its work folder (``tmp/job-<id>-<attempt>-<random>/``) before they
are moved into the library. A preview counts once its thumbnail exists, because the thumbnail
is written after it: a preview still being written is never shown. No Qt here: this runs on a
worker thread."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.jobs.work_folders import work_folders_of
from desktop.text import shown_path


@dataclass(frozen=True)
class Rendered:
    """A finished preview, shaped like a batch's done item (``status``, ``output``)."""

    output: str
    status: str = "done"


def generation_previews(tmp_dir: Path, job_id: int) -> list[Rendered]:
    """Blocking: the previews job ``job_id`` has finished so far, oldest first."""
    found: list[tuple[int, str]] = []
    for thumb in Path(tmp_dir).glob(f"{work_folders_of(job_id)}/thumb-*.webp"):
        number = thumb.name[len("thumb-") : -len(".webp")]
        preview = thumb.with_name(f"preview-{number}.jpg")
        try:
            found.append((thumb.stat().st_mtime_ns, str(preview)))
        except OSError:  # moved into the library (or cleaned up) meanwhile
            continue
    return [Rendered(path) for _, path in sorted(found)]


def latest_output(items: list[Any]) -> str | None:
    """The newest finished output of a batch (the done item furthest along)."""
    for item in reversed(items):
        if item.status == "done" and item.output:
            return str(item.output)
    return None


_GENERATED = re.compile(r"preview-(\d+)\.jpg")


def preview_caption(path: str) -> str:
    """What the progress dialog says under a preview: "Preview 2" for a style's preview being
    made (its file name is the job's own), "Latest: IMG_2041.jpg" for a batch's styled photo."""
    name = Path(path).name
    made = _GENERATED.fullmatch(name)
    return f"Preview {made.group(1)}" if made else f"Latest: {shown_path(name)}"
