"""While a window is open, garbage is collected on the GUI thread only.

Python collects reference cycles on whichever thread happens to allocate when a generation's
threshold is crossed. A cycle that holds a Qt object (a widget, a model, a timer of a closed
dialog) must not be freed on another thread: Qt deletes its objects on the thread that owns
them, or the process crashes. That crash was seen: a library read on a worker thread started a
collection that freed the widgets of a window being closed ("Fatal Python error: Segmentation
fault ... Garbage-collecting"). So while a window is open, automatic collection is off and a
timer on the GUI thread collects each generation whose threshold is crossed, as the interpreter
itself would (the same counts and thresholds, ``gc.get_threshold()`` left as it is). When the
last window has closed, one full collection runs on the GUI thread (after the window's deferred
deletions) and automatic collection comes back.
"""

from __future__ import annotations

import gc
import logging

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer

log = logging.getLogger(__name__)

INTERVAL_MS = 200  # how often the GUI thread looks at the collector's counts


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.windows = 0
        self.resumed_automatic = True
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)

    def window_opened(self) -> None:
        self.windows += 1
        if self.windows == 1:
            self.resumed_automatic = False
            gc.disable()
            self._timer.start()

    def window_closed(self) -> None:
        self.windows = max(0, self.windows - 1)
        if self.windows == 0:
            # after the window's deleteLater() has run (posted events come before this timer)
            QTimer.singleShot(0, self._resume)

    def collect_due(self) -> int | None:
        """Collect the oldest generation whose count crossed its threshold (None: none did)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = None
        for gen in range(3):
            if thresholds[gen] and counts[gen] > thresholds[gen]:
                generation = gen
            else:
                break
        if generation is not None:
            gc.collect(generation)
        return generation

    def _resume(self) -> None:
        if self.windows or self.resumed_automatic:
            return  # a new window opened meanwhile
        self._timer.stop()
        gc.collect()
        gc.enable()
        self.resumed_automatic = True


_collector: GuiThreadCollector | None = None


def collector() -> GuiThreadCollector:
    """The process's collector, owned by the application (made on first use, GUI thread)."""
    global _collector
    if _collector is None or not shiboken6.isValid(_collector):
        _collector = GuiThreadCollector(QCoreApplication.instance())
    return _collector


def window_opened() -> None:
    collector().window_opened()


def window_closed() -> None:
    collector().window_closed()
