"""Logging: a rotating file in the data folder; the console only when asked (``-v``).

Records are buffered in memory and written in batches (every 0.5 s, when 500 are waiting, or
at once for a warning or an error, which is when a traceback matters), so the job pool, which
logs every state change, does not pay for a write per line.

A log that cannot be written (a full disk) never reaches the terminal: the records are dropped,
and one line says how many once the file can be written again. The log files are private to
the user (0600).

No password reaches the log: every record (its message, traceback and stack), whoever logged
it, has the password of any ``scheme://user:password@`` URL and of any libpq
``password=...`` pair replaced by ``***`` (``SecretMaskFilter`` on each of our handlers).
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FILE_HANDLER_NAME = "stylestudio-file"
FLUSH_INTERVAL = 0.5
MASK = "***"

# scheme://user:password@ : the password is everything up to the last '@' of the word (an
# unencoded '@' in a password would otherwise leave its tail); the user has no ':' or '/'.
_URL_PASSWORD = re.compile(r"""([A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:'"]*:)[^\s'"]*@""")
# libpq's keyword form: password=secret or password='sec ret' (a driver may echo a conninfo)
_KEYWORD_PASSWORD = re.compile(r"""(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'"]+)""", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL (``scheme://user:password@``) and of every
    ``password=...`` pair replaced by ***; the rest (user, host, options) is left alone."""
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\1{MASK}@", text)
    if "assword" in text or "ASSWORD" in text:
        text = _KEYWORD_PASSWORD.sub(rf"\1{MASK}", text)
    return text


class SecretMaskFilter(logging.Filter):
    """Masks passwords (``mask_secrets``) in a record before a handler writes it: the message
    is frozen masked, and the traceback and stack are formatted now, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: the handler reports it, masked below
            message = None
        if message is not None:
            record.msg, record.args = mask_secrets(message), None
        elif isinstance(record.msg, str):
            record.msg = mask_secrets(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True


class BatchedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file written in batches.

    The stock handler formats every record twice and seeks, stats and flushes the file once
    per record; the job pool logs every state change, so that cost showed in the engine
    benchmark. Here a record is only queued (its message frozen) when it is logged; a flush
    formats the batch and writes it at once, rolling the file over when it has grown past
    ``maxBytes``. Warnings and errors flush at once: that is when a traceback matters."""

    def __init__(self, filename: Path, *, max_bytes: int, backup_count: int, capacity: int = 500) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True)
        self.capacity = capacity
        self.buffer: list[logging.LogRecord] = []
        self.dropped = 0
        self.drop_reason = ""

    def _open(self):  # type: ignore[no-untyped-def]
        """The log file, created readable by the user only (an older one is made private)."""
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise

    def emit(self, record: logging.LogRecord) -> None:
        if record.args:
            try:
                record.msg = record.getMessage()
                record.args = None
            except Exception:
                pass  # formatted (and reported as unformattable) with the batch
        self.buffer.append(record)
        if record.levelno >= logging.WARNING or len(self.buffer) >= self.capacity:
            self._write_batch()

    def flush(self) -> None:
        with self.lock:
            self._write_batch()

    def _write_batch(self) -> None:
        records, self.buffer = self.buffer, []
        if not records:
            return
        text = "".join(self._format(r) + "\n" for r in records)
        if self.dropped:
            note = logging.LogRecord(
                "desktop.logs", logging.WARNING, __file__, 0,
                f"{self.dropped} log record(s) were dropped because the log file could not be written "
                f"({self.drop_reason})", None, None,
            )
            text = self._format(note) + "\n" + text
        try:
            if self.stream is None:
                self.stream = self._open()
            if self.maxBytes and self.stream.tell() + len(text) >= self.maxBytes and self.stream.tell():
                self.doRollover()
                if self.stream is None:
                    self.stream = self._open()
            self.stream.write(text)
            self.stream.flush()
        except Exception as exc:
            self._drop(records, exc)
            return
        self.dropped = 0

    def _drop(self, records: list[logging.LogRecord], exc: Exception) -> None:
        """The file cannot be written (a full disk, a folder gone): drop the batch quietly. The
        stream is closed so that the next batch starts from a clean file handle."""
        self.dropped += len(records)
        self.drop_reason = (getattr(exc, "strerror", None) or exc.__class__.__name__).lower()
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:
                pass

    def _format(self, record: logging.LogRecord) -> str:
        try:
            return self.format(record)
        except Exception as exc:  # a log call whose arguments do not fit its message
            return f"{record.levelname} {record.name}: unformattable log record {record.msg!r} ({exc!r})"

    def handleError(self, record: logging.LogRecord) -> None:
        """Never the stock '--- Logging error ---' traceback on the terminal: a record that
        cannot be written is counted and dropped."""
        exc = sys.exc_info()[1]
        self._drop([record], exc if isinstance(exc, Exception) else RuntimeError("unknown error"))

    def close(self) -> None:
        self.flush()
        super().close()


_buffer: BatchedRotatingFileHandler | None = None
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
    try:
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass  # nothing can be logged (a full disk): the handler drops records quietly
    buffered = BatchedRotatingFileHandler(log_file, max_bytes=2_000_000, backup_count=5)
    buffered.setFormatter(logging.Formatter(FORMAT))
    buffered.addFilter(SecretMaskFilter())
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
        console.addFilter(SecretMaskFilter())
        root.addHandler(console)
    # Libraries that talk a lot at INFO stay at WARNING unless asked.
    for noisy in ("httpx", "httpcore", "PIL", "alembic"):
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
