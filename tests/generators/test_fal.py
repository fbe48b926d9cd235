"""FalClient against a real fake fal queue server on 127.0.0.1 (tests/fakes/fal_server.py)."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from desktop.errors import JobCanceled, RetryableError, UserError
from desktop.generators.fal import (
    KEY_REFUSED,
    FalClient,
    FalModels,
    build_arguments,
    image_to_data_uri,
)
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault, make_png

KEY = "k3y-id-4f2a:s3cret-9b7c1d"  # fal keys look like "<id>:<secret>"
PROMPT_ARGS = {"prompt": "a teal harbour at dawn", "num_images": 1}


@pytest.fixture
def fal():
    with FakeFalServer(FalScript(key=KEY)) as server:
        yield server


@dataclass
class Outcome:
    images: list[bytes] | None = None
    error: BaseException | None = None
    messages: list[str] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    checks: int = 0


def run_client(
    server: FakeFalServer,
    *,
    model: str = FalModels.TEXT_ONLY,
    arguments: dict[str, Any] | None = None,
    key: str = KEY,
    cancel_on_check: int | None = None,
    real_sleep: bool = False,
    base_url: str | None = None,
    **client_kw: Any,
) -> Outcome:
    """Run FalClient.run to the end and collect what a job handler would have seen."""
    out = Outcome()

    def check_canceled() -> None:
        out.checks += 1
        if cancel_on_check is not None and out.checks >= cancel_on_check:
            raise JobCanceled()

    async def fast_sleep(seconds: float) -> None:
        out.sleeps.append(seconds)
        await asyncio.sleep(0)

    async def main() -> list[bytes]:
        options: dict[str, Any] = {"timeout": 5.0} | client_kw
        async with FalClient(base_url or server.base_url, key, **options) as client:
            return await client.run(
                model,
                arguments or dict(PROMPT_ARGS),
                on_message=out.messages.append,
                check_canceled=check_canceled,
                sleep=asyncio.sleep if real_sleep else fast_sleep,
            )

    try:
        out.images = asyncio.run(main())
    except (UserError, JobCanceled) as exc:
        out.error = exc
    return out


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed once we leave: nothing listens there


# ----------------------------------------------------------------------------- happy paths
def test_run_reports_queue_and_logs_in_order_then_downloads(fal: FakeFalServer) -> None:
    images = [make_png(4, 3, (10, 20, 30)), make_png(5, 2, (200, 10, 10))]
    fal.script.queue_positions = [2, 1, 0]
    fal.script.progress_logs = ["Loading model", "Generating image 1", "Generating image 2"]
    fal.script.images = images

    out = run_client(fal)

    assert out.error is None
    assert out.images == images
    assert out.messages == [
        "Sending the request to fal.ai",
        "In queue (position 3)",
        "In queue (position 2)",
        "In queue (position 1)",
        "fal: Loading model",
        "fal: Generating image 1",
        "fal: Generating image 2",
        "Downloading images",
    ]
    polls = fal.requests_to("status")
    assert len(polls) == 7  # 3 in queue, 3 in progress, 1 completed
    assert all(p.query.get("logs") == "1" for p in polls)
    assert out.sleeps == [0.5] * 6  # one wait between polls, at the poll interval
    assert out.checks >= len(polls)  # cancel is looked at before every poll


def test_auth_header_goes_to_queue_only_never_to_image_hosts(fal: FakeFalServer) -> None:
    out = run_client(fal)

    assert out.error is None
    queue_calls = [r for r in fal.requests if r.route in ("submit", "status", "result")]
    assert queue_calls and all(r.headers.get("authorization") == f"Key {KEY}" for r in queue_calls)
    downloads = fal.requests_to("image")
    assert len(downloads) == 1
    assert "authorization" not in downloads[0].headers


def test_follows_returned_urls_for_a_model_with_a_subpath(fal: FakeFalServer) -> None:
    out = run_client(fal, model="fal-ai/flux/dev")

    assert out.error is None
    (submit,) = fal.requests_to("submit")
    assert submit.path == "/fal-ai/flux/dev"
    assert submit.json() == PROMPT_ARGS
    request_id = submit.extra["request_id"]
    # fal's status/result URLs drop the "/dev" subpath; a client that builds URLs itself 404s.
    assert {r.path for r in fal.requests_to("status")} == {
        f"/fal-ai/flux/requests/{request_id}/status"
    }
    assert [r.path for r in fal.requests_to("result")] == [f"/fal-ai/flux/requests/{request_id}"]


def test_poll_interval_is_never_faster_than_half_a_second(fal: FakeFalServer) -> None:
    fal.script.progress_logs = ["a", "b", "c"]
    out = run_client(fal, poll_interval=0.01)

    assert out.error is None
    assert out.sleeps and min(out.sleeps) >= 0.5


def test_data_uri_images_are_decoded(fal: FakeFalServer) -> None:
    images = [make_png(2, 2), make_png(3, 3)]
    fal.script.images = images
    fal.script.image_mode = "data"

    out = run_client(fal)

    assert out.images == images
    assert fal.requests_to("image") == []


def test_in_progress_without_logs_still_says_something(fal: FakeFalServer) -> None:
    fal.script.progress_logs = ["", ""]
    out = run_client(fal)
    assert "Generating on fal.ai" in out.messages


# ----------------------------------------------------------------------------- cancel
def test_cancel_calls_the_returned_cancel_url_and_reraises(fal: FakeFalServer) -> None:
    fal.script.queue_positions = [5, 4, 3, 2, 1, 0]

    # check #1 is before submit, #2.. before each poll: cancel during the third poll.
    out = run_client(fal, model="fal-ai/flux/dev", cancel_on_check=4)

    assert isinstance(out.error, JobCanceled)
    (submit,) = fal.requests_to("submit")
    request_id = submit.extra["request_id"]
    (cancel,) = fal.requests_to("cancel")
    assert cancel.method == "PUT"
    assert cancel.path == f"/fal-ai/flux/requests/{request_id}/cancel"
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert fal.jobs[request_id].canceled
    assert fal.requests_to("result") == []
    assert "Downloading images" not in out.messages


def test_cancel_before_submit_sends_nothing(fal: FakeFalServer) -> None:
    out = run_client(fal, cancel_on_check=1)
    assert isinstance(out.error, JobCanceled)
    assert fal.requests == []


def test_cancel_still_reraises_when_the_cancel_call_fails(fal: FakeFalServer) -> None:
    fal.script.queue_positions = [3, 2, 1, 0]
    fal.add_fault(Fault("cancel", 500, times=None))
    out = run_client(fal, cancel_on_check=3)
    assert isinstance(out.error, JobCanceled)
    assert len(fal.requests_to("cancel")) == 1  # best effort: one try, no retries


def test_cancel_from_the_jobs_sleep_reaches_fal(fal: FakeFalServer) -> None:
    """``ctx.sleep`` raises JobCanceled when a cancel arrives during the wait between polls."""
    fal.script.queue_positions = [3, 2, 1, 0]

    async def canceled_sleep(_: float) -> None:
        raise JobCanceled()

    async def main() -> None:
        async with FalClient(fal.base_url, KEY, timeout=5.0) as client:
            await client.run(
                FalModels.TEXT_ONLY,
                dict(PROMPT_ARGS),
                on_message=lambda _: None,
                check_canceled=lambda: None,
                sleep=canceled_sleep,
            )

    with pytest.raises(JobCanceled):
        asyncio.run(main())
    (cancel,) = fal.requests_to("cancel")
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert all(job.canceled for job in fal.jobs.values())


@pytest.mark.timeout(30)
def test_a_task_cancelled_during_a_hanging_poll_still_cancels_on_fal(fal: FakeFalServer) -> None:
    """The pool cancels the task (asyncio.CancelledError) when a handler does not stop in time,
    e.g. when a worker is told to stop while fal is not answering a poll."""
    fal.add_fault(Fault("status", hang=True, times=None))
    seen: dict[str, BaseException | None] = {"error": None}

    async def main() -> None:
        async with FalClient(fal.base_url, KEY, timeout=60.0) as client:
            task = asyncio.create_task(
                client.run(
                    FalModels.TEXT_ONLY,
                    dict(PROMPT_ARGS),
                    on_message=lambda _: None,
                    check_canceled=lambda: None,
                )
            )
            deadline = asyncio.get_running_loop().time() + 20
            while not fal.requests_to("status"):  # the poll is in flight and will never answer
                assert asyncio.get_running_loop().time() < deadline, "no poll arrived"
                await asyncio.sleep(0.02)
            task.cancel()
            try:
                await task
            except BaseException as exc:  # noqa: BLE001 - recording what the pool would see
                seen["error"] = exc

    asyncio.run(main())

    assert isinstance(seen["error"], asyncio.CancelledError)
    (submit,) = fal.requests_to("submit")
    (cancel,) = fal.requests_to("cancel")
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert fal.jobs[submit.extra["request_id"]].canceled


# ----------------------------------------------------------------------------- where the key goes
@pytest.fixture
def evil():
    """A second server on another port: anything it receives was sent to the wrong host."""
    with FakeFalServer(FalScript(key=None)) as server:
        yield server


FOREIGN = "fal.ai answered with an address on another host ({}); Style Studio did not follow it."


@pytest.mark.parametrize("which", ["status_url", "response_url", "cancel_url"])
def test_an_address_on_another_host_is_refused_and_never_sent_the_key(
    fal: FakeFalServer, evil: FakeFalServer, which: str
) -> None:
    fal.script.url_bases = {which: evil.base_url}

    out = run_client(fal)

    assert type(out.error) is UserError
    assert str(out.error) == FOREIGN.format(f"127.0.0.1:{evil.port}")
    assert evil.requests == []  # not followed at all, so no key either
    assert fal.requests_to("status") == [] and fal.requests_to("result") == []
    # The request fal accepted is canceled where that is safe (its cancel URL is on fal's host).
    assert len(fal.requests_to("cancel")) == (0 if which == "cancel_url" else 1)


def test_the_same_address_by_another_name_is_another_host(fal: FakeFalServer) -> None:
    """A host is scheme + name + port: ``localhost`` is not ``127.0.0.1`` for the key."""
    fal.script.url_bases = {"status_url": f"http://localhost:{fal.port}"}

    out = run_client(fal)

    assert str(out.error) == FOREIGN.format(f"localhost:{fal.port}")
    assert fal.requests_to("status") == []


def test_images_on_a_cdn_host_are_downloaded_without_the_key(
    fal: FakeFalServer, evil: FakeFalServer
) -> None:
    cdn = evil  # fal's CDN is another host; the images must come from there, keyless
    images = [make_png(3, 3, (1, 2, 3)), make_png(4, 4, (9, 8, 7))]
    fal.script.images = cdn.script.images = images
    fal.script.image_base = cdn.base_url

    out = run_client(fal)

    assert out.error is None, out.error
    assert out.images == images
    downloads = cdn.requests_to("image")
    assert len(downloads) == 2
    assert all("authorization" not in r.headers for r in cdn.requests)
    assert fal.requests_to("image") == []


def test_an_error_body_carrying_a_foreign_address_is_not_followed(
    fal: FakeFalServer, evil: FakeFalServer
) -> None:
    """Only the submit answer's addresses are followed; later answers cannot redirect polls."""
    fal.script.queue_positions = [1, 0]
    fal.add_fault(
        Fault(
            "status",
            200,
            body={"status": "IN_QUEUE", "status_url": f"{evil.base_url}/x/requests/1/status"},
        )
    )

    out = run_client(fal)

    assert out.error is None, out.error
    assert evil.requests == []


