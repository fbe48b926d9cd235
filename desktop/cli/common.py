"""What every subcommand shares: exit codes, the refusal error, opening the library, ids and
printing."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from desktop.errors import UserError
from desktop.jobs.model import JobStatus
from desktop.text import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program whose reader went away (128 + SIGPIPE)
MAX_ID = 2**63 - 1  # the largest id a database row can have


class CliError(UserError):
    """Input refused before anything ran (exit 2)."""


def open_library(args: argparse.Namespace, *, read_only: bool = False, **kwargs: Any):
    """Open the runtime; ``read_only`` commands (list, show) ask it not to write anything.

    A PostgreSQL server that cannot be reached is waited for (up to a minute, or
    ``STYLESTUDIO_DATABASE_WAIT_SECONDS``) with "Reconnecting to the library…" on stderr, then
    one sentence naming its host and port (``desktop.db.server``)."""
    from desktop.db.server import database_wait
    from desktop.jobs.events import RECONNECTED_MESSAGE, RECONNECTING_MESSAGE
    from desktop.runtime import open_runtime

    def say(text: str) -> Callable[[], None]:
        return lambda: print(text, file=sys.stderr, flush=True)

    kwargs.setdefault("server_wait", database_wait())
    kwargs.setdefault("on_waiting", say(RECONNECTING_MESSAGE))
    kwargs.setdefault("on_back", say(RECONNECTED_MESSAGE))
    return open_runtime(args.home, verbose=args.verbose, read_only=read_only, **kwargs)


def error_sentence(exc: BaseException, args: argparse.Namespace) -> str:
    """What a refusal prints: its sentence, with no password and no control character; a
    database server lost in the middle of a command is named by its host and port."""
    from desktop.jobs.connections import LibraryUnreachable
    from desktop.logs import mask_secrets

    text = str(exc)
    if isinstance(exc, LibraryUnreachable):
        text = _server_sentence(args) or text
    return printable(mask_secrets(text))


def _server_sentence(args: argparse.Namespace) -> str | None:
    from desktop.config import resolve_paths
    from desktop.db.engine import parse_database_url
    from desktop.db.server import unreachable_sentence

    try:
        url = parse_database_url(resolve_paths(args.home).database_url())
    except Exception:  # noqa: BLE001 - the engine's own sentence is still true
        return None
    return None if url.get_backend_name() == "sqlite" else unreachable_sentence(url)


def library_exists(args: argparse.Namespace) -> bool:
    """For read-only commands: a library that was never created is not created by looking."""
    from desktop.config import resolve_paths

    paths = resolve_paths(args.home)
    if paths.database_url() != f"sqlite:///{paths.db_file}":
        return True  # another database (PostgreSQL): it exists or opening it says so
    return paths.db_file.exists()


def check_job_id(job_id: int) -> None:
    if not 1 <= job_id <= MAX_ID:
        raise CliError(f"There is no job {job_id}; 'stylestudio jobs list --all' shows the jobs there are.")


def check_style_id(style_id: int) -> None:
    if not 1 <= style_id <= MAX_ID:
        raise CliError(f"There is no style {style_id}; 'stylestudio styles list' shows the styles there are.")


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


def job_table(rows: Sequence[Any]) -> str:
    """Jobs as a table; every text of a row (its message or error may quote a file name) is
    shown with control characters escaped."""
    header = f"{'ID':>5}  {'TYPE':<18} {'STATUS':<10} {'PROGRESS':>8}  {'AGE':>7}  MESSAGE"
    lines = [header]
    for r in rows:
        prog = "" if r.progress is None else f"{r.progress * 100:.0f}%"
        text = r.error if r.status == JobStatus.FAILED and r.error else r.message
        kind, status = printable(r.type), printable(r.status)
        lines.append(f"{r.id:>5}  {kind:<18.18} {status:<10} {prog:>8}  {age(r.created_at):>7}  {printable(text or '')}")
    return "\n".join(lines)
