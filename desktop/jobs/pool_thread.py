"""A work pool on a thread of its own, with its own event loop: the window's pool (the GUI
thread only paints), and the tests' pools."""

from __future__ import annotations

import asyncio
import logging
import threading

from desktop.jobs.pool import WorkPool
from desktop.jobs.queue import POOL_THREAD_NAME

log = logging.getLogger(__name__)


class PoolThread:
    """A work pool on its own thread and event loop, for the window: the GUI thread only paints."""

    def __init__(self, pool: WorkPool, *, grace: float = 3.0) -> None:
        self.pool = pool
        self.grace = grace
        self._thread = threading.Thread(target=self._main, name=POOL_THREAD_NAME, daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            # A plain asyncio loop of its own, whatever loop policy the GUI thread installed
            # (qasync.run sets a global policy on Python < 3.12 that would make this a Qt loop).
            with asyncio.Runner(loop_factory=asyncio.DefaultEventLoopPolicy().new_event_loop) as runner:
                runner.run(self.pool.run(grace=self.grace))
        except BaseException as exc:  # noqa: BLE001
            self.error = exc
            log.exception("The work pool stopped with an error")

    def stop(self, timeout: float | None = None, *, hand_back: bool = False) -> bool:
        """Stop taking jobs, let running ones finish within the grace period, cancel the rest
        (``hand_back``: give them back to the queue at once instead, see ``WorkPool.request_stop``).
        Returns True when the pool ended in time."""
        self.pool.request_stop(hand_back=hand_back)
        self._thread.join(timeout if timeout is not None else self.grace + 5.0)
        return not self._thread.is_alive()
