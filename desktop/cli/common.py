"""What every subcommand shares: exit codes, the refusal error, opening the library and ids
(what they print is in ``desktop.cli.printing``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from desktop.errors import UserError
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
