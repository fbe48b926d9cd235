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
resend inside the client is for a GET (status, result, image) or the cancel (a PUT: canceling
twice is harmless) whose connection broke before an answer arrived, e.g. a keep-alive
connection the server had just closed: it is sent once more at once, on a new connection.
Never for the submit (a POST fal may have received) and never for timeouts, refused
connections or HTTP errors. So with the defaults (3 attempts, 10 s connect
timeout, 30 s read timeout, engine backoff 2 s x 2^n with jitter):

* an unreachable server costs 3 connection attempts in all (one per job attempt), and the job
  fails after about 3 x 10 s of connect timeouts plus ~3-9 s of backoff (seconds, when the
  connection is refused at once);
* a server answering 500 to every submit receives exactly 3 submits;
* a server that accepts the submit and then fails gets one failing poll (two when the
  connection broke), one cancel, per attempt.

Errors end as ``UserError`` sentences. Every value fal sent (request ids, statuses, log lines,
addresses, error bodies) goes through ``fal_text.FalText`` before it is logged or shown: the
key (and anything shaped like one) is masked and control characters are escaped.

**A canceled job cancels its request on fal, for sure** (``fal_cancel``). A cancel
(``JobCanceled`` from ``check_canceled``/``sleep``, or ``asyncio.CancelledError`` when the work
pool interrupts the task) that comes while the submit is on its way waits for fal's answer,
which names the request; a poll or the result fetch on its way is dropped at once. Then fal's
cancel is sent (``PUT cancel_url``, within ``CANCEL_TIMEOUT``; an interruption meanwhile does
not cut it short) before the exception propagates, so the job's row ends ``canceled`` only
after fal has the cancel, or when fal had already said the request was over. When fal could
not be told (no connection, no answer to the submit) the job ends failed instead, with a
sentence saying the request may still run there.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

import httpx