# ----------------------------------------------------------------------------- refusals
def test_wrong_key_gives_the_settings_sentence_and_is_not_retried(fal: FakeFalServer) -> None:
    out = run_client(fal, key="wrong-key-123456")

    assert type(out.error) is UserError
    assert str(out.error) == KEY_REFUSED
    assert len(fal.requests_to("submit")) == 1


def test_422_lists_the_fields_fal_rejected(fal: FakeFalServer) -> None:
    fal.script.validation_errors = [
        {
            "loc": ["body", "image_size"],
            "msg": "Input should be 'square_hd' or 'square'",
            "type": "enum",
        },
        {
            "loc": ["body", "num_images"],
            "msg": "Input should be less than or equal to 4",
            "type": "le",
        },
    ]

    out = run_client(fal)

    assert type(out.error) is UserError
    text = str(out.error)
    assert text.startswith(
        "fal.ai rejected these settings: image_size (Input should be 'square_hd'"
    )
    assert "num_images (Input should be less than or equal to 4)" in text
    assert "body" not in text
    assert len(fal.requests_to("submit")) == 1


def test_unknown_model_says_so(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 404, body={"detail": "Application 'nope' not found"}))
    out = run_client(fal, model="fal-ai/nope")
    assert type(out.error) is UserError
    assert 'no model called "fal-ai/nope"' in str(out.error)


