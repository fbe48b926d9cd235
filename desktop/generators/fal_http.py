"""Reading fal's HTTP answers: which failures are passing ones (``Transient``), where an
address points (``origin``: the key goes only to the configured queue origin), a host for a
sentence, and fal's ``Retry-After``."""

from __future__ import annotations

import email.utils
import time
from urllib.parse import urlsplit

import httpx

from desktop.errors import RetryableError
from desktop.generators.fal_cancel import never_sent

DEFAULT_PORTS = {"http": 80, "https": 443}
RETRY_STATUSES = frozenset({408, 409, 429})


class NoAnswer(RetryableError):
    """A passing failure with no answer from fal; ``maybe_arrived`` when the request may have
    reached fal before the failure (a submit fal may have queued)."""

    def __init__(self, message: str, *, retry_after: float | None, maybe_arrived: bool) -> None:
        super().__init__(message, retry_after=retry_after)
        self.maybe_arrived = maybe_arrived


class Transient(Exception):
    """One failed attempt that is worth another try."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        maybe_arrived: bool = False,
    ) -> None:
        super().__init__(detail)
        self.kind = kind  # "timeout" | "connect" | "broken" | "status"
        self.status = status
        self.retry_after = retry_after
        self.maybe_arrived = maybe_arrived

    @classmethod
    def from_transport(cls, exc: httpx.TransportError) -> Transient:
        arrived = not never_sent(exc)
        if isinstance(exc, httpx.TimeoutException):
            return cls("timeout", f"{type(exc).__name__}", maybe_arrived=arrived)
        if isinstance(exc, httpx.ConnectError):
            return cls("connect", f"{type(exc).__name__}", maybe_arrived=arrived)
        return cls("broken", f"{type(exc).__name__}", maybe_arrived=arrived)

    @classmethod
    def from_status(cls, response: httpx.Response) -> Transient:
        code = response.status_code
        return cls(
            "status",
            f"HTTP {code}",
            status=code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def sentence(self) -> str:
        if self.kind == "timeout":
            return "fal.ai did not answer in time. Try again later."
        if self.kind == "connect":
            return "fal.ai could not be reached. Check your internet connection and try again."
        if self.kind == "broken":
            return "fal.ai broke off the connection. Try again later."
        if self.status == 429:
            return "fal.ai is busy (HTTP 429). Try again later."
        return f"fal.ai had a problem on its side (HTTP {self.status}). Try again later."

    def retryable(self) -> RetryableError:
        """For the job engine, the one layer that retries (see fal.py's docstring)."""
        if self.kind == "status":
            return RetryableError(self.sentence(), retry_after=self.retry_after)
        return NoAnswer(self.sentence(), retry_after=self.retry_after, maybe_arrived=self.maybe_arrived)


def origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an absolute http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    if scheme not in DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port


def host_text(url: str) -> str:
    """``host:port`` of a URL for a sentence (never the user-info part)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "an address that could not be read"
    if not host:
        return "an address that could not be read"
    return f"{host}:{port}" if port else host


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