from desktop.errors import JobCanceled, UserError
from desktop.generators.fal_cancel import finish_despite_cancel, never_sent, watched
from desktop.generators.fal_http import RETRY_STATUSES, NoAnswer, Transient, host_text, origin
from desktop.generators.fal_images import ImageDownloads
from desktop.generators.fal_text import FalText, KeyMaskFilter

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://queue.fal.run"
MIN_POLL_INTERVAL = 0.5
DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024
KEY_REFUSED = "The fal key was refused. Check it in Settings or the FAL_KEY environment variable."
NO_KEY = "No fal key is set. Add it in Settings or set the FAL_KEY environment variable."
FOREIGN_HOST = (
    "fal.ai answered with an address on another host ({host}); Style Studio did not follow it."
)
UNUSABLE_ADDRESS = "fal.ai answered with an address this app cannot use. Try again later."
CANCEL_TIMEOUT = 1.5  # seconds for the cancel call: the pool waits 2 s for an interrupted task
NOT_CANCELED = (
    "The job was stopped, but fal.ai could not be told to cancel request {request}, so it may "
    "still run there and be billed; check your requests on fal.ai."
)
SUBMIT_UNANSWERED = (
    "The job was stopped while fal.ai was taking the request and fal.ai did not answer, so the "
    "request may still run there and be billed; check your requests on fal.ai."
)
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
        self.interrupted = False  # the task was interrupted while the submit was on its way

    def say(self, text: str) -> None:
        if text != self._last:
            self._last = text
            self._on_message(text)

    def canceled(self) -> bool:
        try:
            self.check_canceled()
        except JobCanceled:
            return True
        return False


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
        queue_origin = origin(base_url)
        if queue_origin is None:
            raise UserError(
                f'The fal.ai address "{base_url}" is not a web address. Check it in Settings.'
            )
        self.base_url = base_url
        self._origin = queue_origin  # the only place the key is ever sent
        self._text = FalText(key)
        self._auth = {"Authorization": f"Key {key}"}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._poll_interval = max(MIN_POLL_INTERVAL, float(poll_interval))
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            headers={"User-Agent": _USER_AGENT},
        )
        self._images = ImageDownloads(self._http, self._timeout, int(max_image_bytes), self._text)
        self._log_mask = KeyMaskFilter(self._text)  # httpx logs the addresses fal returned
        self._log_mask.attach()

    def __repr__(self) -> str:
        return f"FalClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> FalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
        finally:
            self._log_mask.detach()

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

        ``check_canceled()`` is called before every poll (and every download), and while a poll
        is on its way. Whenever the run ends early after fal accepted the request
        (``JobCanceled`` from ``check_canceled`` or ``sleep``, ``asyncio.CancelledError`` from
        the pool, a ``RetryableError``, an address on another host), the request is canceled on
        fal (one try, ``CANCEL_TIMEOUT``) and the exception propagates; a stopped job whose
        request fal could not be told about ends with ``NOT_CANCELED`` or ``SUBMIT_UNANSWERED``
        instead. Passing failures are not retried here: see the module docstring.
        """
        model = model.strip().strip("/")
        run = _Run(model, on_message, check_canceled, sleep)
        run.check_canceled()
        run.say("Sending the request to fal.ai")
        submit_url = f"{self.base_url}/{model}"
        queued = await self._submit(run, submit_url, arguments)
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
        request_id = self._text.request_id(queued.get("request_id", "?"))
        cancel_url = queued.get("cancel_url")
        cancel_url = urljoin(submit_url, cancel_url) if isinstance(cancel_url, str) else None
        log.info("fal.ai request %s queued for %s", request_id, self._text.shown(model))
        try:
            if run.interrupted:
                raise asyncio.CancelledError()
            status_url = self._followable(urljoin(submit_url, queued["status_url"]), request_id)
            response_url = self._followable(
                urljoin(submit_url, queued["response_url"]), request_id
            )
            if cancel_url is not None:
                self._followable(cancel_url, request_id)
            run.check_canceled()
            self._report_queue(run, queued)
            await self._wait(run, status_url)
            return await self._collect(run, response_url)
        except (Exception, asyncio.CancelledError) as exc:
            if not run.finished:
                told = await self._cancel(cancel_url, request_id)
                if not told and isinstance(exc, (JobCanceled, asyncio.CancelledError)):
                    raise UserError(NOT_CANCELED.format(request=request_id)) from None
            raise

    async def _submit(self, run: _Run, url: str, arguments: dict[str, Any]) -> Any:
        """The POST that queues the request, awaited to its end even when the job is stopped
        meanwhile: fal may have queued it, and only its answer names the request to cancel
        (``run.interrupted`` then says the task must stop once that is done)."""
        task = asyncio.ensure_future(self._queue_call(run, "POST", url, "submit", json=arguments))
        run.interrupted = await finish_despite_cancel(task)
        if task.cancelled():  # only a closing event loop cancels it: fal's answer is lost
            log.warning("fal.ai submit was cut off by the program stopping; fal may have the request")
            raise UserError(SUBMIT_UNANSWERED)
        error = task.exception()
        if error is None:
            return task.result()
        if run.interrupted or run.canceled():
            if isinstance(error, NoAnswer) and error.maybe_arrived:
                raise UserError(SUBMIT_UNANSWERED) from None
            if run.interrupted:
                raise asyncio.CancelledError()
            run.check_canceled()
        raise error

    # ------------------------------------------------------------------ where the key may go
    def _trusted(self, url: str) -> bool:
        return origin(url) == self._origin

    def _followable(self, url: str, request_id: str) -> str:
        """``url`` if it is on the configured queue origin; refused (not followed) otherwise."""
        if self._trusted(url):
            return url
        host = self._text.clean(host_text(url))
        log.warning(
            "fal.ai request %s: refused to follow an address on another host (%s)",
            request_id,
            host,
        )
        raise UserError(FOREIGN_HOST.format(host=host))

    async def _send_with_key(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The only way a request carrying the key is sent: same origin as ``base_url`` only."""
        if not self._trusted(url):  # every caller checked already; this is the last guard
            raise UserError(FOREIGN_HOST.format(host=self._text.clean(host_text(url))))
        try:
            return await self._http.request(method, url, headers=self._auth, **kwargs)
        except httpx.InvalidURL:  # its text quotes the address: never logged or shown
            raise UserError(UNUSABLE_ADDRESS) from None

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
                line = self._text.latest_log(status.get("logs"))
                run.say(f"fal: {line}" if line else "Generating on fal.ai")
            elif state == "COMPLETED":
                run.finished = True
                error = status.get("error")
                if error:
                    raise UserError(self._text.failed_sentence(error))
                return
            elif state in ("FAILED", "CANCELED", "CANCELLED"):
                run.finished = True
                raise UserError(self._text.failed_sentence(status.get("error") or state.lower()))
            else:
                raise UserError(
                    f"fal.ai sent a status this app does not understand ({self._text.clean(state)}). "
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
                raise UserError(self._text.failed_sentence(detail))
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
            out.append(await self._images.download(url))
        return out

    async def _cancel(self, cancel_url: str | None, request_id: str) -> bool:
        """Ask fal to cancel ``request_id``, even if the task is interrupted meanwhile. True
        when fal has the cancel: it answered, or the PUT was sent and its answer is late."""
        if not cancel_url or not self._trusted(cancel_url):
            log.warning("fal.ai request %s has no cancel address to use", request_id)
            return False
        task = asyncio.ensure_future(self._send_cancel(cancel_url, request_id))
        await finish_despite_cancel(task)  # the caller raises what stopped it, after this
        return not task.cancelled() and task.result()

    async def _send_cancel(self, cancel_url: str, request_id: str) -> bool:
        """One ``PUT cancel_url`` (once more on a new connection when the first one broke
        before any answer: a cancel may be sent twice), at most ``CANCEL_TIMEOUT`` each."""
        limit = httpx.Timeout(CANCEL_TIMEOUT)
        for number in (1, 2):
            try:
                response = await asyncio.wait_for(
                    self._send_with_key("PUT", cancel_url, timeout=limit), 2 * CANCEL_TIMEOUT
                )
            except httpx.TransportError as exc:
                problem = type(exc).__name__
                if isinstance(exc, httpx.TimeoutException) and not never_sent(exc):
                    log.info("fal.ai request %s cancel sent; no answer in time (%s)", request_id, problem)
                    return True
                log.warning("fal.ai request %s could not be canceled (%s)", request_id, problem)
                if never_sent(exc) or number == 2:
                    return False
            except (TimeoutError, UserError) as exc:
                log.warning("fal.ai request %s could not be canceled (%s)", request_id, type(exc).__name__)
                return False
            else:
                log.info("fal.ai request %s cancel answered HTTP %s", request_id, response.status_code)
                return True
        return False  # pragma: no cover

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
        engine; only a GET whose connection broke before any answer is sent once more. A GET
        (a read) is dropped as soon as the job is canceled (``watched``)."""
        tries = 2 if method == "GET" else 1
        for number in range(1, tries + 1):
            try:
                request = self._send_with_key(
                    method, url, json=json, params=params, timeout=self._timeout
                )
                if method == "GET":
                    response = await watched(request, run.check_canceled)
                else:
                    response = await request
                return self._read_queue_response(run, response, what)
            except httpx.TransportError as exc:
                problem = Transient.from_transport(exc)
            except Transient as exc:
                problem = exc
            log.warning("fal.ai %s failed (%s)", what, self._text.shown(problem))
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
            raise UserError(self._text.rejected_sentence(response))
        if code in RETRY_STATUSES or code >= 500:
            # On the result fetch, a 5xx that fal itself stamped with the request id is the
            # model's own failure, not a passing one: retrying the GET would not change it.
            detail = self._text.detail(response)
            if (
                what == "result"
                and code >= 500
                and "x-fal-request-id" in response.headers
                and detail
            ):
                raise UserError(self._text.failed_sentence(detail))
            raise Transient.from_status(response)
        detail = self._text.detail(response)
        if what == "submit" and code == 404:
            raise UserError(
                f'fal.ai has no model called "{run.model}". Check the model name in Settings.'
            )
        if what == "result":
            raise UserError(self._text.failed_sentence(detail or f"HTTP {code}"))
        suffix = f": {detail}" if detail else ""
        raise UserError(
            f"fal.ai refused the request (HTTP {code}{suffix}). Check the settings and try again."
        )
