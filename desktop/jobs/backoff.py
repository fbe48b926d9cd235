"""Which failures are worth another try, and how long to wait before it."""

from __future__ import annotations

import os
import random
import sys

from desktop.errors import RetryableError, UserError
from desktop.jobs.connections import LibraryUnreachable, is_disconnect

MAX_DELAY = 300.0


def base_delay() -> float:
    try:
        return float(os.environ.get("STYLESTUDIO_RETRY_BASE_SECONDS", "2"))
    except ValueError:
        return 2.0


def retry_delay(attempt: int, *, base: float | None = None, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: base * 2^(attempt-1) * (0.5 + random()).

    A server's ``Retry-After`` is a floor, never shortened by the jitter, but no wait is longer
    than ``MAX_DELAY`` (5 minutes), whatever a server asks: a job is never parked for hours."""
    b = base_delay() if base is None else base
    delay = min(MAX_DELAY, b * (2 ** max(0, attempt - 1)) * (0.5 + random.random()))
    if retry_after is not None:
        delay = max(delay, min(MAX_DELAY, retry_after))
    return delay


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, RetryableError):
        return True
    # the database server went away (a restart): the job is tried again once it is back
    if isinstance(exc, LibraryUnreachable) or is_disconnect(exc):
        return True
    if isinstance(exc, UserError):
        return False
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, (httpx.TimeoutException, httpx.TransportError)):
        return True
    return False


def sentence_for(exc: BaseException) -> str:
    """The ``error`` text for a person. Tracebacks go to the log, never here."""
    if isinstance(exc, UserError):
        return str(exc)
    if is_retryable(exc):
        return "The server could not be reached or did not answer in time. Try again later."
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory for this job. Close other programs and try again."
    if isinstance(exc, PermissionError):
        return f"Style Studio was not allowed to use a file ({exc.filename}). Check its permissions and try again."
    if isinstance(exc, OSError) and exc.errno == 28:
        return "The disk is full. Free some space and try again."
    return (
        f"Something went wrong inside Style Studio ({type(exc).__name__}). "
        "The details are in the log; try again, and report it if it keeps happening."
    )
