"""A thin client for fal.ai's queue API over httpx (no Qt, no fal-client dependency).

One call, ``FalClient.run(model, arguments, ...)``, does what the style pipeline needs:

1. ``POST {base}/{model}`` queues the request. From then on the client only follows the
   ``status_url`` / ``response_url`` / ``cancel_url`` that fal returned: for a model with a
   subpath (``fal-ai/flux/dev``) those URLs do not contain the subpath, so building them by hand
   would be wrong.
2. ``GET status_url?logs=1`` every ``poll_interval`` seconds (never faster than 0.5 s) and turns
   the answer into messages for a person: "In queue (position 3)" (fal's 0-based position,
   shown 1-based), the latest log line while in progress ("fal: Generating image 2").
3. ``GET response_url`` once COMPLETED, then "Downloading images": each ``images[].url``
   (``data:`` URI or http(s) URL, streamed and capped at ``max_image_bytes``), returned as raw
   bytes. The pipeline validates them as images.

Errors end as ``UserError`` sentences. Passing failures (408/409/429/5xx, connection refused,
timeouts) are retried here with exponential backoff and jitter, honouring ``Retry-After``; when
the retries run out they end as ``RetryableError``. The fal key is only sent to the queue URLs
(never to image hosts) and is redacted from every message, log line and exception text.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import httpx

from desktop.errors import JobCanceled, RetryableError, UserError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BASE_URL = "https://queue.fal.run"
MIN_POLL_INTERVAL = 0.5
DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
KEY_REFUSED = "The fal key was refused. Check it in Settings or the FAL_KEY environment variable."
NO_KEY = "No fal key is set. Add it in Settings or set the FAL_KEY environment variable."
_RETRY_STATUSES = frozenset({408, 409, 429})
_MAX_TEXT = 300
_USER_AGENT = "StyleStudio/0.1 (+httpx)"


class FalModels:
    """Default fal endpoints: Redux when there is a reference image, FLUX.1 [dev] otherwise."""

    WITH_REFERENCE = "fal-ai/flux-pro/v1.1/redux"
    TEXT_ONLY = "fal-ai/flux/dev"

    @classmethod
    def for_reference(cls, reference: bytes | None) -> str:
        return cls.WITH_REFERENCE if reference else cls.TEXT_ONLY


def image_to_data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``: how a reference image is sent to fal without an upload."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def build_arguments(
    prompt: str,
    *,
    reference: bytes | None = None,
    reference_mime: str | None = "image/png",
    num_images: int = 1,
    seed: int | None = None,
    image_size: str | dict[str, int] = "landscape_4_3",
) -> dict[str, Any]:
    """Arguments for ``FalModels.for_reference(reference)``.

    Both models take ``prompt``, ``image_size`` (a preset name such as ``"square_hd"`` or
    ``{"width": w, "height": h}``), ``num_images`` (1-4), ``seed`` and ``output_format``; Redux
    also takes the reference as ``image_url`` (sent inline as a data URI).
    """
    if not 1 <= int(num_images) <= 4:
        raise UserError(
            f"fal.ai makes 1 to 4 images at a time, not {num_images}. Choose a preview count in that range."
        )
    arguments: dict[str, Any] = {
        "prompt": prompt,
        "image_size": image_size,
        "num_images": int(num_images),
        "output_format": "png",
        "enable_safety_checker": True,
    }
    if seed is not None:
        arguments["seed"] = int(seed)
    if reference:
        arguments["image_url"] = image_to_data_uri(reference, reference_mime or "image/png")
    return arguments


class _Redactor:
    """Replaces the key (and each half of an ``id:secret`` key) with ``[redacted]``."""

    def __init__(self, key: str) -> None:
        secrets = {key, *(part for part in key.split(":") if len(part) >= 6)}
        self._secrets = sorted(secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


class _Transient(Exception):
    """One failed attempt that is worth another try."""

    def __init__(
        self, kind: str, detail: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.kind = kind  # "timeout" | "connect" | "broken" | "status"
        self.status = status
        self.retry_after = retry_after

    @classmethod
    def from_transport(cls, exc: httpx.TransportError) -> _Transient:
        if isinstance(exc, httpx.TimeoutException):
            return cls("timeout", f"{type(exc).__name__}")
        if isinstance(exc, httpx.ConnectError):
            return cls("connect", f"{type(exc).__name__}")
        return cls("broken", f"{type(exc).__name__}")

    def sentence(self, tries: int) -> str:
        after = f"after {tries} {'try' if tries == 1 else 'tries'}"
        if self.kind == "timeout":
            return f"fal.ai did not answer (timed out {after}). Try again later."
        if self.kind == "connect":
            return (
                f"fal.ai could not be reached (connection failed {after}). "
                "Check your internet connection and try again."
            )
        if self.kind == "broken":
            return f"fal.ai broke off the connection ({after}). Try again later."
        if self.status == 429:
            return f"fal.ai is busy (HTTP 429 {after}). Try again later."
        return f"fal.ai had a problem on its side (HTTP {self.status} {after}). Try again later."


def _parse_retry_after(value: str | None) -> float | None:
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


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(1, limit // 1024)} KB"


class _Run:
    """The callbacks of one ``FalClient.run`` call, and the last message sent."""

    def __init__(
        self,
        model: str,
        on_message: Callable[[str], None],
        check_canceled: Callable[[], None],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.model = model
        self._on_message = on_message
        self.check_canceled = check_canceled
        self.sleep = sleep
        self._last: str | None = None

    def say(self, text: str) -> None:
        if text != self._last:
            self._last = text
            self._on_message(text)


class FalClient:
    """``async with FalClient(base_url, key) as fal: images = await fal.run(model, args, ...)``"""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        key: str = "",
        *,
        timeout: float = 30.0,
        poll_interval: float = 0.5,
        max_http_retries: int = 4,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 8.0,
        max_retry_after: float = 60.0,
    ) -> None:
        key = (key or "").strip()
        if not key:
            raise UserError(NO_KEY)
        base_url = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise UserError(
                f'The fal.ai address "{base_url}" is not a web address. Check it in Settings.'
            )
        self.base_url = base_url
        self._redact = _Redactor(key)
        self._auth = {"Authorization": f"Key {key}"}
        self._timeout_s = float(timeout)
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._poll_interval = max(MIN_POLL_INTERVAL, float(poll_interval))
        self._max_http_retries = max(0, int(max_http_retries))
        self._max_image_bytes = int(max_image_bytes)
        self._retry_base_delay = retry_base_delay
        self._retry_max_delay = retry_max_delay
        self._max_retry_after = max_retry_after
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            headers={"User-Agent": _USER_AGENT},
        )

    def __repr__(self) -> str:
        return f"FalClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> FalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ the one public call
    async def run(
        self,
        model: str,
        arguments: dict[str, Any],
        *,
        on_message: Callable[[str], None],
        check_canceled: Callable[[], None],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> list[bytes]:
        """Queue ``model`` with ``arguments``, wait for it, and return the images' raw bytes.

        ``check_canceled()`` is called before every poll (and every retry and download); when
        it raises ``JobCanceled`` the request is canceled on fal (best effort) and the
        exception propagates.
        """
        model = model.strip().strip("/")
        run = _Run(model, on_message, check_canceled, sleep)
        run.check_canceled()
        run.say("Sending the request to fal.ai")
        queued = await self._queue_call(
            run, "POST", f"{self.base_url}/{model}", "submit", json=arguments
        )
        if (
            not isinstance(queued, dict)
            or not queued.get("status_url")
            or not queued.get("response_url")
        ):
            raise UserError(
                "fal.ai answered in an unexpected way (no status address). "
                "Check that the fal.ai address in Settings is right."
            )
        request_id = str(queued.get("request_id", "?"))
        cancel_url = queued.get("cancel_url")
        log.info("fal.ai request %s queued for %s", request_id, model)
        try:
            self._report_queue(run, queued)
            await self._wait(run, queued["status_url"])
            return await self._collect(run, queued["response_url"])
        except JobCanceled:
            await self._cancel(cancel_url, request_id)
            raise

    # ------------------------------------------------------------------ steps
    def _report_queue(self, run: _Run, payload: dict[str, Any]) -> None:
        position = payload.get("queue_position")
        if isinstance(position, int) and not isinstance(position, bool) and position >= 0:
            run.say(f"In queue (position {position + 1})")
        else:
            run.say("In queue")

    async def _wait(self, run: _Run, status_url: str) -> None:
        while True:
            run.check_canceled()
            status = await self._queue_call(run, "GET", status_url, "status", params={"logs": "1"})
            if not isinstance(status, dict):
                status = {}
            state = status.get("status")
            if state == "IN_QUEUE":
                self._report_queue(run, status)
            elif state == "IN_PROGRESS":
                line = self._latest_log(status.get("logs"))
                run.say(f"fal: {line}" if line else "Generating on fal.ai")
            elif state == "COMPLETED":
                error = status.get("error")
                if error:
                    raise UserError(self._failed_sentence(error))
                return
            elif state in ("FAILED", "CANCELED", "CANCELLED"):
                raise UserError(self._failed_sentence(status.get("error") or state.lower()))
            else:
                raise UserError(
                    f"fal.ai sent a status this app does not understand ({self._clean(state)}). "
                    "Try again later."
                )
            await run.sleep(self._poll_interval)

    async def _collect(self, run: _Run, response_url: str) -> list[bytes]:
        result = await self._queue_call(run, "GET", response_url, "result")
        images = result.get("images") if isinstance(result, dict) else None
        if not isinstance(images, list):
            detail = (
                (result.get("detail") or result.get("error")) if isinstance(result, dict) else None
            )
            if detail:
                raise UserError(self._failed_sentence(detail))
            raise UserError(
                "fal.ai's answer had no images in it. Try again, or pick another model in Settings."
            )
        urls = [
            img["url"]
            for img in images
            if isinstance(img, dict) and isinstance(img.get("url"), str)
        ]
        if not urls:
            raise UserError("fal.ai returned no images. Try again with a different description.")
        run.say("Downloading images")
        out: list[bytes] = []
        for url in urls:
            run.check_canceled()
            if not url.startswith("data:"):
                url = urljoin(response_url, url)
            out.append(await self._download(run, url))
        return out

    async def _cancel(self, cancel_url: Any, request_id: str) -> None:
        if not isinstance(cancel_url, str) or not cancel_url:
            return
        try:
            response = await self._http.put(
                cancel_url, headers=self._auth, timeout=httpx.Timeout(min(self._timeout_s, 5.0))
            )
            log.info("fal.ai request %s cancel answered HTTP %s", request_id, response.status_code)
        except Exception as exc:  # best effort: the user already moved on
            log.info("fal.ai request %s could not be canceled (%s)", request_id, type(exc).__name__)

    # ------------------------------------------------------------------ HTTP with retries
    async def _retrying(self, run: _Run, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        tries = self._max_http_retries + 1
        for number in range(1, tries + 1):
            try:
                return await attempt()
            except _Transient as problem:
                log.warning(
                    "fal.ai %s failed (%s), try %d of %d",
                    what,
                    self._redact(str(problem)),
                    number,
                    tries,
                )
                retry_after = problem.retry_after
                if number == tries:
                    raise RetryableError(
                        problem.sentence(tries), retry_after=retry_after
                    ) from problem
                if retry_after is not None and retry_after > self._max_retry_after:
                    raise RetryableError(
                        f"fal.ai is busy and asked to wait {retry_after:.0f} seconds. Try again later.",
                        retry_after=retry_after,
                    ) from problem
                delay = retry_after if retry_after is not None else self._backoff(number)
                run.check_canceled()
                await run.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, number: int) -> float:
        ceiling = min(self._retry_max_delay, self._retry_base_delay * 2 ** (number - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    async def _queue_call(
        self,
        run: _Run,
        method: str,
        url: str,
        what: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        async def attempt() -> Any:
            try:
                response = await self._http.request(
                    method, url, json=json, params=params, headers=self._auth, timeout=self._timeout
                )
            except httpx.TransportError as exc:
                raise _Transient.from_transport(exc) from exc
            return self._read_queue_response(run, response, what)

        return await self._retrying(run, what, attempt)

    def _read_queue_response(self, run: _Run, response: httpx.Response, what: str) -> Any:
        code = response.status_code
        if 200 <= code < 300:
            try:
                return response.json()
            except ValueError:
                raise UserError(
                    "fal.ai sent an answer that could not be read. "
                    "Check that the fal.ai address in Settings is right."
                ) from None
        if code in (401, 403):
            raise UserError(KEY_REFUSED)
        if code == 422:
            raise UserError(self._rejected_sentence(response))
        if code in _RETRY_STATUSES or code >= 500:
            # On the result fetch, a 5xx that fal itself stamped with the request id is the
            # model's own failure, not a passing one: retrying the GET would not change it.
            detail = self._detail(response)
            if (
                what == "result"
                and code >= 500
                and "x-fal-request-id" in response.headers
                and detail
            ):
                raise UserError(self._failed_sentence(detail))
            raise _Transient(
                "status",
                f"HTTP {code}",
                status=code,
                retry_after=_parse_retry_after(response.headers.get("Retry-After")),
            )
        detail = self._detail(response)
        if what == "submit" and code == 404:
            raise UserError(
                f'fal.ai has no model called "{run.model}". Check the model name in Settings.'
            )
        if what == "result":
            raise UserError(self._failed_sentence(detail or f"HTTP {code}"))
        suffix = f": {detail}" if detail else ""
        raise UserError(
            f"fal.ai refused the request (HTTP {code}{suffix}). Check the settings and try again."
        )

    # ------------------------------------------------------------------ downloads
    async def _download(self, run: _Run, url: str) -> bytes:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return self._decode_data_uri(url)
        if scheme not in ("http", "https"):
            raise UserError(
                f"fal.ai sent an image link this app cannot open ({self._clean(scheme)}:). Try again later."
            )

        async def attempt() -> bytes:
            try:
                # No Authorization header here: the key is for the queue, not for image hosts.
                async with self._http.stream(
                    "GET", url, timeout=self._timeout, follow_redirects=True
                ) as response:
                    return await self._read_image(response)
            except httpx.TransportError as exc:
                raise _Transient.from_transport(exc) from exc

        return await self._retrying(run, "image download", attempt)

    async def _read_image(self, response: httpx.Response) -> bytes:
        code = response.status_code
        if code in _RETRY_STATUSES or code >= 500:
            raise _Transient(
                "status",
                f"HTTP {code}",
                status=code,
                retry_after=_parse_retry_after(response.headers.get("Retry-After")),
            )
        if not 200 <= code < 300:
            raise UserError(
                f"An image made by fal.ai could not be downloaded (HTTP {code}). Try again."
            )
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind.startswith("text/") or kind == "application/json":
            raise UserError(f"fal.ai sent a {kind} document instead of an image. Try again later.")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._max_image_bytes:
            raise self._too_big()
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > self._max_image_bytes:
                raise self._too_big()
        return bytes(data)

    def _decode_data_uri(self, uri: str) -> bytes:
        header, comma, payload = uri.partition(",")
        if not comma:
            raise UserError("fal.ai sent an image that could not be decoded. Try again.")
        if header.lower().endswith(";base64"):
            payload = "".join(payload.split())
            if len(payload) // 4 * 3 > self._max_image_bytes + 3:
                raise self._too_big()
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise UserError(
                    "fal.ai sent an image that could not be decoded. Try again."
                ) from None
        else:
            data = unquote_to_bytes(payload)
        if len(data) > self._max_image_bytes:
            raise self._too_big()
        return data

    def _too_big(self) -> UserError:
        return UserError(
            f"fal.ai sent an image larger than {_size_text(self._max_image_bytes)}, so it was not "
            "downloaded. Try a smaller image size."
        )

    # ------------------------------------------------------------------ text from fal
    def _clean(self, value: Any) -> str:
        """fal's text, made safe for a sentence: one line, bounded, no key, no final period."""
        text = " ".join(str(value).split())
        text = self._redact(text).rstrip(".")
        if len(text) > _MAX_TEXT:
            text = text[: _MAX_TEXT - 1].rstrip() + "…"
        return text

    def _latest_log(self, logs: Any) -> str:
        """The newest non-empty log line (fal sends every line so far with each status)."""
        if not isinstance(logs, list):
            return ""
        for entry in reversed(logs):
            message = entry.get("message") if isinstance(entry, dict) else entry
            if isinstance(message, str) and message.strip():
                text = self._clean(message.strip().splitlines()[0])
                return text[:117].rstrip() + "…" if len(text) > 120 else text
        return ""

    def _failed_sentence(self, detail: Any) -> str:
        return (
            f"fal.ai could not make the images: {self._clean(detail)}. "
            "Change the description or settings and try again."
        )

    def _detail(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            body = body.get("detail") or body.get("error") or body.get("message") or ""
        if isinstance(body, list):
            return self._fields_text(body)
        if isinstance(body, dict):
            body = body.get("message") or body.get("msg") or ""
        return self._clean(body) if body else ""

    def _fields_text(self, items: list[Any]) -> str:
        parts = []
        for item in items[:6]:
            if not isinstance(item, dict):
                parts.append(self._clean(item))
                continue
            loc = [str(p) for p in item.get("loc") or [] if p not in ("body", "query")]
            name = ".".join(loc) or "input"
            message = self._clean(item.get("msg") or "")
            parts.append(f"{self._clean(name)} ({message})" if message else self._clean(name))
        if len(items) > 6:
            parts.append(f"and {len(items) - 6} more")
        return "; ".join(parts)

    def _rejected_sentence(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, list) and detail:
            return f"fal.ai rejected these settings: {self._fields_text(detail)}. Change them and try again."
        text = self._detail(response) or "HTTP 422"
        return f"fal.ai rejected the request: {text}. Change the settings and try again."
