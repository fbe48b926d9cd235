"""Logging: a rotating file in the data folder; the console only when asked (``-v``)."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FILE_HANDLER_NAME = "stylestudio-file"


def setup_logging(log_file: Path, *, verbose: bool = False) -> None:
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
    file_handler.set_name(_FILE_HANDLER_NAME)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
    if verbose and not any(h.get_name() == "stylestudio-console" for h in root.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.set_name("stylestudio-console")
        console.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(console)
    # Libraries that talk a lot at INFO stay at WARNING unless asked.
    for noisy in ("httpx", "httpcore", "PIL", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def job_log_lines(log_file: Path, job_id: int, limit: int = 500) -> list[str]:
    """The log lines (tracebacks included) written for one job, oldest first."""
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
