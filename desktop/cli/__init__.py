"""The command line: the window by default, subcommands for headless work.

Every subcommand goes through the same engine API as the window. Bad input (a bad option
included) ends with one sentence on stderr and exit code 2; a job that ran and failed or was
canceled ends with its error and exit 1; a reader that went away (``| head``) ends the command
quietly with exit 141, as for any Unix tool. Ctrl+C, SIGTERM and SIGHUP all stop a command the
same way. Tracebacks go to the log file, never to the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from desktop.cli.common import EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from desktop.cli.parser import build_parser
from desktop.cli.signals import stop_signals_interrupt
from desktop.errors import UserError

log = logging.getLogger("desktop.cli")

__all__ = ["main", "build_parser", "CliError", "COMMANDS", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_BROKEN_PIPE"]


def cmd_self_test(args: argparse.Namespace) -> int:
    from desktop.selftest import run_self_test

    return run_self_test(verbose=args.verbose)


def cmd_window(args: argparse.Namespace) -> int:
    from desktop.cli.display import check_display

    check_display()  # before Qt: its own message without a display is misleading
    from desktop.app import main as app_main

    return app_main(home=args.home, verbose=args.verbose)


# Each command's module is imported only when that command runs (the start-up stays short).
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "jobs": ("desktop.cli.jobs", "cmd_jobs"),
    "worker": ("desktop.cli.worker", "cmd_worker"),
    "queue": ("desktop.cli.queue", "cmd_queue"),
    "workers": ("desktop.cli.workers", "cmd_workers"),
    "generate": ("desktop.cli.generate", "cmd_generate"),
    "apply": ("desktop.cli.apply", "cmd_apply"),
    "export": ("desktop.cli.exchange", "cmd_export"),
    "import": ("desktop.cli.exchange", "cmd_import"),
    "styles": ("desktop.cli.styles", "cmd_styles"),
}


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs the command ``name`` (its module imported now)."""
    if name == "self-test":
        return cmd_self_test
    module, function = COMMAND_MODULES[name]
    return getattr(importlib.import_module(module), function)


COMMANDS = (*COMMAND_MODULES, "self-test")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        except SystemExit as exc:  # argparse: --help, --version, or a bad option (exit 2)
            code = exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_FAILED)
        finally:
            _stop_worker_processes()
        sys.stdout.flush()  # a reader that went away shows up here at the latest
        sys.stderr.flush()
        return code
    except BrokenPipeError:
        from desktop.cli.output import quiet_broken_pipe

        quiet_broken_pipe()
        return EXIT_BROKEN_PIPE


def _stop_worker_processes() -> None:
    """The command is over: its worker processes (if it started any) end now; the command does
    not wait for idle workers to wind down."""
    processes = sys.modules.get("desktop.jobs.processes")
    if processes is not None:
        processes.stop_now()


def _main(argv: Sequence[str] | None) -> int:
    # Until the log file is set up, nothing may reach the terminal by accident.
    logging.getLogger().addHandler(logging.NullHandler())
    args = build_parser().parse_args(argv)
    try:
        if args.home is not None and not args.home.strip():
            raise CliError("--home is empty; give the data folder to use, or leave --home out to use the default one.")
        if args.command is None:
            return cmd_window(args)
        stop_signals_interrupt()
        return command(args.command)(args)
    except BrokenPipeError:
        raise
    except UserError as exc:
        from desktop.cli.common import error_sentence

        print(error_sentence(exc, args), file=sys.stderr)  # never a password or a control character
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return EXIT_FAILED
    except Exception:
        _log_to_file_if_possible(args)
        log.exception("The command failed")
        print("Something went wrong inside Style Studio; the details are in the log file (stylestudio -v shows them here).", file=sys.stderr)
        return EXIT_FAILED


def _log_to_file_if_possible(args: argparse.Namespace) -> None:
    from desktop.config import resolve_paths
    from desktop.logs import setup_logging

    root = logging.getLogger()
    if any(h.get_name() == "stylestudio-file" for h in root.handlers):
        return
    try:
        setup_logging(resolve_paths(args.home).log_file, verbose=args.verbose)
    except OSError:
        pass
