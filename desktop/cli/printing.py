"""What the command line prints: JSON that is safe on a terminal, a queued job's id or row, and
the jobs table."""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any

from desktop.jobs.model import JobStatus
from desktop.text import printable

# Any character but printable ASCII and the newlines of the indentation: looked at one by one.
_NOT_PLAIN = re.compile(r"[^\n\x20-\x7e]")


def _escape_unprintable(match: re.Match[str]) -> str:
    ch = match.group()
    return ch if ch.isprintable() else json.dumps(ch)[1:-1]  # \u escapes (a surrogate pair above U+FFFF)


def json_text(doc: Any) -> str:
    r"""``doc`` as indented JSON that is safe on a terminal: letters of every script stay as
    they are (not ``\u00e9``), but a character that is not printable (ESC, BEL, the C1 range,
    DEL, a right-to-left override, a line separator, a byte of a name that was not UTF-8) is
    written as its ``\u`` escape. json.dumps escapes only what JSON requires (below U+0020);
    these appear only inside strings, so the text stays JSON with the very same values."""
    return _NOT_PLAIN.sub(_escape_unprintable, json.dumps(doc, indent=2, ensure_ascii=False))


def print_json(doc: Any) -> None:
    print(json_text(doc))


def print_queued(rt: Any, job_id: int, as_json: bool) -> None:
    """What ``--enqueue`` (and ``jobs enqueue``) print: the new job's row as JSON, or its id."""
    if as_json:
        print_json(rt.engine.require(job_id).to_json())
    else:
        print(job_id)


def age(ts: float | None) -> str:
    if ts is None:
        return ""
    seconds = max(0, int(time.time() - ts))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def terminal_width() -> int | None:
    """The terminal's width in columns when stdout is one (its lines are cut to fit), else None
    (a pipe or a file gets whole lines)."""
    if not sys.stdout.isatty():
        return None
    return max(40, shutil.get_terminal_size().columns)


def job_table(rows: Sequence[Any], width: int | None = None) -> str:
    """Jobs as a table; every text of a row (its message or error may quote a file name) is
    shown with control characters escaped; with ``width``, each line is cut to it ("…" last)."""
    header = f"{'ID':>5}  {'TYPE':<18} {'STATUS':<10} {'PROGRESS':>8}  {'AGE':>7}  MESSAGE"
    lines = [header]
    for r in rows:
        prog = "" if r.progress is None else f"{r.progress * 100:.0f}%"
        text = r.error if r.status == JobStatus.FAILED and r.error else r.message
        kind, status = printable(r.type), printable(r.status)
        lines.append(f"{r.id:>5}  {kind:<18.18} {status:<10} {prog:>8}  {age(r.created_at):>7}  {printable(text or '')}")
    if width is not None:
        lines = [line if len(line) <= width else line[: width - 1] + "…" for line in lines]
    return "\n".join(lines)
