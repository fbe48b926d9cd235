"""A fake fal.ai queue API on 127.0.0.1, faithful enough that the official fal-client runs on it.

Shape of the real service (https://docs.fal.ai/model-endpoints/queue):

* ``POST {base}/{owner}/{alias}[/{subpath}]`` queues a request and answers with ``request_id``,
  ``status_url``, ``response_url``, ``cancel_url`` and ``queue_position``. The three URLs use
  ``{owner}/{alias}`` only: a subpath (``/dev`` of ``fal-ai/flux/dev``) is *not* part of them,
  which is why clients must follow the URLs instead of building them.
* ``GET  .../requests/{id}/status[?logs=1]``: ``IN_QUEUE`` (+ ``queue_position``, 0-based),
  ``IN_PROGRESS`` (+ ``logs``), ``COMPLETED`` (+ ``logs``, ``metrics``, and ``error`` /
  ``error_type`` when the run failed).
* ``GET  .../requests/{id}``: the model's output (``images[]`` with ``url`` / ``content_type``).
* ``PUT  .../requests/{id}/cancel``: 202 ``CANCELLATION_REQUESTED`` or 400 ``ALREADY_COMPLETED``.
* Auth: ``Authorization: Key <key>``; a wrong key gets 401. Bad input gets 422 with
  ``detail: [{loc, msg, type}]``.

Everything else (queue positions, logs, faults, hangs) is scripted per test with ``FalScript``.
``FakeFalServer.hold(route)`` holds the next request to a route (recorded at once with its
arrival time, answered only when the test calls ``release()``): how a test puts a cancel at
an exact await of the client. A held submit has already queued its request (fal has it; the
client does not know its id yet). ``FalScript.echo`` makes a careless server that weaves a
text (the key, in tests) into everything it says: request ids, log lines, image addresses.
Image files are served by the fake itself under ``/files/...`` (no auth, like fal's CDN), or
by another server: ``FalScript.image_base`` points the image URLs elsewhere (a second fake on
another port plays fal's CDN). ``FalScript.url_bases`` does the same for the status, result and
cancel URLs: that is how a test plays a fal answer that points at another ("evil") host.
"""

from __future__ import annotations

import base64
import itertools
import struct
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import unquote

from tests.fakes import LoopbackServer, RecordedRequest

NGINX_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
)


