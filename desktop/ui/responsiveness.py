"""Keeping the GUI thread responsive while jobs run beside the window.

The window's process only coordinates: the CPU-heavy work of jobs (generation's analysis,
LUT and previews, a batch's decode, grade and encode) runs in worker processes
(``desktop.jobs.processes``), so it never holds the window's interpreter lock. That is what
made the earlier process-wide tuning (a 0.5 ms thread switch interval, a garbage collector
paced on the GUI thread over a frozen heap) unnecessary, and it is gone: ``sys`` and ``gc``
are left as Python sets them. ``benchmarks/bench_ui_stall.py`` measures the result.

What is left, done once when a window opens (``start``):

- the worker processes run as background work (``processes.set_background``: nice 10), so
  the GUI thread, waking for a paint or a timer, gets a core promptly from a busy worker (on a
  2-core machine running a batch, the main loop's p99 gap was 1.2x to 1.5x idle's with nice 5;
  Linux's ``SCHED_IDLE`` did better, 0.95x to 1.05x, but starved the window's jobs whenever any
  other program was busy, so it is not used);
- the modules a job's coordinator imports on first use (``WARM_MODULES``) are imported on a
  worker thread at start-up: imported by the first job instead, they held the interpreter lock
  long enough to stall the window once (~60 ms);
- a little later (``WARM_DELAY_MS``, after the first paint and the library's first page), the
  process pool's workers are started and import what photo work needs (``WORKER_MODULES``), so
  the first style made or applied does not wait for Python processes to start.

``job_cpu_threads`` sizes the work pool's threads (``ctx.run_in_thread``), which still do some
CPU work for the jobs that have not moved to worker processes (exchange, strength changes): one
fewer than the machine has cores, so the window always has a core.
"""

from __future__ import annotations

import importlib
import logging
import os

from PySide6.QtCore import QObject, QTimer

from desktop.ui.async_utils import run_blocking, spawn

log = logging.getLogger(__name__)

WARM_DELAY_MS = 1500

WARM_MODULES = (
    "desktop.generators.prompts",
    "desktop.imaging.apply",  # the batch's coordinator names its worker function
    "desktop.imaging.intake",
    "desktop.imaging.uploads",
)

WORKER_MODULES = (
    "desktop.generators.local",
    "desktop.imaging.apply",
    "desktop.imaging.grade",
    "desktop.imaging.thumbnails",
    "desktop.pipelines.preview.work",  # the apply dialog's and the strength editor's previews
    "desktop.pipelines.generate.work",
)


def _warm_imports() -> None:
    """Blocking (a worker thread, at start-up while nothing else runs)."""
    from desktop.jobs import processes

    processes.set_background(True)
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the job that needs it will say what is wrong
            log.debug("Could not import %s ahead of time", name, exc_info=True)


def _warm_workers() -> None:
    """Blocking (starting processes is a few ms each): start the pool's workers."""
    from desktop.jobs import processes

    processes.warm(WORKER_MODULES)


def job_cpu_threads(cores: int | None = None) -> int:
    """Threads for the in-process pool's CPU work: all cores but one, at least one."""
    cores = cores if cores is not None else (os.cpu_count() or 2)
    return max(1, cores - 1)


class Responsiveness(QObject):
    """Start-up warming for an open window; ``start``/``stop`` follow the window's life."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active = False
        self.warmed_workers = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WARM_DELAY_MS)
        self._timer.timeout.connect(self._start_workers)

    def start(self) -> None:
        if self.active:
            return
        self.active = True
        spawn(run_blocking(_warm_imports), name="warm-imports")
        self._timer.start()

    def _start_workers(self) -> None:
        if self.active:
            spawn(self._warm_workers(), name="warm-workers")

    async def _warm_workers(self) -> None:
        try:
            await run_blocking(_warm_workers)
        except Exception:  # the first job will start them, and say what is wrong
            log.debug("Could not start the worker processes ahead of time", exc_info=True)
            return
        self.warmed_workers = True

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        self._timer.stop()
