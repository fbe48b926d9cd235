"""Terminal output that never holds up the work.

A worker prints on its event loop (a job's end is reported by the change hub on the pool's
thread). If nobody reads its stdout, a plain ``print`` blocks there, the lease heartbeat stops
and other processes take its jobs for dead. A ``QueuedWriter`` instead hands each line to a
thread of its own; when the queue is full (the reader never drains) lines are dropped and
counted, never waited for.

The thread writes with ``os.write`` on a duplicate of the stream's file descriptor, so a write
stuck on a full pipe holds no Python lock: the process can still exit.

``quiet_broken_pipe`` is the standard recipe for a reader that went away (``| head -1``):
point stdout (and stderr) at the null device so nothing else fails on the way out.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from typing import TextIO

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 2000  # lines waiting to be written before new ones are dropped


class QueuedWriter:
    def __init__(self, stream: TextIO, *, capacity: int = DEFAULT_CAPACITY, name: str = "output") -> None:
        self.stream = stream
        self.encoding = getattr(stream, "encoding", None) or "utf-8"
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=capacity)
        self._lock = threading.Lock()
        self._accepted = 0  # put in the queue
        self._refused = 0  # the queue was full
        self._written = 0
        self._broken = False  # the reader went away: what is queued is discarded
        self._lost: int | None = None  # set by close()
        try:
            stream.flush()  # whatever was printed before goes first
            self._fd: int | None = os.dup(stream.fileno())
        except (AttributeError, OSError, ValueError):
            self._fd = None  # no real file (a test's StringIO): write to the object itself
        self._thread = threading.Thread(target=self._run, name=f"stylestudio-{name}-writer", daemon=True)
        self._thread.start()

    # --- from any thread, never blocks ---------------------------------------------------------
    def write(self, text: str) -> None:
        with self._lock:
            try:
                self._queue.put_nowait(text)
            except queue.Full:
                self._refused += 1
            else:
                self._accepted += 1

    def line(self, text: str) -> None:
        self.write(text + "\n")

    @property
    def unwritten(self) -> int:
        """Pieces of output not written (yet): dropped, discarded, or still waiting."""
        with self._lock:
            return self._refused + self._accepted - self._written

    # --- the writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            if self._broken:
                continue
            try:
                self._write(text)
            except OSError:  # BrokenPipeError and friends: the reader is gone; keep working
                self._broken = True
            else:
                with self._lock:
                    self._written += 1

    def _write(self, text: str) -> None:
        if self._fd is None:
            self.stream.write(text)
            self.stream.flush()
            return
        view = memoryview(text.encode(self.encoding, errors="replace"))
        while view:
            view = view[os.write(self._fd, view):]

    # --- the end -------------------------------------------------------------------------------
    def close(self, *, patience: float = 2.0) -> int:
        """Let the thread write what is queued while it keeps making progress (giving up after
        ``patience`` seconds without any); returns how many pieces were never written."""
        if self._lost is not None:
            return self._lost
        last = -1
        deadline = time.monotonic() + patience
        sentinel_queued = False
        while True:
            if not sentinel_queued:
                try:
                    self._queue.put_nowait(None)
                    sentinel_queued = True
                except queue.Full:
                    pass
            self._thread.join(0.05)
            if not self._thread.is_alive():
                break
            with self._lock:
                written = self._written
            if written != last:
                last, deadline = written, time.monotonic() + patience
            elif time.monotonic() > deadline:
                break  # the reader does not read: leave the thread stuck in its write
        if not self._thread.is_alive() and self._fd is not None:
            os.close(self._fd)
            self._fd = None
        lost = self.unwritten
        if lost:
            log.warning("%d piece(s) of %s output were not written: nothing was reading them", lost, self._thread.name)
        self._lost = lost
        return lost


def quiet_broken_pipe() -> None:
    """The reader of our output went away: send the rest of it nowhere, without a message."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in ("stdout", "stderr"):
        try:
            os.dup2(devnull, getattr(sys, stream).fileno())
        except (AttributeError, OSError, ValueError):
            pass
    os.close(devnull)
