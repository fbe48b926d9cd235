"""What a handler gets: its payload, cheap progress reports, cancellation, and a way to run
blocking work off the event loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.errors import JobCanceled, LeaseLost, LibraryBusy, LibraryClosed
from desktop.jobs.model import JobRow

if TYPE_CHECKING:
    from desktop.jobs.store import JobStore

T = TypeVar("T")

# At most one row write per this many seconds per job (about 5 a second).
PROGRESS_INTERVAL = 0.2


class JobLogAdapter(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"[job {self.extra['job_id']}] {msg}", kwargs


class JobContext:
    """Handed to a handler as ``ctx``. ``progress`` may be called thousands of times a second:
    only the latest value is kept and the row is written at most every 0.2 s; each write is
    also where a cancel request reaches the handler."""

    def __init__(
        self,
        row: JobRow,
        payload: dict[str, Any],
        store: JobStore,
        loop: asyncio.AbstractEventLoop,
        executor: Executor,
        services: dict[str, Any] | None = None,
    ) -> None:
        self.row = row
        self.id = row.id
        self.payload = payload
        self.attempt = row.attempts
        self.services = services if services is not None else {}
        self.log = JobLogAdapter(logging.getLogger("desktop.jobs.run"), {"job_id": row.id})
        self._store = store
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._executor = executor
        self._progress: float | None = None
        self._message = row.message
        self._last_write = time.monotonic()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._cancel_event = asyncio.Event()
        self.cancel_requested = row.cancel_requested
        self.lost = False  # the row is no longer this attempt's
        self.row_writes = 0

    # --- progress ------------------------------------------------------------------------------
    @property
    def latest_progress(self) -> float | None:
        """The progress reported last (None: indeterminate, or none yet)."""
        return self._progress

    def progress(self, fraction: float | None = None, message: str | None = None) -> None:
        """Report progress (0..1, or None for "indeterminate") and what is happening now."""
        self.check()
        if threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._set, fraction, message)
            return
        self._set(fraction, message)

    def _set(self, fraction: float | None, message: str | None) -> None:
        self._progress = fraction
        if message is not None:
            self._message = message
        if time.monotonic() - self._last_write >= PROGRESS_INTERVAL:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_at(
                self._loop.time() + PROGRESS_INTERVAL, self._deferred_flush
            )

    def _deferred_flush(self) -> None:
        self._flush_handle = None
        self.flush()

    def flush(self) -> None:
        """Write the latest progress to the row now."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._last_write = time.monotonic()
        if self.lost:
            return
        try:
            row = self._store.write_progress(self.row, self._progress, self._message)
        except LibraryBusy:
            return  # another program holds the library: the next write tries again
        except LibraryClosed:
            self.request_cancel()  # the library is being closed under us: stop
            return
        self.row_writes += 1
        if row is None:
            self.lose_lease()
        elif row.cancel_requested:
            self.request_cancel()

    @property
    def message(self) -> str:
        return self._message

    # --- cancellation --------------------------------------------------------------------------
    def request_cancel(self) -> None:
        """Called by the pool (any thread-safe path goes through the loop)."""
        self.cancel_requested = True
        self._cancel_event.set()

    def lose_lease(self) -> None:
        """The row is no longer this attempt's: stop the handler (``LeaseLost``) and commit
        nothing."""
        self.lost = True
        self.request_cancel()

    def check(self) -> None:
        """Raise JobCanceled if the user asked to cancel this job (``LeaseLost`` when the row
        is no longer this attempt's)."""
        if self.lost:
            raise LeaseLost()
        if self.cancel_requested:
            raise JobCanceled()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake at once (raising JobCanceled) when a cancel arrives."""
        self.check()
        if seconds <= 0:
            return
        try:
            await asyncio.wait_for(self._cancel_event.wait(), seconds)
        except TimeoutError:
            return
        self.check()
        raise JobCanceled()

    # --- blocking work -------------------------------------------------------------------------
    async def run_in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU or file work on the pool's threads; raises JobCanceled after it if canceled."""
        self.check()
        result = await self._loop.run_in_executor(
            self._executor, functools.partial(fn, *args, **kwargs)
        )
        self.check()
        return result

    # --- fencing -----------------------------------------------------------------------------
    def verify_owned(self, session: Any) -> None:
        """Call inside the write transaction that commits a job's effects (a SQLAlchemy
        ``Session`` whose transaction holds the write lock): raises ``LeaseLost`` unless the
        row is still this attempt's, so a worker that lost its lease never commits."""
        from sqlalchemy import text

        # on PostgreSQL a plain SELECT takes no lock: a recovery committing between this check
        # and our commit would go unseen, so the row is held (FOR SHARE) until we commit
        lock = " FOR SHARE" if session.get_bind().dialect.name == "postgresql" else ""
        still = session.execute(
            text(
                "SELECT 1 FROM jobs WHERE id = :id AND attempts = :attempt AND owner = :owner"
                " AND status = 'running'" + lock
            ),
            {"id": self.row.id, "attempt": self.row.attempts, "owner": self.row.owner},
        ).first()
        if still is None:
            self.lost = True
            raise LeaseLost()

    def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