def test_completed_with_error_gives_fals_message(fal: FakeFalServer) -> None:
    fal.script.progress_logs = ["Generating image 1"]
    fal.script.completion_error = "NSFW content detected in the prompt."

    out = run_client(fal)

    assert type(out.error) is UserError
    assert str(out.error) == (
        "fal.ai could not make the images: NSFW content detected in the prompt. "
        "Change the description or settings and try again."
    )
    assert fal.requests_to("image") == []


def test_result_error_body_from_fal_is_a_user_error_not_retried(fal: FakeFalServer) -> None:
    fal.script.result_error = (500, {"detail": "CUDA out of memory"})

    out = run_client(fal)

    assert type(out.error) is UserError
    assert "fal.ai could not make the images: CUDA out of memory" in str(out.error)
    assert len(fal.requests_to("result")) == 1


def test_result_without_images_is_a_user_error(fal: FakeFalServer) -> None:
    fal.script.images = []
    out = run_client(fal)
    assert type(out.error) is UserError
    assert "no images" in str(out.error)


# ----------------------------------------------------------------------------- one retry layer
# The client sends each request once and hands passing failures to the job engine (which
# retries the whole job with backoff); see tests/generators/test_fal_jobs.py for the engine side.
def test_a_429_is_handed_to_the_engine_with_its_retry_after(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 429, headers={"Retry-After": "0.2"}))

    out = run_client(fal)

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == "fal.ai is busy (HTTP 429). Try again later."
    assert out.error.retry_after == 0.2
    assert len(fal.requests_to("submit")) == 1
    assert out.sleeps == []  # no waiting inside the client: the engine waits


