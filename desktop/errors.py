"""Errors that carry a sentence for a person.

Every layer raises these when it knows what went wrong; the job engine writes `str(error)` into
the job row's ``error`` and the command line prints it. Anything else that escapes a handler is
a bug: the engine logs its traceback and shows a generic sentence instead.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (bad input, wrong key, ...). Never retried.

    ``str(err)`` is one sentence that says what is wrong and what to do.
    """


class RetryableError(UserError):
    """A passing failure (timeout, 429, 5xx, connection refused): the engine retries with backoff.

    ``retry_after`` (seconds) is honoured when the remote service asked for it.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobCanceled(Exception):
    """Raised inside a handler (by ``ctx.check()``/``ctx.progress()``) once a cancel was requested."""


class LeaseLost(JobCanceled):
    """The job's row is no longer this attempt's (its lease ran out and another worker took it,
    or it was recovered): the handler must stop without committing anything, and the pool
    leaves the row alone."""


class LibraryClosed(UserError):
    """The library (its job store) has been closed: nothing more is read or written through
    it. Raised to callers that arrive after ``close()``; operations already running finish
    first."""

    def __init__(self, message: str = "The library was closed while this was being done; open it again and retry.") -> None:
        super().__init__(message)


class LibraryBusy(RetryableError):
    """Another program held the library's write lock longer than this operation waits."""

    def __init__(
        self,
        message: str = (
            "The library is busy: another program (a long transaction or a backup tool) has held it"
            " for over a minute. Try again when it is done."
        ),
    ) -> None:
        super().__init__(message)


class JobEnded(Exception):
    """Raised by a handler that ends its job with a message and result of its own (a batch that
    was canceled or partly failed keeps its counts and output folder in the row): the pool
    writes exactly this end, fenced like every other."""

    def __init__(
        self, status: str, *, message: str, error: str | None = None, result: dict | None = None
    ) -> None:
        super().__init__(error or message)
        self.status = status
        self.message = message
        self.error = error
        self.result = result