def make_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    """A small valid PNG, built with the standard library only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return (0, 0)


Route = Literal["submit", "status", "result", "cancel", "image", "any"]


@dataclass
class Fault:
    """Answer ``route`` with ``status`` (or hang) for the next ``times`` calls (None = always).

    A 5xx without ``body`` looks like fal's ingress (nginx HTML, no ``x-fal-request-id``), which
    is what a client should retry.
    """

    route: Route
    status: int = 500
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    hang: bool = False
    drop: bool = False  # close the connection without any answer (a dropped keep-alive)


@dataclass
class FalScript:
    key: str | None = "test-key"  # the only key accepted; None accepts any request
    queue_positions: list[int] = field(default_factory=list)  # one per IN_QUEUE status poll
    progress_logs: list[str] = field(default_factory=list)  # one new line per IN_PROGRESS poll
    images: list[bytes] = field(default_factory=lambda: [make_png()])
    image_mode: Literal["url", "data"] = "url"
    image_content_type: str = "image/png"
    stream_image_bytes: int | None = None  # serve N bytes per image, no Content-Length
    validation_errors: list[dict[str, Any]] | None = None  # submit -> 422 {"detail": [...]}
    completion_error: str | None = None  # COMPLETED with error, result -> 500 {"detail": ...}
    completion_error_type: str = "internal_server_error"
    result_error: tuple[int, Any] | None = None  # result fetch answers this (status, body)
    echo_auth_in_401: bool = False  # a careless server that repeats the key it refused
    faults: list[Fault] = field(default_factory=list)
    # "status_url" / "response_url" / "cancel_url" -> another server's base URL to put in them
    url_bases: dict[str, str] = field(default_factory=dict)
    image_base: str | None = None  # serve image URLs from another server (fal's CDN)
    echo: str | None = None  # woven into request ids, log lines and image addresses
    strange_status: str | None = None  # every status poll answers this state


class Hold:
    """Holds the next request to ``route`` (after ``skip`` others) until ``release()`` (then it
    is answered as usual) or ``drop()`` (its connection is closed without an answer)."""

    def __init__(self, route: Route, skip: int = 0) -> None:
        self.route = route
        self.skip = skip
        self.request: RecordedRequest | None = None
        self.arrived = threading.Event()
        self._released = threading.Event()
        self._answer = True

    def release(self) -> None:
        self._released.set()

    def drop(self) -> None:
        self._answer = False
        self._released.set()

    def wait_arrived(self, timeout: float = 30.0) -> RecordedRequest:
        assert self.arrived.wait(timeout), f"no {self.route} request arrived within {timeout} s"
        assert self.request is not None
        return self.request

    def wait(self, handler: BaseHTTPRequestHandler, stopping: threading.Event) -> bool:
        """Block until released; False (the connection is to be closed unanswered) when it was
        dropped or the server stops first."""
        while not self._released.wait(0.05):
            if stopping.is_set():
                break
        answer = self._released.is_set() and self._answer
        if not answer:
            handler.close_connection = True
        return answer


@dataclass
class _Job:
    request_id: str
    app: str  # "owner/alias"
    arguments: dict[str, Any]
    polls: int = 0
    completed: bool = False
    canceled: bool = False


class FakeFalServer(LoopbackServer):
    """``with FakeFalServer(FalScript(...)) as fal: ... fal.base_url ... fal.requests_to("status")``"""

    def __init__(self, script: FalScript | None = None) -> None:
        super().__init__()
        self.script = script or FalScript()
        self.jobs: dict[str, _Job] = {}
        self._job_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._holds: list[Hold] = []

    # ----- holding requests
    def hold(self, route: Route, *, skip: int = 0) -> Hold:
        """Hold the next request to ``route`` (after letting ``skip`` through) until released."""
        hold = Hold(route, skip)
        with self._job_lock:
            self._holds.append(hold)
        return hold

    def _take_hold(self, route: str, request: RecordedRequest) -> Hold | None:
        with self._job_lock:
            for hold in self._holds:
                if hold.route != route or hold.request is not None:
                    continue
                if hold.skip > 0:
                    hold.skip -= 1
                    return None
                hold.request = request
                hold.arrived.set()
                return hold
        return None

    def cancels_for(self, request_id: str) -> list[RecordedRequest]:
        return [r for r in self.requests_to("cancel") if r.extra.get("request_id") == request_id]

    # ----- helpers
    def add_fault(self, fault: Fault) -> Fault:
        with self._job_lock:
            self.script.faults.append(fault)
        return fault

    def _take_fault(self, route: str) -> Fault | None:
        with self._job_lock:
            for fault in self.script.faults:
                if fault.route not in (route, "any"):
                    continue
                if fault.times is None:
                    return fault
                if fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _request_urls(self, app: str, request_id: str) -> dict[str, str]:
        path = f"/{app}/requests/{request_id}"
        bases = self.script.url_bases

        def url(name: str, tail: str) -> str:
            return f"{bases.get(name, self.base_url)}{path}{tail}"

        return {
            "response_url": url("response_url", ""),
            "status_url": url("status_url", "/status"),
            "cancel_url": url("cancel_url", "/cancel"),
        }

    @staticmethod
    def _route(method: str, segments: list[str]) -> str | None:
        if segments[:1] == ["files"] and method == "GET":
            return "image"
        if len(segments) >= 4 and segments[2] == "requests":
            tail = segments[4:]
            if method == "GET" and tail == ["status"]:
                return "status"
            if method == "GET" and tail == []:
                return "result"
            if method == "PUT" and tail == ["cancel"]:
                return "cancel"
            return None
        if method == "POST" and len(segments) >= 2:
            return "submit"
        return None

    # ----- dispatch
    def handle(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        segments = [unquote(s) for s in request.path.split("/") if s]
        route = self._route(request.method, segments)
        request.route = route or "unknown"
        request.extra["received_at"] = time.time()
        if len(segments) >= 4 and route in ("status", "result", "cancel"):
            request.extra["request_id"] = segments[3]
        self.record(request)
        if route is None:
            self.send_json(handler, 404, {"detail": "Not Found"})
            return
        hold = self._take_hold(route, request)
        if hold is not None and route != "submit" and not hold.wait(handler, self._stopping):
            return

        fault = self._take_fault(route)
        if fault is not None:
            self._send_fault(handler, fault)
            return

        if route == "image":
            self._serve_image(handler, segments)
            return

        expected = self.script.key
        got = request.headers.get("authorization", "")
        if expected is not None and got != f"Key {expected}":
            detail = "No user found for Key ID and Secret"
            if self.script.echo_auth_in_401:
                detail += f" (got {got!r})"
            self.send_json(handler, 401, {"detail": detail})
            return

        if route == "submit":
            self._submit(handler, request, segments, hold)
            return

        request_id = segments[3]
        request.extra["request_id"] = request_id
        with self._job_lock:
            job = self.jobs.get(request_id)
        if job is None or job.app != "/".join(segments[:2]):
            self.send_json(handler, 404, {"detail": f"Request {request_id} not found"})
            return
        getattr(self, f"_{route}")(handler, request, job)

    def _send_fault(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        if fault.hang:
            self.hang(handler)
            return
        if fault.drop:
            handler.close_connection = True  # nothing written: the client sees a closed socket
            return
        if fault.body is None and fault.status >= 500:
            self.send_bytes(handler, fault.status, NGINX_502, "text/html", fault.headers)
        else:
            body = fault.body if fault.body is not None else {"detail": f"HTTP {fault.status}"}
            self.send_json(handler, fault.status, body, fault.headers)

    def _submit(
        self,
        handler: BaseHTTPRequestHandler,
        request: RecordedRequest,
        segments: list[str],
        hold: Hold | None = None,
    ) -> None:
        try:
            arguments = request.json()
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            detail = [
                {"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}
            ]
            self.send_json(handler, 422, {"detail": detail})
            return
        if self.script.validation_errors is not None:
            self.send_json(handler, 422, {"detail": self.script.validation_errors})
            return
        request_id = f"{uuid.UUID(int=next(self._ids))}"
        if self.script.echo:
            request_id += f"-{self.script.echo}"
        app = "/".join(segments[:2])
        with self._job_lock:
            self.jobs[request_id] = _Job(request_id, app, arguments)
        request.extra["request_id"] = request_id
        positions = self.script.queue_positions
        payload = {
            "status": "IN_QUEUE",
            "request_id": request_id,
            **self._request_urls(app, request_id),
            "queue_position": positions[0] if positions else 0,
        }
        # fal has queued it; the client learns its id only when released
        if hold is not None and not hold.wait(handler, self._stopping):
            return
        self.send_json(handler, 200, payload, {"x-fal-request-id": request_id})

    def _status(self, handler: BaseHTTPRequestHandler, request: RecordedRequest, job: _Job) -> None:
        script = self.script
        want_logs = request.query.get("logs", "").lower() in ("1", "true")
        with self._job_lock:
            step = job.polls
            job.polls += 1
            n_queue, n_logs = len(script.queue_positions), len(script.progress_logs)
            if job.canceled:
                job.completed = True
                state, extra = (
                    "COMPLETED",
                    {"error": "Request was cancelled", "error_type": "cancelled"},
                )
                lines = script.progress_logs[: max(0, step - n_queue)]
            elif step < n_queue:
                state, extra, lines = (
                    "IN_QUEUE",
                    {"queue_position": script.queue_positions[step]},
                    [],
                )
            elif step < n_queue + n_logs:
                state, extra = "IN_PROGRESS", {}
                lines = script.progress_logs[: step - n_queue + 1]
            else:
                job.completed = True
                state, extra, lines = (
                    "COMPLETED",
                    {"metrics": {"inference_time": 0.42}},
                    script.progress_logs,
                )
                if script.completion_error is not None:
                    extra["error"] = script.completion_error
                    extra["error_type"] = script.completion_error_type
            if script.strange_status is not None:
                state = script.strange_status
        echo = f" {script.echo}" if script.echo else ""
        logs = [
            {
                "message": line + echo,
                "level": "INFO",
                "source": "user",
                "timestamp": "2024-01-01T00:00:00Z",
            }
            for line in lines
        ]
        payload: dict[str, Any] = {
            "status": state,
            "request_id": job.request_id,
            **self._request_urls(job.app, job.request_id),
            "logs": logs if want_logs and state != "IN_QUEUE" else None,
            **extra,
        }
        self.send_json(handler, 200, payload, {"x-fal-request-id": job.request_id})

    def _result(self, handler: BaseHTTPRequestHandler, request: RecordedRequest, job: _Job) -> None:
        script = self.script
        headers = {"x-fal-request-id": job.request_id}
        if job.canceled:
            self.send_json(handler, 400, {"detail": "Request was cancelled"}, headers)
        elif not job.completed:
            self.send_json(handler, 400, {"detail": "Request is still in progress"}, headers)
        elif script.result_error is not None:
            status, body = script.result_error
            self.send_json(handler, status, body, headers)
        elif script.completion_error is not None:
            self.send_json(handler, 500, {"detail": script.completion_error}, headers)
        else:
            images = []
            for index, data in enumerate(script.images):
                width, height = _png_size(data)
                if script.image_mode == "data":
                    url = (
                        f"data:{script.image_content_type};base64,{base64.b64encode(data).decode()}"
                    )
                else:
                    base = script.image_base or self.base_url
                    url = f"{base}/files/{job.request_id}/{index}.png"
                    if script.echo:
                        url += f"?sig={script.echo}"
                images.append(
                    {
                        "url": url,
                        "content_type": script.image_content_type,
                        "width": width,
                        "height": height,
                    }
                )
            payload = {
                "images": images,
                "timings": {"inference": 0.42},
                "seed": job.arguments.get("seed", 1234),
                "has_nsfw_concepts": [False] * len(images),
                "prompt": job.arguments.get("prompt", ""),
            }
            self.send_json(handler, 200, payload, headers)

    def _cancel(self, handler: BaseHTTPRequestHandler, request: RecordedRequest, job: _Job) -> None:
        with self._job_lock:
            if job.completed:
                status, body = 400, {"status": "ALREADY_COMPLETED"}
            else:
                job.canceled = True
                status, body = 202, {"status": "CANCELLATION_REQUESTED"}
        self.send_json(handler, status, body, {"x-fal-request-id": job.request_id})

    def _serve_image(self, handler: BaseHTTPRequestHandler, segments: list[str]) -> None:
        script = self.script
        try:
            index = int(segments[-1].split(".")[0])
            data = script.images[index]
        except (ValueError, IndexError):
            self.send_json(handler, 404, {"detail": "File not found"})
            return
        if script.stream_image_bytes is None:
            self.send_bytes(handler, 200, data, script.image_content_type)
            return
        # Close-delimited body of unknown length: the client has to count while it reads.
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", script.image_content_type)
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = (data + b"\x00" * 65536)[:65536]
        sent = 0
        while sent < script.stream_image_bytes and not self._stopping.is_set():
            piece = chunk[: script.stream_image_bytes - sent]
            handler.wfile.write(piece)
            sent += len(piece)
