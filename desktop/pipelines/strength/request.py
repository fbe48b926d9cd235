"""``style.strength``, the front doors' side: the payload (``StrengthPayload``), whether a style's strength
can be changed, a style's params with its grain and vignette set on their own
(``params_with_levels``), and queuing the job (the only module of this slice the window and the
command line import)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

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
        "grain": "The grain must be a whole number from 0 to 100 (per cent; 50 is what 'film grain' gives), or left out.",
        "grain_size": "The grain size must be fine, medium or coarse, or left out.",
        "vignette": "The vignette must be a whole number from 0 to 100 (per cent darker at the corners), or left out.",
    }

    style: Annotated[int, Meta(ge=1, le=MAX_STYLE_ID)]
    strength: Annotated[int, Meta(ge=0, le=100)]
    name: Annotated[str, Meta(max_length=MAX_NAME)] | None = None  # the style's name, for the jobs list only
    # the style's grain and vignette set on their own (None: as they are)
    grain: Annotated[int, Meta(ge=0, le=100)] | None = None
    grain_size: Literal["fine", "medium", "coarse"] | None = None
    vignette: Annotated[int, Meta(ge=0, le=100)] | None = None

    def levels(self) -> dict[str, Any]:
        """The effect levels this job sets (only those given)."""
        return {k: v for k, v in (("grain", self.grain), ("grain_size", self.grain_size), ("vignette", self.vignette)) if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """As stored: the effect levels only when given (a row from before them reads the same)."""
        d = super().to_dict()
        for key in ("grain", "grain_size", "vignette"):
            if d.get(key) is None:
                d.pop(key, None)
        return d


def style_levels(params: dict[str, Any]) -> dict[str, Any]:
    """A style's grain (per cent), grain size and vignette (per cent), as its effects render
    them: what the detail pane's effect controls start from."""
    from desktop.imaging.effects import levels_of

    return levels_of(stored_looks(params))


def stored_looks(params: dict[str, Any]) -> list[Any]:
    """The style's effects (``Look``s) as its previews render them; a damaged one is left out."""
    from desktop.imaging.effects import Look

    stored = params.get("effect_looks")
    looks = []
    for d in stored if isinstance(stored, list) else []:
        try:
            looks.append(Look.from_dict(d))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return looks


def params_with_levels(params: dict[str, Any], **levels: Any) -> dict[str, Any]:
    """A style's ``params`` with its grain and vignette set on their own (``levels``: grain and
    vignette in per cent, grain_size a name; see ``desktop.imaging.effects.with_levels``): its
    stored levels, its effects (``effect_looks``, which previews render) and the names of its
    effects the detail pane lists. ``params`` itself when no level is given."""
    from desktop.imaging.description import EFFECT_LABELS
    from desktop.imaging.effects import with_levels

    given = {k: levels[k] for k in ("grain", "grain_size", "vignette") if levels.get(k) is not None}
    if not given:
        return params
    looks = with_levels(stored_looks(params), **given)
    names = {lk.name for lk in looks}
    labels = [str(x) for x in params.get("effects") or []]
    for name in ("vignette", "grain"):
        label = EFFECT_LABELS[name]
        if name not in names:
            labels = [x for x in labels if x != label]
        elif label not in labels:
            labels.append(label)
    return {**params, **given, "effect_looks": [lk.to_dict() for lk in looks], "effects": labels}


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
    if style.params.get("backend") == "imported":
        return (
            f"“{style.name}” was imported from a LUT file and keeps that LUT whole in its .cube; "
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


def enqueue_strength(runtime: Any, style_id: int, strength: int, **levels: Any) -> int:
    """Check the request and queue the job; returns its id. ``levels``: the style's grain,
    grain_size and vignette, set on their own (None or left out: as they are). Blocking (reads
    the library): call it off the GUI thread. Raises UserError, with no job made, when it is
    refused."""
    from desktop.library.reading import Library

    given = {k: v for k, v in levels.items() if v is not None}
    StrengthPayload.parse({"style": style_id, "strength": strength, **given})
    style = Library(runtime.db, runtime.paths).require(style_id)
    reason = not_adjustable(style)
    if reason:
        raise UserError(reason)
    payload = StrengthPayload.parse({"style": style_id, "strength": strength, "name": style.name, **given})
    return runtime.engine.enqueue(JOB_TYPE, payload.to_dict())
