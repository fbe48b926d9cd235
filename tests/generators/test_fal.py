"""FalClient against a real fake fal queue server on 127.0.0.1 (tests/fakes/fal_server.py).
Cancels are in test_fal_cancel.py, the key staying secret in test_fal_secrets.py."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest

from desktop.errors import RetryableError, UserError
from desktop.generators.fal import (
    KEY_REFUSED,
    FalModels,
    build_arguments,
    image_to_data_uri,
)
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault, make_png
from tests.generators.fal_run import KEY, PROMPT_ARGS, closed_port, run_client


@pytest.fixture
def fal():
    with FakeFalServer(FalScript(key=KEY)) as server:
        yield server


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
