"""The jobs list: active and recent job rows, newest first, kept live from the engine.

Rows arrive three ways: this process's changes (the bridge's ``rowChanged``, row included),
dismissals (``rowRemoved``), and "read again" notices when another process changed something
(``rowsStale``), which re-read the rows on a worker thread. The row is the truth: a reload
wins over the model unless the model saw a newer version of that row meanwhile.

A reload also reads the shared queue's pauses and the order its waiting jobs start in, so the
panel says "Queue paused" and where a waiting job is in line; a running job's row names the
machine that runs it (the host part of its owner).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop.jobs import registry
from desktop.jobs.engine import JobEngine
from desktop.jobs.model import FINISHED, JobRow
from desktop.jobs.queue import ALL, Pause, host_of
from desktop.ui.async_utils import Coalesced, run_blocking
from desktop.ui.bridge import JobBridge
from desktop.ui.job_kinds import done_with_problems, job_subject
from desktop.ui.keyed_list_model import KeyedListModel

JobRole = Qt.ItemDataRole.UserRole + 1
JobIdRole = Qt.ItemDataRole.UserRole + 2
JobHostRole = Qt.ItemDataRole.UserRole + 3  # the machine running the job (None unless running)
JobQueueRole = Qt.ItemDataRole.UserRole + 4  # a waiting job: "Paused", "Next", "3rd in line"

RECENT_LIMIT = 100
RELOAD_INTERVAL = 0.25  # seconds between re-reads while other processes keep changing rows

STATUS_WORDS = {
    "queued": "Waiting",
    "running": "Running",
    "succeeded": "Done",
    "failed": "Failed",
    "canceled": "Canceled",
}


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def elapsed(row: JobRow, now: float | None = None) -> float | None:
    if row.started_at is None or row.status == "queued":  # (a retry waiting keeps its old start)
        return None
    end = row.finished_at if row.finished_at is not None else (now or time.time())
    return max(0.0, end - row.started_at)


def job_heading(row: JobRow) -> tuple[str, str]:
    """The row's first line as (what the job is about, what kind of job it is); a job with no
    subject is told apart by its number."""
    title = registry.title(row.type)
    subject = job_subject(row)
    return (subject, title) if subject else (title, f"#{row.id}")


def job_summary(row: JobRow) -> str:
    """One line for lists, notes and screen readers: "Warm film grain · Done"."""
    subject = job_subject(row) or f"{registry.title(row.type)} #{row.id}"
    status = STATUS_WORDS.get(row.status, row.status)
    if (row.status == "running" and row.message) or done_with_problems(row):
        return f"{subject} · {row.message}"  # running, or a batch done with some photos failed
    return f"{subject} · {status}"


def load_rows(engine: JobEngine) -> list[JobRow]:
    """Active jobs (all of them) and the most recent finished ones. Blocking."""
    rows = {r.id: r for r in engine.list(include_finished=True, limit=RECENT_LIMIT)}
    for r in engine.list(include_finished=False, limit=1000):
        rows[r.id] = r
    return sorted(rows.values(), key=lambda r: r.id, reverse=True)


def load_all(engine: JobEngine) -> tuple[list[JobRow], dict[str, Pause], list[int]]:
    """The rows, the queue's pauses and the order its waiting jobs start in. Blocking."""
    return load_rows(engine), engine.paused(), engine.queue_order()


