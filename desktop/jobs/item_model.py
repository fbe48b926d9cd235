"""The items of a batch job as the engine passes them around: an ``Item`` (a row of
``job_items``: input, output, status, error; paths decoded, see ``item_names``) and a ``Fence``
(which run may write a job's items). ``desktop.jobs.items`` stores them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desktop.jobs.item_names import from_stored
from desktop.jobs.model import JobRow

PENDING, DONE, FAILED = "pending", "done", "failed"
ITEM_STATUSES = (PENDING, DONE, FAILED)


@dataclass(frozen=True, slots=True)
class Item:
    position: int
    input: str
    output: str | None
    status: str
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "input": self.input, "output": self.output, "status": self.status, "error": self.error}

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Item:
        """An item as ``_COLUMNS`` reads it (paths decoded: see ``item_names``)."""
        position, inp, out, status, error = row
        return cls(int(position), from_stored(inp) or "", from_stored(out), status, error)


@dataclass(frozen=True, slots=True)
class Fence:
    """Which run may write a job's items. The lead's: the row's id, attempt and owner (the
    job must still be running for exactly that run); an assistant's: ``attempt`` None and its
    own pool's owner (the job must be running, for anyone). Items are held by ``owner``."""

    job_id: int
    attempt: int | None
    owner: str | None

    @classmethod
    def of(cls, row: JobRow) -> Fence:
        return cls(row.id, row.attempts, row.owner)

    @classmethod
    def assisting(cls, job_id: int, owner: str) -> Fence:
        return cls(job_id, None, owner)

    @property
    def lead(self) -> bool:
        return self.attempt is not None

    def params(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "attempt": self.attempt, "owner": self.owner}
