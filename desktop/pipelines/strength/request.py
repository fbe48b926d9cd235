"""``style.strength``, the front doors' side: the payload (``StrengthPayload``), whether a style's strength
can be changed, and queuing the job (the only module of this slice the window and the command
line import)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from msgspec import Meta

from desktop.errors import UserError
from desktop.library.writing import MAX_NAME
from desktop.pipelines.payload_model import Payload, Refusal

JOB_TYPE = "style.strength"
MAX_STYLE_ID = 2**63 - 1


class StrengthPayload(Payload):
    """The ``style.strength`` payload: a style and its new strength."""

    JOB_TYPE: ClassVar[str] = JOB_TYPE
    REFUSALS: ClassVar[dict[str, Refusal]] = {
        "style": "The style must be a style's id, a whole number like 3; 'stylestudio styles list' shows them.",
        "strength": "The strength must be a whole number from 0 to 100 (per cent), like 60.",
        "name": f"The name must be text of at most {MAX_NAME} characters, or left out.",
    }

    style: Annotated[int, Meta(ge=1, le=MAX_STYLE_ID)]
    strength: Annotated[int, Meta(ge=0, le=100)]
    name: Annotated[str, Meta(max_length=MAX_NAME)] | None = None  # the style's name, for the jobs list only


def not_adjustable(style: Any) -> str | None:
    """Why this style's strength cannot be changed (a sentence), or None when it can."""
    if style.problem:
        return style.problem
    if style.params.get("source") == "edit":
        return (
            f"“{style.name}” was learned from an edit and keeps the whole edit in its .cube; "
            "choose how much of it a photo gets when you apply it (the Apply dialog's strength, "
            "or 'stylestudio apply --strength')."
        )
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

    StrengthPayload.parse({"style": style_id, "strength": strength})
    style = Library(runtime.db, runtime.paths).require(style_id)
    reason = not_adjustable(style)
    if reason:
        raise UserError(reason)
    payload = StrengthPayload(style=style_id, strength=strength, name=style.name)
    return runtime.engine.enqueue(JOB_TYPE, payload.to_dict())
