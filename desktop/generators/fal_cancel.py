"""How a fal request is awaited so that a canceled job never leaves it running on fal.

A job is stopped in two ways, and either may come at any await of the client: the person's
cancel (``check_canceled()`` raises ``JobCanceled``, ``sleep`` wakes with it) and, when the
handler has not stopped within the pool's grace period (or the worker shuts down), the task
itself being interrupted (``asyncio.CancelledError``). Three steps must not be cut short by
either:

* the **submit** (``POST``): fal may already have queued the request, and only its answer
  names the request (its id and cancel address). It is run as a task of its own and awaited
  to its end (``finish_despite_cancel``), within its usual timeout, so the request can then be
  canceled;
* the **cancel** (``PUT …/cancel``) itself, the same way, within ``CANCEL_TIMEOUT``;
* nothing else needs that: a status poll or the result fetch is only a read, so it is dropped
  as soon as a cancel is asked (``watched`` looks every ``CANCEL_LOOK`` seconds) and the
  cancel is sent at once, long before the pool would interrupt the task.

``never_sent(exc)`` tells a transport failure that happened before the request left (no
connection, a write that failed) from one after it was written (no answer in time, a
connection closed while waiting): only the first is known not to have reached fal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

T = TypeVar("T")

CANCEL_LOOK = 0.1  # seconds between looks at a cancel request while a read is on its way

_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` (an httpx transport failure) came before the request was written."""
    return isinstance(exc, _NEVER_SENT)


async def finish_despite_cancel(task: asyncio.Future[T]) -> bool:
    """Wait for ``task`` to end even if the calling task is interrupted meanwhile (any number
    of times). Returns whether it was; the caller re-raises ``CancelledError`` once it has done
    what must be done. ``task`` is never canceled here (only a loop that is closing does)."""
    interrupted = False
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            interrupted = True
    return interrupted


async def watched(request: Awaitable[T], check_canceled: Callable[[], None]) -> T:
    """Await a read (``request``), dropping it as soon as ``check_canceled()`` raises."""
    task = asyncio.ensure_future(request)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=CANCEL_LOOK)
            if done:
                return task.result()
            check_canceled()
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
