"""``style.strength``, the front doors' side: the payload's checks, whether a style's strength
can be changed, and queuing the job (the only module of this slice the window and the command
line import)."""

from __future__ import annotations

from typing import Any

from desktop.errors import UserError
from desktop.library.writing import MAX_NAME
from desktop.pipelines.payload_checks import is_int

JOB_TYPE = "style.strength"
KNOWN_KEYS = ("style", "strength", "name")
MAX_STYLE_ID = 2**63 - 1


def validate_payload(payload: dict[str, Any]) -> None:
    """The whole ``style.strength`` payload, checked at enqueue: one sentence per refusal."""
    unknown = sorted(str(k) for k in payload if k not in KNOWN_KEYS)
    if unknown:
        raise UserError(
            f"A style.strength payload has no field '{unknown[0][:40]}'; the fields are: {', '.join(KNOWN_KEYS)}."
        )
    style = payload.get("style")
    if not is_int(style) or not 1 <= style <= MAX_STYLE_ID:
        raise UserError(
            "The style must be a style's id, a whole number like 3; 'stylestudio styles list' shows them."
        )
    strength = payload.get("strength")
    if not is_int(strength) or not 0 <= strength <= 100:
        raise UserError("The strength must be a whole number from 0 to 100 (per cent), like 60.")
    name = payload.get("name")  # the style's name, for the jobs list only
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
        raise UserError(f"The name must be text of at most {MAX_NAME} characters, or left out.")


def not_adjustable(style: Any) -> str | None:
    """Why this style's strength cannot be changed (a sentence), or None when it can."""
    if style.problem:
        return style.problem
    if not style.params.get("grade"):
        return (
            f"“{style.name}” was made before a style's strength could be changed; "
            "make it again to adjust its strength."
        )
    if style.folder is None or style.lut_path is None:
        return f"“{style.name}” has no .cube file in the library; make it again to adjust its strength."
    return None


def enqueue_strength(runtime: Any, style_id: int, strength: int) -> int:
    """Check the request and queue the job; returns its id. Blocking (reads the library):
    call it off the GUI thread. Raises UserError, with no job made, when it is refused."""
    from desktop.library.reading import Library

    validate_payload({"style": style_id, "strength": strength})
    style = Library(runtime.db, runtime.paths).require(style_id)
    reason = not_adjustable(style)
    if reason:
        raise UserError(reason)
    return runtime.engine.enqueue(JOB_TYPE, {"style": style_id, "strength": strength, "name": style.name})
