"""fal.ai through the job engine: the one retry layer, counted on real loopback servers.

FalClient sends each request once; the engine's attempts (3 by default, backoff shortened by
STYLESTUDIO_RETRY_BASE_SECONDS in tests/conftest.py) are the only retries. So a server that
fails every time sees exactly one submit per attempt, and nothing more.
"""

from __future__ import annotations

import socket
import threading

import pytest
from PIL import Image

from desktop.generators.fal import FOREIGN_HOST
from desktop.pipelines.generate.request import enqueue_style
from desktop.runtime import open_runtime
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault
from tests.helpers import run_pool

KEY = "fal-jobs-key-1234:secretpart"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def rt(home, monkeypatch):
    monkeypatch.setenv("FAL_KEY", KEY)
    runtime = open_runtime(home)
    yield runtime
    runtime.close()


def _png(color: tuple[int, int, int]) -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (96, 64), color).save(buf, "PNG")
    return buf.getvalue()


def _run_fal_job(rt, base_url: str) -> object:
    rt.settings.fal_queue_url = base_url
    job_id = enqueue_style(rt, "neon", backend="fal", previews=1, size=64)
    run_pool(rt)
    return rt.engine.get(job_id)


class ClosingServer:
    """Accepts TCP connections and closes them at once, counting them: a server that is "up"
    but never answers anything, the worst case for retry loops that multiply."""

    def __init__(self) -> None:
        self.connections = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> ClosingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


def test_a_server_failing_every_submit_gets_one_per_attempt_and_no_more(rt) -> None:
    with FakeFalServer(FalScript(key=KEY, faults=[Fault("any", 500, times=None)])) as fal:
        row = _run_fal_job(rt, fal.base_url)
        seen = fal.requests

    assert row.status == "failed"
    assert row.attempts == row.max_attempts == 3
    assert row.error == "fal.ai had a problem on its side (HTTP 500). Try again later."
    assert [r.route for r in seen] == ["submit"] * 3


def test_a_server_that_drops_every_connection_gets_one_connection_per_attempt(rt) -> None:
    with ClosingServer() as server:
        row = _run_fal_job(rt, server.base_url)
        connections = server.connections

    assert row.status == "failed" and row.attempts == 3
    assert row.error == "fal.ai broke off the connection. Try again later."
    assert connections == 3  # was 15 (5 client retries inside each of 3 attempts)


def test_an_unreachable_server_fails_after_the_engines_attempts(rt) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once we leave: nothing listens there

    row = _run_fal_job(rt, f"http://127.0.0.1:{port}")

    assert row.status == "failed" and row.attempts == 3
    assert row.error == "fal.ai could not be reached. Check your internet connection and try again."


def test_a_passing_failure_after_submit_is_retried_by_the_engine_and_succeeds(rt) -> None:
    script = FalScript(key=KEY, queue_positions=[0], images=[_png((200, 30, 30))])
    script.faults.append(Fault("status", 502))
    with FakeFalServer(script) as fal:
        row = _run_fal_job(rt, fal.base_url)
        submits, cancels = fal.requests_to("submit"), fal.requests_to("cancel")
        first_request = submits[0].extra["request_id"]
        first_canceled = fal.jobs[first_request].canceled

    assert row.status == "succeeded", row.error
    assert row.attempts == 2
    assert len(submits) == 2
    # The first attempt's request was canceled on fal before the engine submitted again.
    assert len(cancels) == 1 and first_canceled


def test_an_address_on_another_host_fails_the_job_once_with_a_sentence(rt) -> None:
    with FakeFalServer(FalScript(key=None)) as evil:
        with FakeFalServer(FalScript(key=KEY, url_bases={"status_url": evil.base_url})) as fal:
            row = _run_fal_job(rt, fal.base_url)
        evil_saw, evil_host = evil.requests, f"127.0.0.1:{evil.port}"

    assert row.status == "failed" and row.attempts == 1  # not a passing failure: no retry
    assert row.error == FOREIGN_HOST.format(host=evil_host)
    assert evil_saw == []
