"""Job types: the handler that runs each type of job, registered by the layer that owns it.

The engine knows nothing of styles and imports nothing above it: a front door (the window, the
command line, the worker: all open the library through ``desktop.runtime``) calls
``desktop.pipelines.register_all()``, whose modules register their handlers here. The engine
itself registers only its own ``diagnostics.*`` types (``load_builtin``).

Every payload is validated whole at enqueue: a registered type's ``validate`` first makes the
generic checks of ``desktop.jobs.payloads.check_payload`` (a JSON object, finite numbers, depth,
size) and then the type's own schema, so ``JobType.validate`` is never None.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.jobs.payloads import check_payload

if TYPE_CHECKING:
    from desktop.jobs.context import JobContext

Handler = Callable[["JobContext", dict[str, Any]], Awaitable[dict[str, Any] | None]]
Validator = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class JobType:
    name: str
    handler: Handler
    title: str
    retry_safe: bool = False  # may run again from the start after a crash
    # raises UserError for a payload it refuses: the generic checks, then the type's schema
    validate: Validator | None = None


_TYPES: dict[str, JobType] = {}


def register(
    name: str, *, title: str, retry_safe: bool = False, validate: Validator | None = None
) -> Callable[[Handler], Handler]:
    """Register ``handler`` for job type ``name``; ``validate`` is the type's own schema."""

    def decorate(handler: Handler) -> Handler:
        _TYPES[name] = JobType(name, handler, title, retry_safe, _compose(validate))
        return handler

    return decorate


def _compose(own: Validator | None) -> Validator:
    def validate(payload: dict[str, Any]) -> None:
        check_payload(payload)
        if own is not None:
            own(payload)

    return validate


def get(name: str) -> JobType | None:
    return _TYPES.get(name)


def names() -> list[str]:
    return sorted(_TYPES)


def title(name: str) -> str:
    jt = _TYPES.get(name)
    return jt.title if jt else name


def load_builtin() -> None:
    """Register the engine's own job types (``diagnostics.*``); idempotent."""
    import desktop.jobs.diagnostics  # noqa: F401