def test_a_long_retry_after_is_handed_to_the_engine(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 429, headers={"Retry-After": "600"}))
    out = run_client(fal)
    assert isinstance(out.error, RetryableError)
    assert out.error.retry_after == 600
    assert len(fal.requests_to("submit")) == 1


def test_a_failing_submit_is_sent_once(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 502, times=None))

    out = run_client(fal)

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == "fal.ai had a problem on its side (HTTP 502). Try again later."
    assert len(fal.requests) == 1
    assert out.sleeps == []


def test_a_dropped_submit_is_not_sent_again(fal: FakeFalServer) -> None:
    """fal may have received a POST whose answer was lost: sending it again could pay twice."""
    fal.add_fault(Fault("submit", drop=True))

    out = run_client(fal)

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == "fal.ai broke off the connection. Try again later."
    assert len(fal.requests_to("submit")) == 1


def test_a_failing_poll_cancels_the_accepted_request_before_handing_over(
    fal: FakeFalServer,
) -> None:
    fal.script.queue_positions = [1, 0]
    fal.add_fault(Fault("status", 503, headers={"Retry-After": "1.5"}))

    out = run_client(fal)

    assert isinstance(out.error, RetryableError)
    assert out.error.retry_after == 1.5
    assert len(fal.requests_to("status")) == 1
    (submit,) = fal.requests_to("submit")
    (cancel,) = fal.requests_to("cancel")  # the engine will submit again: do not pay twice
    assert cancel.headers.get("authorization") == f"Key {KEY}"
    assert fal.jobs[submit.extra["request_id"]].canceled
    assert fal.requests_to("result") == []


def test_a_poll_on_a_dropped_connection_is_sent_once_more_at_once(fal: FakeFalServer) -> None:
    fal.script.progress_logs = ["Generating"]
    fal.add_fault(Fault("status", drop=True))

    out = run_client(fal)

    assert out.error is None, out.error
    assert out.images == fal.script.images
    assert len(fal.requests_to("status")) == 3  # dropped + its resend, then COMPLETED
    assert out.sleeps == [0.5]  # the resend did not wait; only the normal poll interval
    assert fal.requests_to("cancel") == []


def test_a_connection_that_keeps_dropping_is_resent_only_once(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("status", drop=True, times=None))

    out = run_client(fal)

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == "fal.ai broke off the connection. Try again later."
    assert len(fal.requests_to("status")) == 2
    assert len(fal.requests_to("cancel")) == 1


def test_an_image_download_failing_is_handed_to_the_engine(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("image", 500, times=None))

    out = run_client(fal)

    assert isinstance(out.error, RetryableError)
    assert len(fal.requests_to("image")) == 1
    assert fal.requests_to("cancel") == []  # the request was already finished on fal


