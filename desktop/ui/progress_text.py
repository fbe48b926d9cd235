"""What the progress dialog says in words: the time line under its bar (``describe_time``:
elapsed, an estimate of the time left past ``ETA_AFTER``, how a failure went) and the job's log
lines for Details as a person reads them (``readable_log``: the time and the sentence, repeats
dropped, no logger names and no tracebacks; those stay in the log file)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from desktop.jobs.model import JobRow, JobStatus
from desktop.jobs.store import PAUSED_MESSAGE
from desktop.ui.jobs_model import format_duration

ETA_AFTER = 0.10


def describe_time(row: JobRow, now: float | None = None) -> str:
    """"Elapsed 0:12 · about 0:30 left" (the estimate once past 10 %)."""
    if row.status == JobStatus.QUEUED:
        return "" if row.message == PAUSED_MESSAGE else "Waiting for a free slot…"
    if row.started_at is None:
        return ""
    now = now or time.time()
    spent = max(0.0, (row.finished_at or now) - row.started_at)
    if row.status == JobStatus.FAILED:
        # attempts are named only when it was tried more than once: "attempt 1 of 3" on a
        # failed job would suggest more tries are coming
        if row.attempts > 1:
            return f"Failed after {row.attempts} attempts (the last ran {format_duration(spent)})"
        return f"Failed after {format_duration(spent)}"
    text = f"Elapsed {format_duration(spent)}"
    p = row.progress
    if row.status == JobStatus.RUNNING and p is not None and ETA_AFTER < p < 1.0:
        left = spent * (1.0 - p) / p
        text += " · almost done" if left < 1.5 else f" · about {format_duration(left)} left"
    return text


_RECORD_TAG = re.compile(r"\[job \d+\]\s*")


def distinct_log_records(lines: list[str]) -> list[str]:
    """The job's log lines with a record dropped when it says the same as the one before it
    (the failure is logged once as a warning and once more as the row ends): the same
    sentence twice reads like two failures. Continuation lines (tracebacks) stay with their
    record."""
    records: list[list[str]] = []
    for line in lines:
        if line[:4].isdigit() or not records:  # a new record starts with its timestamp
            records.append([line])
        else:
            records[-1].append(line)
    kept: list[list[str]] = []
    previous: tuple[str, ...] | None = None
    for record in records:
        head = _RECORD_TAG.split(record[0], maxsplit=1)
        key = (head[-1], *record[1:])
        if key != previous:
            kept.append(record)
        previous = key
    return [line for record in kept for line in record]


_HEAD = re.compile(r"^\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d)[,.]\d+ \w+ [\w.]+: (?:\[job \d+\]\s*)?(.*)$")
_TYPE_FIRST = re.compile(r"^([a-z_]+\.[a-z_.]+) ")
MORE_IN_THE_LOG = "The technical details are in the log file (Help › Open log folder)."


def readable_log(lines: list[str], title: Callable[[str], str]) -> list[str]:
    """A job's log records for Details: "10:00:01  Generate style started (attempt 2 of 3)".
    ``title`` names a job type ("style.generate" -> "Generate style"). A traceback is left out,
    with one line saying where it is."""
    shown: list[str] = []
    technical = False
    for line in distinct_log_records(lines):
        match = _HEAD.match(line)
        if match is None:
            technical = True  # a traceback's line, or another continuation
            continue
        at, text = match.groups()
        text = _TYPE_FIRST.sub(lambda m: title(m.group(1)) + " ", text, count=1)
        shown.append(f"{at}  {text[:1].upper()}{text[1:]}")
    if technical:
        shown.append(MORE_IN_THE_LOG)
    return shown
