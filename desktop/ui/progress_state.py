"""``DialogState``: where a progress dialog is with its job."""

from __future__ import annotations

from enum import StrEnum


class DialogState(StrEnum):
    """Where the dialog is with its job: the one thing its buttons and closing depend on."""

    FOLLOWING = "following"  # the row is queued or running
    CANCELING = "canceling"  # a cancel was asked (here or elsewhere); the row has not ended yet
    FAILED = "failed"  # shows the error, Retry, Details and Close
    SUCCEEDED = "succeeded"  # closing (after the minimum visible time); a batch with photos that
    # failed stays open, showing them, with Open folder and Retry failed
    CANCELED = "canceled"  # closing
    BACKGROUND = "background"  # closed by Run in background; the job goes on
    REMOVED = "removed"  # the row was dismissed elsewhere: closed
    CLOSED = "closed"  # closed by the person (a failed job) or by the window shutting down

    @property
    def following(self) -> bool:
        return self in (DialogState.FOLLOWING, DialogState.CANCELING)

    @property
    def gone(self) -> bool:
        """Closed for good: no row change is shown any more."""
        return self in (DialogState.BACKGROUND, DialogState.REMOVED, DialogState.CLOSED)
