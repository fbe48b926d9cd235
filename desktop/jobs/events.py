"""Change watching inside one process: a hub that every store write publishes to.

Subscribers are called synchronously on the thread that made the change and must be quick
(queue the work elsewhere: the Qt bridge emits a queued signal, the pool sets an event).
Changes from other processes arrive as events with ``row=None`` and ``external=True``
(see ``desktop.jobs.watcher``): "something changed, read the rows again".

``LIBRARY_STATE`` events (``row=None``, ``job_id=None``) tell front doors that the library's
database server went away ("Reconnecting to the library…", ``connected`` False) and that it is
back ("Connected to the library again", ``connected`` True); ``message`` is the sentence to show.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from desktop.jobs.model import JobRow

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    """What a ``JobEvent`` reports."""

    ENQUEUED = "enqueued"  # a new row, or one queued again by retry
    UPDATED = "updated"  # progress / message
    STATUS = "status"  # a status change (claimed, finished, requeued, canceled...)
    CANCEL_REQUESTED = "cancel_requested"
    REMOVED = "removed"  # a row deleted (dismissed; ``job_id`` None: purged rows)
    EXTERNAL = "external"  # another process committed something: read the rows again
    LIBRARY_STATE = "library_state"  # the database server went away / is back (``message``)


# Short names for the members (``events.STATUS``).
ENQUEUED = EventKind.ENQUEUED
UPDATED = EventKind.UPDATED
STATUS = EventKind.STATUS
CANCEL_REQUESTED = EventKind.CANCEL_REQUESTED
REMOVED = EventKind.REMOVED
EXTERNAL = EventKind.EXTERNAL
LIBRARY_STATE = EventKind.LIBRARY_STATE

RECONNECTING_MESSAGE = "Reconnecting to the library\u2026"
RECONNECTED_MESSAGE = "Connected to the library again"


@dataclass(slots=True, frozen=True)
class JobEvent:
    kind: EventKind
    job_id: int | None
    row: JobRow | None = None
    message: str | None = None  # LIBRARY_STATE: the sentence for a person

    @property
    def external(self) -> bool:
        return self.kind == EXTERNAL

    @property
    def connected(self) -> bool:
        """LIBRARY_STATE: True when the library is reachable again."""
        return self.kind == LIBRARY_STATE and self.message == RECONNECTED_MESSAGE


def library_state(connected: bool) -> JobEvent:
    """The event saying the library's server went away (False) or is back (True)."""
    return JobEvent(LIBRARY_STATE, None, None, RECONNECTED_MESSAGE if connected else RECONNECTING_MESSAGE)


Subscriber = Callable[[JobEvent], None]


class ChangeHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def publish(self, event: JobEvent) -> None:
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("A job change subscriber failed")
