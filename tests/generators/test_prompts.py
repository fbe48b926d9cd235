"""Prompt builders: the offline template, and the chat endpoint against a real loopback fake."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from desktop.errors import UserError
from desktop.generators.prompts import (
    PromptEndpoint,
    build_prompt,
    chat_prompt,
    template_prompt,
)
from tests.fakes.chat_server import ChatScript, FakeChatServer

ANALYSIS = {
    "palette": [{"hex": "#1a5e63", "name": "deep teal"}, {"hex": "d8b384", "name": "warm sand"}],
    "mood": "calm, nostalgic",
}


@pytest.fixture
def chat():
    with FakeChatServer() as server:
        yield server


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------- template
def test_template_uses_description_palette_and_mood() -> None:
    prompt = template_prompt("  a harbour   at dawn, fishing boats ", ANALYSIS)
    assert prompt == (
        "A harbour at dawn, fishing boats. "
        "Style: colour palette of deep teal (#1A5E63), warm sand (#D8B384); calm, nostalgic mood. "
        "Cohesive colour grading and a consistent look across every image, high detail."
    )


def test_template_is_deterministic() -> None:
    assert template_prompt("x", ANALYSIS) == template_prompt("x", dict(ANALYSIS))


@pytest.mark.parametrize(
    "analysis",
    [
        None,
        {},
        {"palette": None, "mood": None},
        {"palette": "teal"},
        {"palette": [None, 3, {}, {"hex": "nothex"}]},
        {"unrelated": [1, 2]},
        "not a dict",
    ],
)
def test_template_tolerates_missing_or_odd_analysis(analysis: object) -> None:
    prompt = template_prompt("ink sketch of a cat", analysis)  # type: ignore[arg-type]
    assert prompt.startswith("Ink sketch of a cat.")
    assert "Style:" not in prompt
    assert "None" not in prompt


def test_template_keeps_partial_palette_entries() -> None:
    prompt = template_prompt("x", {"palette": [{"name": "rust"}, {"hex": "#abc"}, "#00ff00"]})
    assert "colour palette of rust, #ABC, #00FF00" in prompt


def test_template_with_empty_description_still_makes_a_prompt() -> None:
    prompt = template_prompt("   ", {"mood": "eerie"})
    assert prompt.startswith("An evocative image. Style: eerie mood.")


# ----------------------------------------------------------------------------- chat endpoint
def test_chat_prompt_sends_system_and_user_messages_and_returns_the_answer(
    chat: FakeChatServer,
) -> None:
    chat.script = ChatScript(
        answer='  "Teal harbour at dawn, soft film grain."\n', api_key="sk-test-123456"
    )

    prompt = asyncio.run(
        chat_prompt(
            "harbour at dawn",
            ANALYSIS,
            base_url=chat.api_base,
            model="llama3",
            api_key="sk-test-123456",
        )
    )

    assert prompt == "Teal harbour at dawn, soft film grain."
    (request,) = chat.requests_to("chat")
    assert request.headers["authorization"] == "Bearer sk-test-123456"
    body = request.json()
    assert body["model"] == "llama3"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "harbour at dawn" in body["messages"][1]["content"]
    assert "deep teal" in body["messages"][1]["content"]


def test_chat_prompt_without_key_sends_no_auth_header(chat: FakeChatServer) -> None:
    asyncio.run(chat_prompt("x", None, base_url=chat.api_base + "/", model="m", api_key=None))
    (request,) = chat.requests_to("chat")
    assert "authorization" not in request.headers


def test_chat_prompt_500_is_a_sentence(chat: FakeChatServer) -> None:
    chat.script = ChatScript(status=500)
    with pytest.raises(UserError) as info:
        asyncio.run(chat_prompt("x", None, base_url=chat.api_base, model="m", api_key=None))
    host = f"127.0.0.1:{chat.port}"
    assert str(info.value) == (
        f"The prompt service at {host} failed (HTTP 500). Try again later, or turn it off in Settings."
    )


def test_chat_prompt_wrong_key_never_shows_the_key(
    chat: FakeChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat.script = ChatScript(api_key="right-key")
    with pytest.raises(UserError) as info:
        asyncio.run(
            chat_prompt("x", None, base_url=chat.api_base, model="m", api_key="sk-wrong-999")
        )
    assert "refused the API key" in str(info.value)
    assert "sk-wrong-999" not in str(info.value) + caplog.text


def test_chat_prompt_not_a_completion(chat: FakeChatServer) -> None:
    chat.script = ChatScript(body={"hello": "world"})
    with pytest.raises(UserError, match="did not send a chat completion"):
        asyncio.run(chat_prompt("x", None, base_url=chat.api_base, model="m", api_key=None))


def test_chat_prompt_empty_answer(chat: FakeChatServer) -> None:
    chat.script = ChatScript(answer="   ")
    with pytest.raises(UserError, match="empty prompt"):
        asyncio.run(chat_prompt("x", None, base_url=chat.api_base, model="m", api_key=None))


@pytest.mark.timeout(10)
def test_chat_prompt_hang_times_out_quickly(chat: FakeChatServer) -> None:
    chat.script = ChatScript(hang=True)
    started = time.monotonic()
    with pytest.raises(UserError, match="did not answer within 0.3 seconds"):
        asyncio.run(
            chat_prompt("x", None, base_url=chat.api_base, model="m", api_key=None, timeout=0.3)
        )
    assert time.monotonic() - started < 3.0


def test_chat_prompt_unreachable() -> None:
    port = closed_port()
    with pytest.raises(UserError) as info:
        asyncio.run(
            chat_prompt("x", None, base_url=f"http://127.0.0.1:{port}/v1", model="m", api_key=None)
        )
    assert (
        str(info.value)
        == f"The prompt service at 127.0.0.1:{port} could not be reached. Check its address in Settings."
    )


# ----------------------------------------------------------------------------- build_prompt
def test_build_prompt_without_endpoint_is_the_template() -> None:
    prompt, note = asyncio.run(build_prompt("harbour", ANALYSIS, endpoint=None))
    assert prompt == template_prompt("harbour", ANALYSIS)
    assert note is None


def test_build_prompt_uses_the_chat_answer(chat: FakeChatServer) -> None:
    chat.script = ChatScript(answer="A cinematic teal harbour.")
    endpoint = PromptEndpoint(base_url=chat.api_base, model="m", api_key=None, timeout=2.0)
    assert asyncio.run(build_prompt("harbour", ANALYSIS, endpoint=endpoint)) == (
        "A cinematic teal harbour.",
        None,
    )


def test_build_prompt_falls_back_with_a_note_when_unreachable() -> None:
    port = closed_port()
    endpoint = PromptEndpoint(
        base_url=f"http://127.0.0.1:{port}/v1", model="m", api_key="sk-x-123456"
    )

    prompt, note = asyncio.run(build_prompt("harbour", ANALYSIS, endpoint=endpoint))

    assert prompt == template_prompt("harbour", ANALYSIS)
    assert (
        note
        == f"The prompt service at 127.0.0.1:{port} could not be reached, so the built-in template was used."
    )


@pytest.mark.timeout(10)
def test_build_prompt_falls_back_when_the_service_hangs_or_fails(chat: FakeChatServer) -> None:
    endpoint = PromptEndpoint(base_url=chat.api_base, model="m", api_key=None, timeout=0.3)
    chat.script = ChatScript(hang=True)
    prompt, note = asyncio.run(build_prompt("harbour", None, endpoint=endpoint))
    assert prompt == template_prompt("harbour", None)
    assert (
        note is not None
        and "did not answer within 0.3 seconds, so the built-in template was used." in note
    )

    chat.script = ChatScript(status=503)
    prompt, note = asyncio.run(build_prompt("harbour", None, endpoint=endpoint))
    assert note is not None and "failed (HTTP 503), so the built-in template was used." in note


def test_endpoint_repr_hides_the_key() -> None:
    assert "sk-secret-1" not in repr(PromptEndpoint("http://x/v1", "m", "sk-secret-1"))


_OPPOSITE_REFERENCE = {
    "palette": [
        {"name": "brown", "hex": "#7a4a20"},
        {"name": "tan", "hex": "#b09060"},
        {"name": "orange", "hex": "#f08214"},
        {"name": "navy", "hex": "#141e50"},
    ],
    "mood": "warm, bright and saturated, high contrast",
}


@pytest.mark.parametrize(
    "description,forbidden",
    [
        ("Cold cyberpunk neon, teal and magenta", ("warm", "brown", "tan", "orange")),
        ("cool winter morning", ("warm", "brown", "tan", "orange")),
        ("dark and moody", ("bright",)),
        ("muted and faded", ("saturated", "high contrast")),
        ("black and white", ("brown", "tan", "orange", "navy", "warm", "saturated")),
        ("low contrast", ("high contrast",)),
        # What the description refuses is left out of what the reference brings.
        ("portrait without warm tones", ("warm", "brown", "tan", "orange")),
        ("street scene, no orange", ("orange",)),
        ("not saturated, calm", ("saturated",)),
        ("no high contrast please", ("high contrast",)),
        ("night city, not bright", ("bright",)),
    ],
)
def test_the_prompt_never_contradicts_the_description(description: str, forbidden) -> None:
    prompt = template_prompt(description, _OPPOSITE_REFERENCE).lower()
    style = prompt.split("style:", 1)[1] if "style:" in prompt else ""
    for word in forbidden:
        assert word not in style, (word, prompt)
    assert prompt.startswith(description.lower()[:10])


def test_the_reference_fills_in_what_the_words_leave_open() -> None:
    prompt = template_prompt("a quiet harbour", _OPPOSITE_REFERENCE)
    assert "brown" in prompt and "warm" in prompt and "high contrast" in prompt
    assert "navy" in template_prompt("cool harbour", _OPPOSITE_REFERENCE)
    refusing_orange = template_prompt("harbour, no orange", _OPPOSITE_REFERENCE)
    assert "brown" in refusing_orange and "warm" in refusing_orange
