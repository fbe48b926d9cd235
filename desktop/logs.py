"""Logging: a rotating file in the data folder; the console only when asked (``-v``).

Records are buffered in memory and written in batches (every 0.5 s, when 500 are waiting, or
at once for a warning or an error, which is when a traceback matters), so the job pool, which
logs every state change, does not pay for a write and a thread switch per line.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import sys
import threading
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FILE_HANDLER_NAME = "stylestudio-file"
FLUSH_INTERVAL = 0.5

_buffer: logging.handlers.MemoryHandler | None = None
_flusher_stop = threading.Event()


def _flush_periodically() -> None:
    while not _flusher_stop.wait(FLUSH_INTERVAL):
        handler = _buffer
        if handler is not None and handler.buffer:
            handler.flush()


def setup_logging(log_file: Path, *, verbose: bool = False) -> None:
    global _buffer
    # Documented switches that make each record cheaper; our format uses none of these fields.
    logging.logMultiprocessing = False
    logging.logProcesses = False
    logging.logThreads = False
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if handler.get_name() == _FILE_HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    buffered = logging.handlers.MemoryHandler(
        capacity=500, flushLevel=logging.WARNING, target=file_handler, flushOnClose=True
    )
    buffered.set_name(_FILE_HANDLER_NAME)
    root.addHandler(buffered)
    first = _buffer is None
    _buffer = buffered
    if first:
        threading.Thread(target=_flush_periodically, name="stylestudio-log", daemon=True).start()
    if verbose and not any(h.get_name() == "stylestudio-console" for h in root.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.set_name("stylestudio-console")
        console.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(console)
    # Libraries that talk a lot at INFO stay at WARNING unless asked.
    for noisy in ("httpx", "httpcore", "PIL", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def flush_logs() -> None:
    """Write every buffered record to the file now (before reading the log)."""
    if _buffer is not None:
        _buffer.flush()


@atexit.register
def _close_on_exit() -> None:
    _flusher_stop.set()
    flush_logs()


def job_log_lines(log_file: Path, job_id: int, limit: int = 500) -> list[str]:
    """The log lines (tracebacks included) written for one job, oldest first."""
    flush_logs()
    tag = f"[job {job_id}]"
    lines: list[str] = []
    files = sorted(log_file.parent.glob(log_file.name + ".*"), reverse=True) + [log_file]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        keep = False
        for line in text.splitlines():
            if line[:4].isdigit():  # a new record starts with its timestamp
                keep = tag in line
            if keep:
                lines.append(line)
    return lines[-limit:]
