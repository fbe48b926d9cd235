"""``style.generate``'s work in the worker processes (``desktop.jobs.processes``).

The CPU work (decoding, analysis, the LUT, rendering, encoding) runs in the shared process
pool so it never holds the window's interpreter lock. What crosses the process boundary is
small: paths, the plan as a dict (``StylePlan.to_dict``: the LUT is rebuilt from its grade,
exactly), and dicts back. Each function records ``os.getpid()`` in its result, so the handler
can log which processes did the work.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REFERENCE_DRAFT = (1024, 1024)  # analysis needs no more than this; big JPEGs decode faster
_PLAN_CACHE: dict[str, Any] = {}
_REFERENCE_CACHE: dict[tuple[str, int, int], Any] = {}


def _reference_image(path: str) -> Any:
    """The reference, decoded at analysis size; the last one is kept, so the analysis that
    follows the check on the same worker does not decode it again."""
    from desktop.imaging.intake import load_image

    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    img = _REFERENCE_CACHE.get(key)
    if img is None:
        img = load_image(path, draft_size=REFERENCE_DRAFT).image
        _REFERENCE_CACHE.clear()
        _REFERENCE_CACHE[key] = img
    return img


def _plan_of(plan: dict[str, Any]) -> Any:
    """The ``StylePlan`` for a plan dict (the LUT is built once per worker and plan)."""
    from desktop.generators import local

    key = json.dumps(plan, sort_keys=True)
    found = _PLAN_CACHE.get(key)
    if found is None:
        found = local.StylePlan.from_dict(plan)
        if len(_PLAN_CACHE) >= 4:
            _PLAN_CACHE.clear()
        _PLAN_CACHE[key] = found
    return found


def check_reference_work(reference_path: str) -> dict[str, Any]:
    """Worker: decode the reference (a damaged or refused file raises its UserError)."""
    _reference_image(reference_path)
    return {"pid": os.getpid()}


def plan_work(description: str, reference_path: str | None, seed: int, strength: int | None) -> dict[str, Any]:
    """Worker: analyse the reference, derive the grade (at ``strength`` per cent, or the
    default) and the looks."""
    from desktop.generators import local

    reference = _reference_image(reference_path) if reference_path else None
    strength_01 = local.DEFAULT_STRENGTH if strength is None else strength / 100
    plan = local.plan_style(description, reference, seed=seed, strength=strength_01)
    as_dict = plan.to_dict()
    remember_plan(as_dict, plan)
    return {"plan": as_dict, "pid": os.getpid()}


def remember_plan(as_dict: dict[str, Any], plan: Any) -> None:
    """Keep ``plan`` for the previews this worker renders next (its LUT is built already)."""
    _PLAN_CACHE[json.dumps(as_dict, sort_keys=True)] = plan


def render_preview_work(plan: dict[str, Any], sample: int, size: int, work: str, index: int) -> dict[str, Any]:
    """Worker: render preview ``index`` over sample photo ``sample`` and save it and its
    thumbnail in ``work``."""
    from desktop.generators import local

    img = local.render_preview(_plan_of(plan), sample, size=size)
    return _saved(img, Path(work), index, size)


def render_reference_work(plan: dict[str, Any], reference_path: str, size: int, work: str, index: int) -> dict[str, Any]:
    """Worker: render preview ``index`` over the style's own reference photo (long edge
    ``size``, effects seeded like a sample's) and save it and its thumbnail in ``work``."""
    from desktop.generators import local

    img = local.render_photo(_plan_of(plan), reference_path, index, size=size)
    return _saved(img, Path(work), index, size)


def check_fal_image_work(source: str, name: str, work: str, index: int, size: int) -> dict[str, Any]:
    """Worker: check a downloaded image (staged at ``source``) and save it and its thumbnail."""
    from desktop.imaging.intake import load_image

    try:
        img = load_image(source, name=name).image
    finally:
        Path(source).unlink(missing_ok=True)
    return _saved(img, Path(work), index, size)


def finish_work(plan: dict[str, Any], work: str, title: str, generator: str, reference_path: str | None) -> dict[str, Any]:
    """Worker: what the style stores about its look (with the quality figures when it has a
    reference), and its ``.cube`` file written into ``work``."""
    from desktop.exchange.cube import provenance, write_pillow_lut
    from desktop.generators import local

    style = _plan_of(plan)
    look = style.style_params()
    if style.analysis is not None:
        look["quality"] = local.quality_figures(style)
    notes = provenance(
        description=style.description,
        generator=generator,
        strength=1.0 if style.edit else style.strength,
        reference=Path(reference_path).read_bytes() if reference_path else None,
        in_cube=look["in_cube"],
        effects=look["effects"],
    )
    # a style learned from an edit keeps its whole table in its .cube; its strength mixes it
    # with a photo's own colours when it is applied (as for an imported .cube)
    lut = style.edit.lut(1.0) if style.edit else style.lut
    write_pillow_lut(Path(work) / "style.cube", lut, title, notes=notes)
    return {"look": look, "pid": os.getpid()}


def save_pair(img: Any, work: Path, index: int, size: int, save_preview: Any, save_thumbnail: Any) -> tuple[Path, Path, int, int]:
    """Save ``img`` (resized to long edge ``size``) as preview ``index`` and its thumbnail."""
    from PIL import Image

    if max(img.size) != size:
        scale = size / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.LANCZOS)
    preview = save_preview(img, work / f"preview-{index + 1}.jpg")
    thumb = save_thumbnail(img, work / f"thumb-{index + 1}.webp")
    return preview, thumb, img.width, img.height


def _saved(img: Any, work: Path, index: int, size: int) -> dict[str, Any]:
    from desktop.imaging.thumbnails import save_preview, save_thumbnail

    preview, thumb, width, height = save_pair(img, work, index, size, save_preview, save_thumbnail)
    return {"preview": str(preview), "thumb": str(thumb), "width": width, "height": height, "pid": os.getpid()}
