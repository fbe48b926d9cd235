"""Job types: the handler that runs each type of job, registered by the layer that owns it.

The engine knows nothing of styles: ``desktop.pipelines`` registers its handlers here when it
is imported by a front door (the app, the command line, the worker).

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
    """Register the built-in job types (diagnostics, and the pipelines when importable)."""
    import desktop.jobs.diagnostics  # noqa: F401

    try:
        import desktop.pipelines  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a broken install; the log says which
        import logging

        logging.getLogger(__name__).error("The style pipelines could not be loaded: %s", exc)
