"""The same batch asked for again: resumed, never made twice.

A batch's ``key`` (in its payload, signed with it) stands for everything that decides what its
photos look like and where they go: the style and its look as it was when the batch was queued
(its grade, strength, look effects and seed; the .cube's content for a style that has no
grade), the output folder as stored, the output options and the name template. Front doors look
for an unfinished batch (queued or running) with the same key and the same photos in the same order
(``unfinished_batch``): the same command run again after a crash resumes that batch instead of
queueing a second one. And a photo an earlier batch with the same key styled into the same
folder, whose output file is still there, is not styled again (``earlier_outputs``): the item
is recorded done with that file, even when that batch has finished.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from desktop.jobs.items import ItemStore

UNFINISHED = ("queued", "running")
OPTIONS = ("format", "quality", "long_edge", "keep_metadata")


def _file_sha(path: str) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def look_print(recipe: Any) -> dict[str, Any]:
    """What decides a styled photo's pixels, the same on every machine (no paths)."""
    return {
        "grade": recipe.grade,
        "strength": round(float(recipe.strength), 4),
        "looks": list(recipe.looks),
        "seed": recipe.seed,
        "cube": None if recipe.grade else _file_sha(recipe.lut_path),
    }


def batch_key(style_id: int, recipe: Any, payload: dict[str, Any]) -> str:
    """The key of a batch (see the module's text), as 64 hex digits."""
    doc = {
        "style": style_id,
        "look": look_print(recipe),
        "out": payload["out"],
        **{k: payload.get(k) for k in OPTIONS},
    }
    if payload.get("name"):  # the output name template; only when set, so older keys stay as they were
        doc["name"] = payload["name"]
    text = json.dumps(doc, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def unfinished_batch(store: ItemStore, job_type: str, key: str, inputs: list[str]) -> tuple[int, str] | None:
    """(id, status) of the newest queued or running batch with this key and exactly these
    stored inputs; None when there is none."""
    for job_id, status, payload in reversed(store.batches(job_type, key)):
        if status in UNFINISHED and payload.get("key") == key and [i.input for i in store.items(job_id)] == inputs:
            return job_id, status
    return None


def earlier_outputs(store: ItemStore, job_type: str, key: str, job_id: int) -> dict[str, list[str]]:
    """input -> the outputs (as stored, oldest first) other batches with this key recorded
    done for it."""
    found: dict[str, list[str]] = {}
    for other, _status, payload in store.batches(job_type, key):
        if other == job_id or payload.get("key") != key:
            continue
        for inp, out in store.done_outputs(other):
            found.setdefault(inp, []).append(out)
    return found