@pytest.mark.timeout(30)
def test_a_server_that_never_answers_times_out_after_one_request() -> None:
    server = FakeFalServer(FalScript(key=KEY, faults=[Fault("submit", hang=True, times=None)]))
    server.start()
    try:
        out = run_client(server, timeout=0.3)
    finally:
        server.stop()  # returns although a handler is hanging on purpose

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == "fal.ai did not answer in time. Try again later."
    assert len(server.requests_to("submit")) == 1


def test_connection_refused_is_retryable(fal: FakeFalServer) -> None:
    out = run_client(fal, base_url=f"http://127.0.0.1:{closed_port()}")

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == (
        "fal.ai could not be reached. Check your internet connection and try again."
    )


# ----------------------------------------------------------------------------- downloads
@pytest.mark.timeout(10)
def test_oversized_stream_is_aborted(fal: FakeFalServer) -> None:
    fal.script.stream_image_bytes = 200 * 1024 * 1024  # no Content-Length: must count while reading

    out = run_client(fal, max_image_bytes=1024 * 1024)

    assert type(out.error) is UserError
    assert str(out.error) == (
        "fal.ai sent an image larger than 1 MB, so it was not downloaded. Try a smaller image size."
    )


def test_oversized_declared_length_is_refused(fal: FakeFalServer) -> None:
    fal.script.images = [b"\x89PNG" + b"\x00" * 300_000]
    out = run_client(fal, max_image_bytes=100_000)
    assert type(out.error) is UserError
    assert "larger than 97 KB" in str(out.error)


def test_oversized_data_uri_is_refused(fal: FakeFalServer) -> None:
    fal.script.images = [b"\x00" * 300_000]
    fal.script.image_mode = "data"
    out = run_client(fal, max_image_bytes=100_000)
    assert type(out.error) is UserError
    assert "larger than" in str(out.error)


def test_a_web_page_instead_of_an_image_is_refused(fal: FakeFalServer) -> None:
    fal.script.images = [b"<html>Access denied</html>"]
    fal.script.image_content_type = "text/html"
    out = run_client(fal)
    assert type(out.error) is UserError
    assert "text/html document instead of an image" in str(out.error)


def test_non_image_bytes_are_returned_for_the_pipeline_to_judge(fal: FakeFalServer) -> None:
    fal.script.images = [b"definitely not a png"]
    out = run_client(fal)
    assert out.images == [b"definitely not a png"]


# ----------------------------------------------------------------------------- the key stays secret
def test_key_never_appears_in_errors_messages_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    scenarios = [
        {"completion_error": f"Bad key {KEY} in header", "progress_logs": [f"auth {KEY}"]},
        {"result_error": (500, {"detail": f"token {KEY.split(':')[1]} expired"})},
        {"validation_errors": [{"loc": ["body", KEY], "msg": f"echo {KEY}"}]},
        {"faults": [Fault("submit", 500, times=None)]},
        {"faults": [Fault("submit", 400, body={"detail": f"nope {KEY}"})]},
    ]
    for scenario in scenarios:
        with FakeFalServer(FalScript(key=KEY, **scenario)) as server:
            out = run_client(server)
        assert isinstance(out.error, UserError), scenario
        texts += [str(out.error), repr(out.error), *out.messages]
        cause = out.error.__cause__
        while cause is not None:
            texts.append(str(cause))
            cause = cause.__cause__
    with FakeFalServer(FalScript(key="another-key-entirely", echo_auth_in_401=True)) as server:
        out = run_client(server)
        texts.append(str(out.error))

    everything = "\n".join(texts) + caplog.text
    assert "[redacted]" in everything  # the scenarios really did try to leak it
    for secret in (KEY, *KEY.split(":")):
        assert secret not in everything


OTHER_KEY = "0b6d5a2e-1c3f-4e8a-9d7b-2f4c6e8a0b1d:9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # fal-shaped
# A server that repeats the key in everything it says (request ids, log lines, image
# addresses), with terminal escapes: OSC 52 (clipboard write), clear screen, BEL.
ESCAPES = "\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b[31m"
ECHOING = [
    {"progress_logs": [f"loading {ESCAPES}", f"Authorization: Key {OTHER_KEY}", f"fal_key={OTHER_KEY}"]},
    {"strange_status": f"WAITING {KEY} {ESCAPES}"},
    {"completion_error": f"bad key {KEY} {ESCAPES} Key {OTHER_KEY}"},
    {"result_error": (404, {"detail": f"gone {KEY.split(':')[1]} {ESCAPES}"})},
    {"faults": [Fault("status", 400, body={"detail": f"Bearer {OTHER_KEY} {ESCAPES}"})]},
    {"image_base": f"http://127.0.0.1:{KEY}"},  # httpx quotes a bad port in its error
]


