"""A job type's payload as one typed model (``msgspec.Struct``), checked whole by msgspec.

Each slice's ``request.py`` declares its payload as a subclass of ``Payload``: the field types
and their limits (``Annotated[int, Meta(ge=1)]``) say what msgspec checks; ``REFUSALS`` says,
per field, the one sentence a person reads when that field is missing or wrong (a text, or a
function of the value given, for a sentence that names it); ``check`` holds what types cannot
say (a path's shape, two fields that go together). ``at_door`` adds the checks made only when
a job is queued (``enqueue``), not when a stored row is run.

msgspec's errors name the field (``… - at `$.style```); they are translated here, so a person
never reads them. The engine's generic checks (a JSON object, finite numbers, depth, size:
``desktop.jobs.payloads``) run first; a handler receives the model, never the dict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

import msgspec

from desktop.errors import UserError
from desktop.text import printable

Refusal = str | Callable[[Any], str]
# a REFUSALS key for a type whose sentence for a field it does not have is its own (a function of
# the field's name, made printable); without it the sentence is "A <type> payload has no field …"
UNKNOWN_FIELD = "<unknown field>"

_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>.*)`(?: - at `\$[^`]*`)?$", re.S)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`")
_AT = re.compile(r" - at `\$\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)")


class Payload(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """The base of every job type's payload model."""

    JOB_TYPE: ClassVar[str] = ""
    REFUSALS: ClassVar[Mapping[str, Refusal]] = {}

    def check(self) -> None:
        """Rules the field types cannot say; raise UserError with one sentence."""

    def check_at_door(self) -> None:
        """Rules checked only when the job is queued (a stored row from an older version may
        differ); raise UserError with one sentence."""

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> Self:
        """The model of ``payload``; raises UserError with one sentence when it is refused."""
        model: Self = convert(cls, payload, cls.JOB_TYPE, cls.REFUSALS)
        model.check()
        return model

    @classmethod
    def at_door(cls, payload: Mapping[str, Any]) -> Self:
        """``parse`` plus the checks made when the job is queued."""
        model = cls.parse(payload)
        model.check_at_door()
        return model

    def to_dict(self) -> dict[str, Any]:
        """The payload as the jobs table stores it (plain JSON values)."""
        return msgspec.to_builtins(self)


class PayloadUnion:
    """A job type whose payload is one of several models, told apart by a tag field
    (``class A(Payload, tag_field="kind", tag="pack")``): registered like a ``Payload``."""

    def __init__(self, model: Any, job_type: str, refusals: Mapping[str, Refusal]) -> None:
        self.model = model
        self.job_type = job_type
        self.refusals = refusals

    def parse(self, payload: Mapping[str, Any]) -> Any:
        model = convert(self.model, payload, self.job_type, self.refusals)
        model.check()
        return model

    def at_door(self, payload: Mapping[str, Any]) -> Any:
        model = self.parse(payload)
        model.check_at_door()
        return model


def member_of(model: Any, payload: Mapping[str, Any]) -> Any:
    """The member of a tagged union ``model`` that ``payload``'s tag names (else ``model``)."""
    for member in getattr(model, "__args__", ()):
        config = member.__struct_config__
        if config.tag_field and payload.get(config.tag_field) == config.tag:
            return member
    return model


def fields_of(model: Any) -> tuple[str, ...]:
    """The fields a payload model (or a union of them, in order) has."""
    members = getattr(model, "__args__", (model,))
    seen: dict[str, None] = {}
    for member in members:
        tag_field = getattr(member.__struct_config__, "tag_field", None)
        if tag_field:
            seen.setdefault(tag_field)
        for name in member.__struct_fields__:
            seen.setdefault(name)
    return tuple(seen)


def convert(model: Any, payload: Mapping[str, Any], job_type: str, refusals: Mapping[str, Refusal]) -> Any:
    """``msgspec.convert`` of ``payload`` into ``model`` (a ``Payload`` or a tagged union of
    them), its errors translated into the sentences of ``refusals``."""
    try:
        return msgspec.convert(payload, type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise UserError(refusal(str(exc), model, payload, job_type, refusals)) from None


def refusal(error: str, model: Any, payload: Mapping[str, Any], job_type: str, refusals: Mapping[str, Refusal]) -> str:
    """The one sentence for msgspec's ``error`` on ``payload``."""
    unknown = _UNKNOWN.match(error)
    if unknown:
        name = printable(unknown.group("field"))[:40]
        own = refusals.get(UNKNOWN_FIELD)
        if own is not None:
            return own(name) if callable(own) else own
        fields = ", ".join(fields_of(member_of(model, payload)))  # a union's: those of the kind asked for
        return f"A {job_type} payload has no field '{name}'; the fields are: {fields}."
    found = _MISSING.match(error) or _AT.search(error)
    field = found.group("field") if found else None
    said = refusals.get(field) if field else None
    if said is None:
        return f"This {job_type} payload is not one Style Studio can read; queue the job from the window or the command line."
    return said(payload.get(field)) if callable(said) else said
