"""Job types: the handler that runs each type of job, registered by the layer that owns it.

The engine knows nothing of styles: ``desktop.pipelines`` registers its handlers here when it
is imported by a front door (the app, the command line, the worker).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    validate: Validator | None = None  # raises UserError for a payload it refuses


_TYPES: dict[str, JobType] = {}


def register(
    name: str, *, title: str, retry_safe: bool = False, validate: Validator | None = None
) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        _TYPES[name] = JobType(name, handler, title, retry_safe, validate)
        return handler

    return decorate


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
