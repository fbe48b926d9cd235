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

**Where the key goes.** ``Authorization: Key ...`` is sent only to the configured queue
address's origin: the same scheme, host and port as ``base_url`` (so ``127.0.0.1:8000`` and
``127.0.0.1:8001`` are different hosts, and so are ``http`` and ``https``). No list of "known
fal hosts" is trusted on top of that: fal's real status/result/cancel URLs live on the queue
host itself (``queue.fal.run``), so nothing else is needed, and a list would only widen where
the key may go. When fal's answer names a status, result or cancel address on any other origin
the run is refused (``FOREIGN_HOST``) rather than followed without the key: not following is
the safer choice (no request at all goes to a host the user never configured), and the sentence
says what happened. Result images are the exception by design: fal serves them from its CDN on
other hosts, so they are downloaded from anywhere (http/https only) but never with the key.
Every request that carries the key goes through ``_send_with_key``, which checks the origin.

**One retry layer: the job engine.** The client sends every request once. A passing failure
(connection refused or broken, a timeout, HTTP 408/409/429/5xx) ends ``run`` at once as a
``RetryableError`` carrying fal's ``Retry-After``; the engine then waits (its exponential
backoff, never less than ``Retry-After``) and runs the job again, up to the job's
``max_attempts`` (3 by default). Before giving up on a request fal already accepted, the client
cancels it there (best effort), so a retried job never leaves a paid request running. The only
resend inside the client is for a GET (status, result, image) whose connection broke before an
answer arrived, e.g. a keep-alive connection the server had just closed: it is sent once more
at once, on a new connection. Never for the submit (a POST fal may have received) and never for
timeouts, refused connections or HTTP errors. So with the defaults (3 attempts, 10 s connect
timeout, 30 s read timeout, engine backoff 2 s x 2^n with jitter):

* an unreachable server costs 3 connection attempts in all (one per job attempt), and the job
  fails after about 3 x 10 s of connect timeouts plus ~3-9 s of backoff (seconds, when the
  connection is refused at once);
* a server answering 500 to every submit receives exactly 3 submits;
* a server that accepts the submit and then fails gets one failing poll (two when the
  connection broke), one cancel, per attempt.

Errors end as ``UserError`` sentences. The fal key is redacted from every message, log line and
exception text. A canceled job (``JobCanceled`` from ``check_canceled``/``sleep``, or
``asyncio.CancelledError`` when the work pool interrupts the task) sends fal's cancel for the
submitted request, with a short timeout (``CANCEL_TIMEOUT``), before the exception propagates.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import httpx

from desktop.errors import RetryableError, UserError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://queue.fal.run"
MIN_POLL_INTERVAL = 0.5
DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
KEY_REFUSED = "The fal key was refused. Check it in Settings or the FAL_KEY environment variable."
NO_KEY = "No fal key is set. Add it in Settings or set the FAL_KEY environment variable."
FOREIGN_HOST = (
    "fal.ai answered with an address on another host ({host}); Style Studio did not follow it."
)
CANCEL_TIMEOUT = 1.5  # seconds for the cancel call: the pool waits 2 s for an interrupted task
_DEFAULT_PORTS = {"http": 80, "https": 443}
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
        """For the job engine, the one layer that retries (see the module docstring)."""
        return RetryableError(self.sentence(), retry_after=self.retry_after)


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an absolute http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    if scheme not in _DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port


