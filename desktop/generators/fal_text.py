"""What fal.ai sends back, made safe before it is logged or shown.

Every value that came from a server (request ids, status strings, log lines from the model,
addresses, error bodies, header values) goes through ``FalText`` before it reaches a log line,
a job message or a job error: a server that repeats the key (a careless proxy, or one that
echoes what it was sent) must not put it in the log or the library.

``FalText.mask`` replaces the configured key, each half of an ``id:secret`` key, their
percent-encoded forms, and anything that looks like a key (the value after ``Authorization``,
a ``Key …``/``Bearer …`` token, a fal-shaped ``<uuid>:<hex>`` pair) with ``[redacted]``, then
escapes control characters (``desktop.text.printable``), so a log line from the model cannot
clear a terminal, ring a bell or write the clipboard. ``FalText.shown`` also makes it one
bounded line. ``KeyMaskFilter`` does the same for what httpx logs (its request lines carry
the addresses fal returned) while a client is open.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import httpx

from desktop.text import printable

MASK = "[redacted]"
MAX_TEXT = 300
MAX_ID = 80  # a request id in a log line or a sentence: fal's are 36 characters

# "Authorization: Key abc", "authorization=Bearer abc", '"Authorization": "Key abc"'
_AUTHORIZATION = re.compile(
    r"""(authorization["']?\s*[:=]\s*["']?)((?:key|bearer|basic|token)\s+)?[^\s"',;]+""",
    re.IGNORECASE,
)
# "Key <token>" / "Bearer <token>": a token with a digit or a colon in it, so "Key frames"
# or "Bearer of news" in a model's log line stay as they are.
_SCHEME_TOKEN = re.compile(r"""\b(Key|Bearer)(\s+)(?=[^\s"',;]*[\d:])[^\s"',;]{7,}[^\s"',;.]""")
# fal's key shape, "<key id>:<secret>": a long id, a colon, a long secret
_KEY_SHAPE = re.compile(r"""\b[A-Za-z0-9][A-Za-z0-9_-]{7,}:[A-Za-z0-9_-]{24,}\b""")


class FalText:
    """fal's text for logs, job messages and sentences, never carrying ``key``."""

    def __init__(self, key: str) -> None:
        parts = {key, *(part for part in key.split(":") if len(part) >= 6)}
        secrets = set(parts)
        for part in parts:
            secrets |= {quote(part, safe=""), quote(part, safe="").lower(), quote(part)}
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    # ------------------------------------------------------------------ the one door
    def mask(self, value: Any) -> str:
        """``value`` as text with every key-like part replaced and control characters escaped."""
        text = str(value)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{MASK}", text)
        text = _SCHEME_TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        text = _KEY_SHAPE.sub(MASK, text)
        return printable(text)

    def shown(self, value: Any, limit: int = MAX_TEXT) -> str:
        """``mask(value)`` on one line, at most ``limit`` characters: for a log line."""
        text = self.mask(" ".join(str(value).split()))
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        return text

    def request_id(self, value: Any) -> str:
        return self.shown(value, MAX_ID)

    def clean(self, value: Any) -> str:
        """fal's text made safe for a sentence: one line, bounded, no key, no final period."""
        return self.shown(str(value).rstrip().rstrip("."))

    # ------------------------------------------------------------------ what fal says
    def latest_log(self, logs: Any) -> str:
        """The newest non-empty log line (fal sends every line so far with each status)."""
        if not isinstance(logs, list):
            return ""
        for entry in reversed(logs):
            message = entry.get("message") if isinstance(entry, dict) else entry
            if isinstance(message, str) and message.strip():
                text = self.clean(message.strip().splitlines()[0])
                return text[:117].rstrip() + "…" if len(text) > 120 else text
        return ""

    def failed_sentence(self, detail: Any) -> str:
        return (
            f"fal.ai could not make the images: {self.clean(detail)}. "
            "Change the description or settings and try again."
        )

    def detail(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            body = body.get("detail") or body.get("error") or body.get("message") or ""
        if isinstance(body, list):
            return self.fields_text(body)
        if isinstance(body, dict):
            body = body.get("message") or body.get("msg") or ""
        return self.clean(body) if body else ""

    def fields_text(self, items: list[Any]) -> str:
        parts = []
        for item in items[:6]:
            if not isinstance(item, dict):
                parts.append(self.clean(item))
                continue
            loc = [str(p) for p in item.get("loc") or [] if p not in ("body", "query")]
            name = ".".join(loc) or "input"
            message = self.clean(item.get("msg") or "")
            parts.append(f"{self.clean(name)} ({message})" if message else self.clean(name))
        if len(items) > 6:
            parts.append(f"and {len(items) - 6} more")
        return "; ".join(parts)

    def rejected_sentence(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list) and detail:
            return f"fal.ai rejected these settings: {self.fields_text(detail)}. Change them and try again."
        text = self.detail(response) or "HTTP 422"
        return f"fal.ai rejected the request: {text}. Change the settings and try again."


class KeyMaskFilter(logging.Filter):
    """Masks the key (``FalText.mask``) in what a library logs (httpx's request lines carry
    the addresses fal returned); added to its loggers while a client is open."""

    PREFIXES = ("httpx", "httpcore")  # and their children: httpcore.http11 logs headers
    CHILDREN = ("connection", "connection_pool", "http11", "http2", "proxy", "socks")

    def __init__(self, text: FalText) -> None:
        super().__init__()
        self._text = text
        self._attached: list[logging.Logger] = []

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - arguments that do not fit: masked as they are
            message = str(record.msg)
        record.msg, record.args = self._text.mask(message), None
        return True

    def _loggers(self) -> list[logging.Logger]:
        names = {*self.PREFIXES, *(f"httpcore.{child}" for child in self.CHILDREN)}
        for name in list(logging.root.manager.loggerDict):
            if any(name.startswith(f"{prefix}.") for prefix in self.PREFIXES):
                names.add(name)
        return [logging.getLogger(name) for name in sorted(names)]

    def attach(self) -> None:
        self._attached = self._loggers()
        for logger in self._attached:
            logger.addFilter(self)

    def detach(self) -> None:
        for logger in self._attached:
            logger.removeFilter(self)
        self._attached = []
