"""What every photo of a ``style.apply`` batch is graded with: the style's recipe (its .cube or
grade at the chosen strength, its looks and seed), read from the style's stored params."""

from __future__ import annotations

import json
from typing import Any

from desktop.library.reading import stored_strength
from desktop.pipelines.payload_checks import is_int


def _grade_text(params: dict[str, Any]) -> str | None:
    """The style's grade as JSON text, when its strength is a whole-number percent (the .cube
    was built from this grade at that strength): a photo is then graded by the grade built at
    the chosen strength, exactly like the .cube and the previews at the style's own strength.
    None for styles imported from a .cube or made by older versions (their .cube is mixed with
    the photo's colours instead)."""
    grade = params.get("grade")
    if isinstance(grade, dict) and grade and is_int(params.get("strength")):
        return json.dumps(grade, sort_keys=True)
    return None


def stored_levels(params: dict[str, Any]) -> dict[str, Any]:
    """The grain and vignette a style was set to on their own (``params["grain"]``,
    ``"grain_size"``, ``"vignette"``, stored like its strength), each None when not set or
    damaged: the style's words decide then."""
    from desktop.imaging.effects import GRAIN_SIZES

    levels: dict[str, Any] = {}
    for key in ("grain", "vignette"):
        value = params.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
        levels[key] = float(value) if ok else None
    size = params.get("grain_size")
    levels["grain_size"] = size if isinstance(size, str) and size in GRAIN_SIZES else None
    return levels


def recipe_for(
    info: Any,
    strength: float | None,
    *,
    grain: float | None = None,
    grain_size: str | None = None,
    vignette: float | None = None,
) -> Any:
    """The recipe of ``info`` (a style) at ``strength`` (None: the style's own), with its grain
    and vignette as the style stores them unless ``grain``, ``grain_size`` or ``vignette`` (a
    batch's own, ``--grain``/``--vignette``) say otherwise."""
    from desktop.exchange.cube import read_pillow_lut
    from desktop.imaging.apply import Recipe
    from desktop.imaging.effects import choose_looks, with_levels

    params = info.params or {}
    names = params.get("looks")
    looks = choose_looks(info.description or "")
    if isinstance(names, list) and names:
        looks = [lk for lk in looks if lk.name in names]
    looks = with_levels(looks, **stored_levels(params))
    looks = with_levels(looks, grain=grain, grain_size=grain_size, vignette=vignette)
    pct = stored_strength(params) if strength is None else float(strength)
    seed = params.get("seed")
    return Recipe(
        lut_path=str(info.lut_path),
        strength=pct / 100.0,
        looks=tuple(lk.to_dict() for lk in looks),
        seed=int(seed) if is_int(seed) else 1,
        grade=_grade_text(params),
        read_lut=read_pillow_lut,
    )
