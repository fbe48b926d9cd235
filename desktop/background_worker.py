"""*Finish in the background*: a ``stylestudio worker --exit-when-idle`` started detached from
the closing window, so the work the window gave back to the queue goes on headless until the
queue is empty, then the worker exits. The window shows the outcome when it is opened again
(the rows are the truth)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def worker_command(home: str | os.PathLike[str]) -> list[str]:
    """The command line of a headless worker for the library in ``home`` (the frozen app is its
    own command line; a source or pip install runs the package)."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "desktop.cli"]
    return [*program, "--home", str(home), "worker", "--exit-when-idle"]


STARTED: list[subprocess.Popen[bytes]] = []  # kept, so no "still running" warning is given for them


def start_background_worker(home: str | os.PathLike[str]) -> subprocess.Popen[bytes] | None:
    """Start the worker detached (it outlives this process; its lines go to the log file);
    returns its process, or None when it could not be started (said in the log: the work
    stays queued for the next start or any worker)."""
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        options["start_new_session"] = True  # not stopped with the terminal or session of the window
    try:
        proc = subprocess.Popen(  # noqa: S603 - our own program, no shell
            worker_command(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=str(Path(home)),
            close_fds=True,
            **options,  # type: ignore[arg-type]
        )
    except OSError:
        log.warning("Could not start a worker to finish the work in the background; it stays queued", exc_info=True)
        return None
    STARTED.append(proc)
    log.info("A worker (process %d) finishes the queued work in the background", proc.pid)
    return proc
