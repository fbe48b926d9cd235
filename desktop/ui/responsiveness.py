"""Keeping the GUI thread responsive while jobs run in the same process.

The window shares one Python process, and so one GIL, with the work pool's job threads. Two
process-wide settings decide how long the GUI thread can be kept waiting for it, and both are
set while a window is open and restored when it closes (tests open many windows in a process).

**Thread switching.** A thread that wants the GIL waits for the holder to let go, which a
thread running Python does every ``sys.getswitchinterval()`` (5 ms by default). The GUI thread
comes back to Python for every paint, model call and timer, so under busy job threads each
frame paid several of those 5 ms waits; 0.5 ms keeps them short. Job threads spend most of
their time in Pillow's C code, which releases the GIL, so they lose next to nothing.

**Cores.** The jobs' CPU work (``ctx.run_in_thread``: decoding, grading, encoding) gets one
thread fewer than the machine has cores (``job_cpu_threads``), so the window always has a core:
on a 2-core machine, two local style jobs at full tilt otherwise left the GUI thread waiting
for a CPU *and* the GIL (p99 heartbeat gap 35-50 ms while scrolling; 17-21 ms with a core kept).
Jobs still run ``max_parallel`` at a time; only their CPU steps queue for the threads.

**Garbage collection.** Left alone, Python's cyclic garbage collector runs in whichever thread
happens to allocate when a threshold is crossed, and holds the GIL throughout. In the open window a full collection walks every object
of the app (Qt wrappers, SQLAlchemy, Pillow, ~100,000 objects): 50-150 ms on a busy 2-core
machine, during which the window cannot paint, even when a job thread set it off. It may also
finalize a Qt wrapper on a worker thread. ``benchmarks/bench_ui_stall.py`` measures this.

So, while a window is open:

- the switch interval is ``SWITCH_INTERVAL``;
- what is alive once the library is open (modules, classes, the window itself) is frozen
  (``gc.freeze``): collections never walk it again. The modules a style job imports on first
  use (``WARM_MODULES``) are imported on a worker thread at start-up and frozen too: imported
  by the first job instead, they held the GIL long enough to stall the window once (~60 ms);
- automatic collection is off, and a GUI-thread timer applies CPython's generational thresholds, so young garbage goes as promptly as before, and only ever on the GUI thread;
- ``stop()`` puts the switch interval and automatic collection back, and unfreezes.

Reference counting, which frees nearly everything, is untouched: this is only about cycles.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
import time

from PySide6.QtCore import QObject, QTimer

from desktop.ui.async_utils import run_blocking, spawn

log = logging.getLogger(__name__)

TICK_MS = 50
SLOW_MS = 20.0
SWITCH_INTERVAL = 0.0005  # seconds


WARM_MODULES = (
    "desktop.generators.local",
    "desktop.generators.prompts",
    "desktop.imaging.intake",
    "desktop.imaging.lut",
    "desktop.imaging.thumbnails",
    "desktop.imaging.uploads",
)


def _warm_imports() -> None:
    """Blocking (a worker thread, at start-up while nothing else runs)."""
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the job that needs it will say what is wrong
            log.debug("Could not import %s ahead of time", name, exc_info=True)


def job_cpu_threads(cores: int | None = None) -> int:
    """Threads for the in-process pool's CPU work: all cores but one, at least one."""
    cores = cores if cores is not None else (os.cpu_count() or 2)
    return max(1, cores - 1)


class Responsiveness(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._switch_interval = sys.getswitchinterval()
        self.active = False
        self.collections = [0, 0, 0]
        self.longest_ms = 0.0

    def start(self) -> None:
        if self.active:
            return
        self.active = True
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))
        gc.collect()
        gc.freeze()
        gc.disable()
        self._timer.start()
        spawn(self._warm_up(), name="warm-imports")

    async def _warm_up(self) -> None:
        await run_blocking(_warm_imports)
        if self.active:
            self._collect(2)
            gc.freeze()

    def tick(self) -> None:
        counts = gc.get_count()
        if counts[0] <= self._thresholds[0]:
            return
        # like CPython: the oldest generation that is due, with the young ones
        for generation in (2, 1, 0):
            if generation == 0 or counts[generation] > self._thresholds[generation]:
                self._collect(generation)
                return

    def _collect(self, generation: int) -> None:
        began = time.perf_counter()
        gc.collect(generation)
        spent = (time.perf_counter() - began) * 1000
        self.collections[generation] += 1
        self.longest_ms = max(self.longest_ms, spent)
        if spent > SLOW_MS:
            log.debug("Garbage collection of generation %d took %.0f ms", generation, spent)

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        self._timer.stop()
        sys.setswitchinterval(self._switch_interval)
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()
