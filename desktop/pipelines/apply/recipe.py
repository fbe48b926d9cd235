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


def recipe_for(info: Any, strength: float | None) -> Any:
    from desktop.exchange.cube import read_pillow_lut
    from desktop.imaging.apply import Recipe
    from desktop.imaging.effects import choose_looks

    params = info.params or {}
    names = params.get("looks")
    looks = choose_looks(info.description or "")
    if isinstance(names, list) and names:
        looks = [lk for lk in looks if lk.name in names]
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