def job_host(row: JobRow) -> str | None:
    """The machine running the job (the host part of its owner); None unless it runs."""
    return host_of(row.owner) if row.status == "running" else None


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class JobsModel(KeyedListModel[JobRow]):
    jobEnded = Signal(object)  # JobRow: a job this model saw active has ended
    # the one source of a job's state for every view of the window (the progress dialogs too)
    jobChanged = Signal(object)  # JobRow: the model now holds this version of the row
    jobRemoved = Signal(int)  # job id: the row is gone (dismissed, purged)
    loaded = Signal()  # a reload from the rows was applied
    queueChanged = Signal()  # the queue's pauses (``pauses``) changed

    def __init__(self, engine: JobEngine, bridge: JobBridge, parent: Any = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._seq = 0  # counts applied events, so a reload knows what it may overwrite
        self._touched: dict[int, int] = {}
        self._removed: dict[int, int] = {}
        self._reloads = Coalesced(self._reload_once, name="jobs-reload", interval=RELOAD_INTERVAL)
        self.pauses: dict[str, Pause] = {}  # the queue's pauses as last read (type or '*')
        self._order: dict[int, int] = {}  # waiting job id -> its place in the last read order
        bridge.rowChanged.connect(self.apply_row)
        bridge.rowRemoved.connect(self.apply_removed)
        bridge.rowsStale.connect(self.reload)

    # --- KeyedListModel ---------------------------------------------------------------------
    def key(self, item: JobRow) -> int:
        return item.id

    def sort_key(self, item: JobRow) -> int:
        return item.id

    # --- Qt -------------------------------------------------------------------------------
    def role_values(self) -> dict[int, Callable[[JobRow], Any]]:
        return {
            Qt.ItemDataRole.DisplayRole: job_summary,
            Qt.ItemDataRole.ToolTipRole: self._tooltip,
            Qt.ItemDataRole.AccessibleTextRole: self._spoken,
            JobRole: lambda row: row,
            JobIdRole: lambda row: row.id,
            JobHostRole: job_host,
            JobQueueRole: self.queue_place,
        }

    def _tooltip(self, row: JobRow) -> str:
        detail = row.error or row.message or STATUS_WORDS.get(row.status, row.status)
        host = job_host(row)
        where = f" (on {host})" if host else ""
        return f"{registry.title(row.type)} #{row.id}: {detail}{where}"

    def _spoken(self, row: JobRow) -> str:
        """What a screen reader says of the row."""
        status = STATUS_WORDS.get(row.status, row.status)
        subject = job_subject(row)
        about = f"{subject}, " if subject else ""
        host = job_host(row)
        where = f" on {host}" if host else ""
        place = self.queue_place(row)
        line = f", {place}" if place else ""
        return f"{about}{registry.title(row.type)}, job {row.id}, {status}{where}{line}"

    # --- the shared queue -----------------------------------------------------------------
    @property
    def all_paused(self) -> bool:
        return ALL in self.pauses

    def is_paused(self, job_type: str) -> bool:
        return ALL in self.pauses or job_type in self.pauses

    def queue_place(self, row: JobRow) -> str | None:
        """Where a waiting job is: "Paused", "Next", "2nd in line" (from the order last read,
        among the jobs still waiting; one queued since goes after them). None unless queued."""
        if row.status != "queued":
            return None
        if self.is_paused(row.type):
            return "Paused"
        waiting = [r for r in self._items if r.status == "queued" and not self.is_paused(r.type)]
        last = len(self._order)
        waiting.sort(key=lambda r: (self._order.get(r.id, last), r.id))
        place = next((n for n, r in enumerate(waiting, 1) if r.id == row.id), None)
        if place is None:
            return None
        return "Next" if place == 1 else f"{ordinal(place)} in line"

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # --- live updates ---------------------------------------------------------------------
    def apply_row(self, row: JobRow) -> None:
        self._seq += 1
        self._touched[row.id] = self._seq
        self._removed.pop(row.id, None)
        self._merge(row)

    def apply_removed(self, job_id: int) -> None:
        self._seq += 1
        self._removed[job_id] = self._seq
        self._touched.pop(job_id, None)
        self.remove_key(job_id)
        self.jobRemoved.emit(job_id)

    def _merge(self, row: JobRow) -> None:
        old = self.find(row.id)
        if old is not None and row.updated_at < old.updated_at:
            return  # an older version arriving late
        self.upsert(row)
        self.jobChanged.emit(row)
        # a row of this process's that ended (also one first seen already ended: a fast job)
        if row.status in FINISHED and (old is None or not old.is_finished):
            self.jobEnded.emit(row)

    def reload(self) -> None:
        """Read the rows again (coalesced: one read at a time, one more if asked meanwhile, at
        most a few a second)."""
        self._reloads.request()

    async def _reload_once(self) -> bool:
        started = self._seq
        rows, pauses, order = await run_blocking(load_all, self.engine)
        self._order = {job_id: n for n, job_id in enumerate(order)}
        if pauses != self.pauses:
            self.pauses = pauses
            self.queueChanged.emit()
        self._apply_loaded(rows, started)
        self.loaded.emit()
        return False

    def _apply_loaded(self, rows: list[JobRow], started: int) -> None:
        merged: dict[int, JobRow] = {}
        for r in rows:
            if self._removed.get(r.id, 0) > started:
                continue  # dismissed while we were reading
            mine = self.find(r.id)
            merged[r.id] = mine if mine is not None and mine.updated_at > r.updated_at else r
        for mine in self.items():
            if mine.id not in merged and self._touched.get(mine.id, 0) > started:
                merged[mine.id] = mine  # arrived while we were reading
        ended = [
            r
            for r in merged.values()
            if r.status in FINISHED and (old := self.find(r.id)) is not None and not old.is_finished
        ]
        before = {r.id: r for r in self.items()}
        self.replace_all(sorted(merged.values(), key=lambda r: r.id, reverse=True))
        for r in merged.values():
            old = before.get(r.id)
            if old is None or old.updated_at != r.updated_at or old.status != r.status:
                self.jobChanged.emit(r)
        for job_id in before.keys() - merged.keys():
            self.jobRemoved.emit(job_id)
        for r in ended:
            self.jobEnded.emit(r)
        self._touched.clear()
        self._removed.clear()

    # --- helpers --------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """A re-read of the rows is under way."""
        return self._reloads.running

    def active_count(self) -> int:
        return sum(1 for r in self._items if not r.is_finished)

    def finished_ids(self) -> list[int]:
        return [r.id for r in self._items if r.is_finished]

    def touch_active(self) -> None:
        """Repaint rows whose elapsed time is ticking."""
        for row, r in enumerate(self._items):
            if r.status == "running":
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DisplayRole])
