"""A fake OpenAI-compatible chat server on 127.0.0.1 (``POST /v1/chat/completions``).

Scriptable per test through ``ChatScript``: the answer text, an HTTP error status, a body that
is not a chat completion, or a hang (accept and never answer). Requests are recorded so tests
can check the model, the messages and the ``Authorization: Bearer`` header.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes import LoopbackServer, RecordedRequest


@dataclass
class ChatScript:
    answer: str = "A moody teal-and-amber film still, soft grain, gentle vignette."
    api_key: str | None = None  # when set, any other bearer token gets 401
    status: int | None = None  # answer every request with this HTTP status instead
    body: Any = None  # answer with this JSON body (200) instead of a chat completion
    hang: bool = False


class FakeChatServer(LoopbackServer):
    """``with FakeChatServer(ChatScript(answer="...")) as chat: chat.base_url + "/v1"``"""

    def __init__(self, script: ChatScript | None = None) -> None:
        super().__init__()
        self.script = script or ChatScript()

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v1"

    def handle(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        request.route = "chat" if request.path == "/v1/chat/completions" else "unknown"
        self.record(request)
        script = self.script
        if request.route != "chat" or request.method != "POST":
            self.send_json(
                handler, 404, {"error": {"message": "Not found", "type": "invalid_request_error"}}
            )
            return
        if script.hang:
            self.hang(handler)
            return
        if (
            script.api_key is not None
            and request.headers.get("authorization") != f"Bearer {script.api_key}"
        ):
            error = {"message": "Incorrect API key provided.", "type": "invalid_request_error"}
            self.send_json(handler, 401, {"error": error})
            return
        if script.status is not None:
            error = {"message": f"Upstream failure {script.status}", "type": "server_error"}
            self.send_json(handler, script.status, {"error": error})
            return
        if script.body is not None:
            self.send_json(handler, 200, script.body)
            return
        payload = request.json() or {}
        self.send_json(
            handler,
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": payload.get("model", "unknown"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": script.answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )
