"""The Qt side of the job engine's change hub.

The engine calls watchers on whatever thread made the change (the pool's thread, a worker
thread, the change watcher's thread). ``JobBridge`` turns those calls into signals of a
QObject that lives on the GUI thread, so Qt queues them across threads. Changes made by other
processes ("external": something changed, read the rows again) are coalesced: at most one is
waiting in the GUI queue at any time.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from desktop.jobs import events
from desktop.jobs.engine import JobEngine
from desktop.jobs.events import JobEvent


class JobBridge(QObject):
    rowChanged = Signal(object)  # JobRow: a change made in this process, row included
    rowRemoved = Signal(int)  # job id: dismissed in this process
    rowsStale = Signal()  # rows changed elsewhere (another process, a purge): read them again

    _staleQueued = Signal()

    def __init__(self, engine: JobEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._stale_pending = False
        self._staleQueued.connect(self._flush_stale, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = engine.watch(self._on_event)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- any thread -----------------------------------------------------------------------
    def _on_event(self, event: JobEvent) -> None:
        try:
            if event.kind == events.REMOVED and event.job_id is not None:
                self.rowRemoved.emit(event.job_id)
            elif event.row is not None:
                self.rowChanged.emit(event.row)
            else:
                self._queue_stale()
        except RuntimeError:  # the QObject is gone (window closed); nothing to tell
            pass

    def _queue_stale(self) -> None:
        with self._lock:
            if self._stale_pending:
                return
            self._stale_pending = True
        self._staleQueued.emit()

    # --- GUI thread -----------------------------------------------------------------------
    def _flush_stale(self) -> None:
        with self._lock:
            self._stale_pending = False
        self.rowsStale.emit()
