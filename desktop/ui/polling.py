"""Waiting for the window to reach a state, by looking again and again (``poll_until``).

Qt-free on purpose: the self-test imports it before it has started Qt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def poll_until(
    check: Callable[[], Any], *, timeout: float, interval: float, failure: Callable[[], BaseException]
) -> Any:
    """Call ``check`` (on the GUI thread: it must be cheap) every ``interval`` seconds until it
    returns something truthy, and return that; after ``timeout`` seconds raise ``failure()``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise failure()
        await asyncio.sleep(interval)