def _host_text(url: str) -> str:
    """``host:port`` of a URL for a sentence (never the user-info part)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "an address that could not be read"
    if not host:
        return "an address that could not be read"
    return f"{host}:{port}" if port else host


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
        self.finished = False  # fal said the request is over: nothing left to cancel

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
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        key = (key or "").strip()
        if not key:
            raise UserError(NO_KEY)
        base_url = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
        origin = _origin(base_url)
        if origin is None:
            raise UserError(
                f'The fal.ai address "{base_url}" is not a web address. Check it in Settings.'
            )
        self.base_url = base_url
        self._origin = origin  # the only place the key is ever sent
        self._redact = _Redactor(key)
        self._auth = {"Authorization": f"Key {key}"}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._poll_interval = max(MIN_POLL_INTERVAL, float(poll_interval))
        self._max_image_bytes = int(max_image_bytes)
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

        ``check_canceled()`` is called before every poll (and every download). Whenever the
        run ends early after fal accepted the request (``JobCanceled`` from ``check_canceled``
        or ``sleep``, ``asyncio.CancelledError`` from the pool, a ``RetryableError``, an address
        on another host), the request is canceled on fal (one try, ``CANCEL_TIMEOUT``) and the
        exception propagates. Passing failures are not retried here: see the module docstring.
        """
        model = model.strip().strip("/")
        run = _Run(model, on_message, check_canceled, sleep)
        run.check_canceled()
        run.say("Sending the request to fal.ai")
        submit_url = f"{self.base_url}/{model}"
        queued = await self._queue_call(run, "POST", submit_url, "submit", json=arguments)
        if (
            not isinstance(queued, dict)
            or not isinstance(queued.get("status_url"), str)
            or not isinstance(queued.get("response_url"), str)
            or not queued["status_url"]
            or not queued["response_url"]
        ):
            raise UserError(
                "fal.ai answered in an unexpected way (no status address). "
                "Check that the fal.ai address in Settings is right."
            )
        request_id = str(queued.get("request_id", "?"))
        cancel_url = queued.get("cancel_url")
        cancel_url = urljoin(submit_url, cancel_url) if isinstance(cancel_url, str) else None
        log.info("fal.ai request %s queued for %s", request_id, model)
        try:
            status_url = self._followable(urljoin(submit_url, queued["status_url"]), request_id)
            response_url = self._followable(
                urljoin(submit_url, queued["response_url"]), request_id
            )
            if cancel_url is not None:
                self._followable(cancel_url, request_id)
            self._report_queue(run, queued)
            await self._wait(run, status_url)
            return await self._collect(run, response_url)
        except (Exception, asyncio.CancelledError):
            if not run.finished:
                await self._cancel(cancel_url, request_id)
            raise

    # ------------------------------------------------------------------ where the key may go
    def _trusted(self, url: str) -> bool:
        return _origin(url) == self._origin

    def _followable(self, url: str, request_id: str) -> str:
        """``url`` if it is on the configured queue origin; refused (not followed) otherwise."""
        if self._trusted(url):
            return url
        host = self._clean(_host_text(url))
        log.warning(
            "fal.ai request %s: refused to follow an address on another host (%s)",
            request_id,
            host,
        )
        raise UserError(FOREIGN_HOST.format(host=host))

    async def _send_with_key(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The only way a request carrying the key is sent: same origin as ``base_url`` only."""
        if not self._trusted(url):  # every caller checked already; this is the last guard
            raise UserError(FOREIGN_HOST.format(host=self._clean(_host_text(url))))
        return await self._http.request(method, url, headers=self._auth, **kwargs)

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
                run.finished = True
                error = status.get("error")
                if error:
                    raise UserError(self._failed_sentence(error))
                return
            elif state in ("FAILED", "CANCELED", "CANCELLED"):
                run.finished = True
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
            out.append(await self._download(url))
        return out

    async def _cancel(self, cancel_url: str | None, request_id: str) -> None:
        """Ask fal to cancel ``request_id``: one try, at most ``CANCEL_TIMEOUT`` seconds."""
        if not cancel_url or not self._trusted(cancel_url):
            return
        try:
            response = await asyncio.wait_for(
                self._send_with_key("PUT", cancel_url, timeout=httpx.Timeout(CANCEL_TIMEOUT)),
                CANCEL_TIMEOUT,
            )
            log.info("fal.ai request %s cancel answered HTTP %s", request_id, response.status_code)
        except Exception as exc:  # best effort: the user already moved on
            log.info("fal.ai request %s could not be canceled (%s)", request_id, type(exc).__name__)

    # ------------------------------------------------------------------ HTTP, sent once
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
        """One queue request with the key. A passing failure is a ``RetryableError`` for the
        engine; only a GET whose connection broke before any answer is sent once more."""
        tries = 2 if method == "GET" else 1
        for number in range(1, tries + 1):
            try:
                response = await self._send_with_key(
                    method, url, json=json, params=params, timeout=self._timeout
                )
                return self._read_queue_response(run, response, what)
            except httpx.TransportError as exc:
                problem = _Transient.from_transport(exc)
            except _Transient as exc:
                problem = exc
            log.warning("fal.ai %s failed (%s)", what, self._redact(str(problem)))
            if not (problem.kind == "broken" and number < tries):
                raise problem.retryable() from None
        raise AssertionError("unreachable")  # pragma: no cover

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
    async def _download(self, url: str) -> bytes:
        """One image, never with the key (fal's CDN is another host). Sent once, like every
        request; a connection that broke before the whole image arrived is tried once more."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return self._decode_data_uri(url)
        if scheme not in ("http", "https"):
            raise UserError(
                f"fal.ai sent an image link this app cannot open ({self._clean(scheme)}:). Try again later."
            )
        for number in (1, 2):
            try:
                # No Authorization header here: the key is for the queue, not for image hosts.
                async with self._http.stream(
                    "GET", url, timeout=self._timeout, follow_redirects=True
                ) as response:
                    return await self._read_image(response)
            except httpx.TransportError as exc:
                problem = _Transient.from_transport(exc)
            except _Transient as exc:
                problem = exc
            log.warning("fal.ai image download failed (%s)", self._redact(str(problem)))
            if not (problem.kind == "broken" and number == 1):
                raise problem.retryable() from None
        raise AssertionError("unreachable")  # pragma: no cover

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
