"""FalClient against a real fake fal queue server on 127.0.0.1 (tests/fakes/fal_server.py)."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import time
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
    elapsed: float = 0.0


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
        options: dict[str, Any] = {"timeout": 2.0, "retry_base_delay": 0.01} | client_kw
        async with FalClient(base_url or server.base_url, key, **options) as client:
            return await client.run(
                model,
                arguments or dict(PROMPT_ARGS),
                on_message=out.messages.append,
                check_canceled=check_canceled,
                sleep=asyncio.sleep if real_sleep else fast_sleep,
            )

    started = time.monotonic()
    try:
        out.images = asyncio.run(main())
    except (UserError, JobCanceled) as exc:
        out.error = exc
    out.elapsed = time.monotonic() - started
    return out


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


# ----------------------------------------------------------------------------- retries
@pytest.mark.timeout(10)
def test_429_honours_retry_after(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 429, headers={"Retry-After": "0.2"}))
    fal.script.progress_logs = []  # completes on the first poll: no poll waits in the timing

    out = run_client(fal, real_sleep=True, retry_base_delay=5.0)

    assert out.error is None, out.error
    assert len(fal.requests_to("submit")) == 2
    # It waited what fal asked for: not less, and not the 5 s backoff it would use otherwise.
    assert 0.2 <= out.elapsed < 2.0


def test_retry_after_is_passed_to_the_sleep(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("status", 503, headers={"Retry-After": "1.5"}))
    out = run_client(fal)
    assert out.error is None
    assert out.sleeps[0] == 1.5


def test_a_long_retry_after_is_handed_to_the_engine(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 429, headers={"Retry-After": "600"}))
    out = run_client(fal)
    assert isinstance(out.error, RetryableError)
    assert out.error.retry_after == 600
    assert len(fal.requests_to("submit")) == 1


def test_5xx_once_is_retried_then_succeeds(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("status", 502))
    fal.add_fault(Fault("result", 503))
    fal.add_fault(Fault("image", 500))

    out = run_client(fal)

    assert out.error is None
    assert out.images == fal.script.images
    assert len(fal.requests_to("result")) == 2
    assert len(fal.requests_to("image")) == 2


def test_retries_are_bounded_then_retryable_error(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("submit", 502, times=None))

    out = run_client(fal, max_http_retries=2, retry_base_delay=0.2)

    assert isinstance(out.error, RetryableError)
    assert (
        str(out.error)
        == "fal.ai had a problem on its side (HTTP 502 after 3 tries). Try again later."
    )
    assert len(fal.requests_to("submit")) == 3
    # exponential backoff with jitter: 0.1-0.2 s, then 0.2-0.4 s
    assert len(out.sleeps) == 2
    assert 0.1 <= out.sleeps[0] <= 0.2 <= out.sleeps[1] <= 0.4


def test_cancel_is_noticed_between_retries(fal: FakeFalServer) -> None:
    fal.add_fault(Fault("status", 503, times=None))
    out = run_client(fal, cancel_on_check=3, max_http_retries=10)
    assert isinstance(out.error, JobCanceled)
    assert len(fal.requests_to("status")) == 1  # canceled before the first retry
    assert len(fal.requests_to("cancel")) == 1


@pytest.mark.timeout(15)
def test_a_server_that_never_answers_times_out_quickly() -> None:
    server = FakeFalServer(FalScript(key=KEY, faults=[Fault("submit", hang=True, times=None)]))
    server.start()
    try:
        out = run_client(server, timeout=0.3, max_http_retries=2)
    finally:
        stop_started = time.monotonic()
        server.stop()
        assert time.monotonic() - stop_started < 3.0  # hanging handlers do not block shutdown

    assert isinstance(out.error, RetryableError)
    assert str(out.error) == "fal.ai did not answer (timed out after 3 tries). Try again later."
    assert len(server.requests_to("submit")) == 3
    assert out.elapsed < 5.0


@pytest.mark.timeout(10)
def test_connection_refused_is_retryable(fal: FakeFalServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once we leave: nothing listens there

    out = run_client(fal, base_url=f"http://127.0.0.1:{port}", max_http_retries=1)

    assert isinstance(out.error, RetryableError)
    assert "could not be reached (connection failed after 2 tries)" in str(out.error)


# ----------------------------------------------------------------------------- downloads
@pytest.mark.timeout(10)
def test_oversized_stream_is_aborted(fal: FakeFalServer) -> None:
    fal.script.stream_image_bytes = 200 * 1024 * 1024  # no Content-Length: must count while reading

    out = run_client(fal, max_image_bytes=1024 * 1024)

    assert type(out.error) is UserError
    assert str(out.error) == (
        "fal.ai sent an image larger than 1 MB, so it was not downloaded. Try a smaller image size."
    )
    assert out.elapsed < 5.0


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
            out = run_client(server, max_http_retries=1)
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
