"""Job types: the handler that runs each type of job, registered by the layer that owns it.

The engine knows nothing of styles, has no job type of its own and imports nothing above it: a
front door (the window, the command line, the worker: all open the library through
``desktop.runtime``) calls ``desktop.pipelines.register_all()``, whose modules register their
handlers here (the ``diagnostics.*`` types too: ``desktop/pipelines/diagnostics``).

Every payload is validated whole at enqueue: a registered type's ``validate`` first makes the
generic checks of ``desktop.jobs.payloads.check_payload`` (a JSON object, finite numbers, depth,
size) and then the type's own schema, so ``JobType.validate`` is never None. A type with a typed
payload model (``desktop.pipelines.payload_model``) registers its ``parse`` too: the worker hands
the handler the model, parsed from the stored row, never the dict.

A batch type may also register an ``assist`` handler (``register_assist``): then a worker with a
free slot and no queued job to take helps with the items of a running job of that type that
another worker leads (item-level claiming, ``desktop.jobs.items``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from desktop.jobs.payloads import check_payload

if TYPE_CHECKING:
    from desktop.jobs.context import JobContext
    from desktop.jobs.items import Assist

# a handler receives its payload: the type's typed model (``parse``), or the dict
Handler = Callable[["JobContext", Any], Awaitable[dict[str, Any] | None]]
Validator = Callable[[dict[str, Any]], Any]
# a payload dict into what the handler receives (a job type's typed model)
Parser = Callable[[dict[str, Any]], Any]


class PayloadModel(Protocol):
    """A job type's typed payload (``desktop.pipelines.payload_model.Payload``)."""

    def at_door(self, payload: dict[str, Any], /) -> Any: ...

    def parse(self, payload: dict[str, Any], /) -> Any: ...


# runs the pending items of a job another worker leads (see ``desktop.jobs.items.Assist``)
AssistHandler = Callable[["Assist"], Awaitable[None]]


@dataclass(frozen=True)
class JobType:
    name: str
    handler: Handler
    title: str
    retry_safe: bool = False  # may run again from the start after a crash
    # raises UserError for a payload it refuses: the generic checks, then the type's schema
    validate: Validator | None = None
    # a batch type whose items any worker with a free slot may run while another leads it
    assist: AssistHandler | None = None
    # the stored payload into what the handler receives (None: the dict itself)
    parse: Parser | None = None


_TYPES: dict[str, JobType] = {}


def register(
    name: str,
    *,
    title: str,
    retry_safe: bool = False,
    validate: Validator | None = None,
    payload: PayloadModel | None = None,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` for job type ``name``; ``validate`` is the type's own schema, checked
    at enqueue. A type with a typed ``payload`` model gives that instead: its ``at_door`` is
    checked at enqueue, and its ``parse`` turns every stored payload into the model the handler
    receives (a refusal fails the job with its sentence: a row from an older version, or
    written around the engine)."""
    parse: Parser | None = None
    if payload is not None:
        validate, parse = payload.at_door, payload.parse

    def decorate(handler: Handler) -> Handler:
        _TYPES[name] = JobType(name, handler, title, retry_safe, _compose(validate), parse=parse)
        return handler

    return decorate


def _compose(own: Validator | None) -> Validator:
    def validate(payload: dict[str, Any]) -> None:
        check_payload(payload)
        if own is not None:
            own(payload)

    return validate


def register_assist(name: str) -> Callable[[AssistHandler], AssistHandler]:
    """Register how a worker that does not lead a running job of type ``name`` helps with its
    items (register the type itself first)."""

    def decorate(assist: AssistHandler) -> AssistHandler:
        _TYPES[name] = dataclasses.replace(_TYPES[name], assist=assist)
        return assist

    return decorate


def assist_types() -> list[str]:
    """The types whose items several workers may share."""
    return sorted(name for name, jt in _TYPES.items() if jt.assist is not None)


def get(name: str) -> JobType | None:
    return _TYPES.get(name)


def names() -> list[str]:
    return sorted(_TYPES)


def types() -> dict[str, JobType]:
    """The registered types by name: the registry itself (a test swaps a handler in it for the
    length of the test with ``monkeypatch.setitem``)."""
    return _TYPES


def title(name: str) -> str:
    jt = _TYPES.get(name)
    return jt.title if jt else name
