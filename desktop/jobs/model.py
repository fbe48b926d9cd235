"""The job row as the engine and every front door see it, and its state machine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """A job row's ``status``. Members are strings, so ``row.status == "failed"`` still holds
    and the values go into SQL and JSON unchanged."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class Ending:
    """How one attempt of a job ends: what ``JobStore.finish`` writes into its row."""

    status: JobStatus
    message: str
    progress: float | None = None
    result_json: str | None = None
    error: str | None = None


# Short names for the members (``from desktop.jobs.model import FAILED``).
QUEUED = JobStatus.QUEUED
RUNNING = JobStatus.RUNNING
SUCCEEDED = JobStatus.SUCCEEDED
FAILED = JobStatus.FAILED
CANCELED = JobStatus.CANCELED

ACTIVE: frozenset[JobStatus] = frozenset({QUEUED, RUNNING})
FINISHED: frozenset[JobStatus] = frozenset({SUCCEEDED, FAILED, CANCELED})
_STATUS_OF: dict[str, JobStatus] = {s.value: s for s in JobStatus}

INTERRUPTED_ERROR = "Interrupted: Style Studio closed while this job was running."

# Column order of every SELECT / RETURNING in the store; JobRow.from_db relies on it.
COLUMNS = (
    "id",
    "type",
    "status",
    "message",
    "progress",
    "payload",
    "result",
    "error",
    "attempts",
    "max_attempts",
    "cancel_requested",
    "created_at",
    "started_at",
    "updated_at",
    "finished_at",
    "run_after",
    "owner",
    "lease_until",
)
COLUMN_LIST = ", ".join(COLUMNS)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass(slots=True, frozen=True)
class JobRow:
    id: int
    type: str
    status: JobStatus
    message: str
    progress: float | None
    payload: str
    result: str | None
    error: str | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    created_at: float
    started_at: float | None
    updated_at: float
    finished_at: float | None
    run_after: float
    owner: str | None
    lease_until: float | None

    @classmethod
    def from_db(cls, row: tuple[Any, ...]) -> JobRow:
        # (a status this version does not know, written by a newer one, stays a plain string)
        status = _STATUS_OF.get(row[2], row[2])
        return cls(row[0], row[1], status, *row[3:10], bool(row[10]), *row[11:])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    def payload_dict(self) -> dict[str, Any]:
        return json.loads(self.payload) if self.payload else {}

    def result_dict(self) -> dict[str, Any] | None:
        return json.loads(self.result) if self.result else None

    def to_json(self) -> dict[str, Any]:
        """The document `--json` prints: row fields, JSON decoded, timestamps in ISO 8601."""
        return {
            "id": self.id,
            "type": self.type,
            "status": str(self.status),
            "message": self.message,
            "progress": self.progress,
            "payload": self.payload_dict(),
            "result": self.result_dict(),
            "error": self.error,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "cancel_requested": self.cancel_requested,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "updated_at": iso(self.updated_at),
            "finished_at": iso(self.finished_at),
            "run_after": iso(self.run_after) if self.run_after else None,
        }
