"""The command line: the window by default, subcommands for headless work.

Every subcommand goes through the same engine API as the window. Bad input (a bad option
included) ends with one sentence on stderr and exit code 2; a job that ran and failed or was
canceled ends with its error and exit 1; a reader that went away (``| head``) ends the command
quietly with exit 141, as for any Unix tool. Ctrl+C, SIGTERM and SIGHUP all stop a command the
same way. Tracebacks go to the log file, never to the terminal.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from desktop.cli.common import EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from desktop.cli.parser import build_parser
from desktop.cli.signals import stop_signals_interrupt
from desktop.errors import UserError

log = logging.getLogger("desktop.cli")

__all__ = ["main", "build_parser", "CliError", "COMMANDS", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_BROKEN_PIPE"]


def cmd_jobs(args: argparse.Namespace) -> int:
    from desktop.cli.jobs import cmd_jobs as run

    return run(args)


def cmd_worker(args: argparse.Namespace) -> int:
    from desktop.cli.worker import cmd_worker as run

    return run(args)


def cmd_queue(args: argparse.Namespace) -> int:
    from desktop.cli.queue import cmd_queue as run

    return run(args)


def cmd_workers(args: argparse.Namespace) -> int:
    from desktop.cli.workers import cmd_workers as run

    return run(args)


def cmd_generate(args: argparse.Namespace) -> int:
    from desktop.cli.generate import cmd_generate as run

    return run(args)


def cmd_apply(args: argparse.Namespace) -> int:
    from desktop.cli.apply import cmd_apply as run

    return run(args)


def cmd_export(args: argparse.Namespace) -> int:
    from desktop.cli.exchange import cmd_export as run

    return run(args)


def cmd_import(args: argparse.Namespace) -> int:
    from desktop.cli.exchange import cmd_import as run

    return run(args)


def cmd_styles(args: argparse.Namespace) -> int:
    from desktop.cli.styles import cmd_styles as run

    return run(args)


def cmd_self_test(args: argparse.Namespace) -> int:
    from desktop.selftest import run_self_test

    return run_self_test(verbose=args.verbose)


def cmd_window(args: argparse.Namespace) -> int:
    from desktop.cli.display import check_display

    check_display()  # before Qt: its own message without a display is misleading
    from desktop.app import main as app_main

    return app_main(home=args.home, verbose=args.verbose)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "jobs": cmd_jobs,
    "worker": cmd_worker,
    "queue": cmd_queue,
    "workers": cmd_workers,
    "generate": cmd_generate,
    "apply": cmd_apply,
    "export": cmd_export,
    "import": cmd_import,
    "styles": cmd_styles,
    "self-test": cmd_self_test,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        except SystemExit as exc:  # argparse: --help, --version, or a bad option (exit 2)
            code = exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_FAILED)
        sys.stdout.flush()  # a reader that went away shows up here at the latest
        sys.stderr.flush()
        return code
    except BrokenPipeError:
        from desktop.cli.output import quiet_broken_pipe

        quiet_broken_pipe()
        return EXIT_BROKEN_PIPE


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
        return COMMANDS[args.command](args)
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
