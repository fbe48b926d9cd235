"""Many jobs of one type queued in one statement (``JobEngine.enqueue_many``): one round trip
and one transaction for any number of rows, all or none.

The payloads travel as one parameter, a JSON array of their texts (read by ``json_each`` on
SQLite, ``json_array_elements_text`` on PostgreSQL: one string is much cheaper for the driver
to send than an array of 5,000); the rows are inserted in the payloads' order, so their ids
are too.
A pause of the type (or of the whole queue) makes the new rows say "Paused", as ``enqueue``
does. Like every write of the job store it waits for a locked library, reconnects to a server
that went away, and looks whether a statement whose connection died had landed before sending
it again (the rows of that type stamped with that attempt's time and holding those payloads),
so no job is queued twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop.jobs import events
from desktop.jobs.events import JobEvent
from desktop.jobs.sql import Params, Statement, to_pyformat
from desktop.jobs.store import PAUSED_MESSAGE, USER_WAIT

if TYPE_CHECKING:
    from desktop.jobs.store import JobStore

_VALUES = (
    "INSERT INTO jobs (type, status, message, progress, payload, attempts, max_attempts,"
    " cancel_requested, created_at, updated_at, run_after)"
    " SELECT :type, 'queued',"
    f" CASE WHEN EXISTS (SELECT 1 FROM queue_pauses WHERE job_type IN (:type, '*')) THEN '{PAUSED_MESSAGE}' ELSE :message END,"
    " NULL, p.payload, 0, :max_attempts, :false, :now, :now, 0"
)
SQL_INSERT_MANY_SQLITE = (
    _VALUES.replace("p.payload", "p.value") + " FROM json_each(:payloads) AS p ORDER BY p.key RETURNING id"
)
SQL_INSERT_MANY_POSTGRES = to_pyformat(
    _VALUES
    + " FROM json_array_elements_text(CAST(:payloads AS json)) WITH ORDINALITY AS p(payload, n)"
    " ORDER BY p.n RETURNING id"
)
# whether a statement of SQL_INSERT_MANY_POSTGRES whose answer was lost had landed: its rows
SQL_INSERT_MANY_LANDED = to_pyformat(
    "SELECT id FROM jobs WHERE type = :type AND created_at = :now AND max_attempts = :max_attempts"
    " AND payload IN (SELECT json_array_elements_text(CAST(:payloads AS json))) ORDER BY id"
)


def insert_many(store: JobStore, job_type: str, payload_jsons: Sequence[str], max_attempts: int) -> list[int]:
    """Queue one job of ``job_type`` per payload (JSON text, already checked) in one
    statement; returns their ids in the payloads' order. Publishes one ``ENQUEUED`` event
    without a row ("read the rows again"; work pools wake), not one per job."""
    if not payload_jsons:
        return []
    sqlite = store.db.is_sqlite
    texts = [str(p) for p in payload_jsons]
    values: Params = {
        "type": job_type,
        "message": "Waiting to start",
        "payloads": json.dumps(texts),
        "max_attempts": int(max_attempts),
        "false": 0 if sqlite else False,
    }

    def stamped() -> Params:  # each attempt records when it happened
        return {**values, "now": time.time()}

    statement: Any
    if sqlite:
        statement = Statement(SQL_INSERT_MANY_SQLITE, stamped, True, None)
    else:
        statement = Statement(SQL_INSERT_MANY_POSTGRES, stamped, False, SQL_INSERT_MANY_LANDED)
    rows = store.run(statement, write=True, wait=USER_WAIT)[0]
    ids = sorted(int(r[0]) for r in rows)  # ids are given in insertion order, the payloads'
    store.hub.publish(JobEvent(events.ENQUEUED, None, None))
    return ids


__all__ = ["insert_many"]
