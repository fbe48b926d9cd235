"""Running ``FalClient.run`` against a fake fal server the way a job handler would, for the
client-level tests (test_fal.py, test_fal_cancel.py, test_fal_secrets.py)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

from desktop.errors import JobCanceled, UserError
from desktop.generators.fal import FalClient, FalModels
from tests.fakes.fal_server import FakeFalServer

KEY = "k3y-id-4f2a:s3cret-9b7c1d"  # fal keys look like "<id>:<secret>"
PROMPT_ARGS = {"prompt": "a teal harbour at dawn", "num_images": 1}


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
