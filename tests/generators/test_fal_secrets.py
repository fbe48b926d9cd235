"""The fal key stays secret: no error, job message or log line carries it (or anything shaped
like it, or a server's control characters), whatever the server sends back."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from desktop.errors import UserError
from desktop.generators.fal import FalClient
from tests.fakes.fal_server import FakeFalServer, FalScript, Fault
from tests.generators.fal_run import KEY, run_client


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
    # httpx logs each request's address (its request id), httpcore the headers (-v does this)
    for name in ("", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name or None)
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
    assert "HTTP Request: GET" in caplog.text  # httpx's lines (with the request id) were logged
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