@pytest.mark.parametrize("scenario", ECHOING, ids=["succeeds", "status", "error", "result", "refused", "image"])
def test_a_server_echoing_the_key_gets_it_into_no_message_error_or_log_line(
    caplog: pytest.LogCaptureFixture, scenario: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx logs each request's address (its request id) too
    with FakeFalServer(FalScript(key=KEY, echo=KEY, queue_positions=[1, 0], **scenario)) as server:
        out = run_client(server)
        (submit,) = server.requests_to("submit")
    assert KEY in submit.extra["request_id"]  # the server did echo it
    if scenario is ECHOING[0]:
        assert out.error is None and out.images  # echoing breaks nothing
    else:
        assert isinstance(out.error, UserError)
    texts = [*out.messages, caplog.text]
    if out.error is not None:
        texts += [str(out.error), repr(out.error)]
    everything = "\n".join(texts)
    assert "[redacted]" in everything
    for secret in (KEY, *KEY.split(":"), OTHER_KEY, *OTHER_KEY.split(":")):
        assert secret not in everything
    for text in [*out.messages, str(out.error or "")]:
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text), text
    for record in caplog.records:
        assert not any(ord(ch) < 32 for ch in record.getMessage()), record.getMessage()


def test_client_repr_hides_the_key() -> None:
    async def main() -> str:
        async with FalClient("http://127.0.0.1:9", KEY) as client:
            return repr(client)

    text = asyncio.run(main())
    assert "127.0.0.1:9" in text
    assert KEY not in text


def test_missing_key_is_a_settings_sentence() -> None:
    with pytest.raises(UserError, match="No fal key is set"):
        FalClient("https://queue.fal.run", "  ")


# ----------------------------------------------------------------------------- arguments
def test_build_arguments_with_reference_uses_redux_and_a_data_uri() -> None:
    reference = make_png(8, 8)
    args = build_arguments(
        "teal harbour",
        reference=reference,
        reference_mime="image/png",
        num_images=3,
        seed=7,
        image_size="square_hd",
    )
    assert FalModels.for_reference(reference) == "fal-ai/flux-pro/v1.1/redux"
    assert args["prompt"] == "teal harbour"
    assert args["num_images"] == 3 and args["seed"] == 7 and args["image_size"] == "square_hd"
    header, payload = args["image_url"].split(",", 1)
    assert header == "data:image/png;base64"
    assert base64.b64decode(payload) == reference


def test_build_arguments_text_only() -> None:
    args = build_arguments(
        "teal harbour",
        reference=None,
        reference_mime=None,
        num_images=1,
        seed=None,
        image_size={"width": 512, "height": 512},
    )
    assert FalModels.for_reference(None) == "fal-ai/flux/dev"
    assert "image_url" not in args and "seed" not in args
    assert args["image_size"] == {"width": 512, "height": 512}


@pytest.mark.parametrize("count", [0, 5])
def test_build_arguments_refuses_counts_fal_cannot_make(count: int) -> None:
    with pytest.raises(UserError, match="1 to 4 images"):
        build_arguments(
            "x",
            reference=None,
            reference_mime=None,
            num_images=count,
            seed=None,
            image_size="square",
        )


def test_image_to_data_uri_round_trips() -> None:
    uri = image_to_data_uri(b"\x00\xffabc", "image/jpeg")
    assert uri.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == b"\x00\xffabc"


def test_reference_image_reaches_fal_intact(fal: FakeFalServer) -> None:
    reference = make_png(6, 6, (1, 2, 3))
    args = build_arguments(
        "x",
        reference=reference,
        reference_mime="image/png",
        num_images=1,
        seed=1,
        image_size="square",
    )
    out = run_client(fal, model=FalModels.WITH_REFERENCE, arguments=args)
    assert out.error is None
    (submit,) = fal.requests_to("submit")
    assert urlsplit(submit.path).path == "/fal-ai/flux-pro/v1.1/redux"
    assert base64.b64decode(submit.json()["image_url"].split(",", 1)[1]) == reference
