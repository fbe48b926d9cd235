"""The frozen app's entry point (PyInstaller runs this; ``stylestudio`` from pip runs
``desktop.cli:main`` directly, which is the same thing).

One executable serves both the window and the command line (``stylestudio --version``,
``stylestudio self-test``, ``stylestudio jobs ...``). On Windows the bundle is built windowed so
that opening it from the Start menu shows no console window; a windowed program has no
standard streams of its own, so when it is started from a terminal with arguments it attaches
to that terminal's console here, before anything is printed. When its output is redirected
(a pipe, a file, CI) Windows hands it those handles and nothing needs doing.
"""

from __future__ import annotations

import sys


def _attach_parent_console() -> None:
    if sys.platform != "win32" or not getattr(sys, "frozen", False) or len(sys.argv) < 2:
        return
    if sys.stdout is not None and sys.stderr is not None:
        return  # redirected, or a console build
    import ctypes

    ATTACH_PARENT_PROCESS = -1
    if not ctypes.windll.kernel32.AttachConsole(ATTACH_PARENT_PROCESS):
        return  # started from Explorer with arguments: nowhere to print, stay quiet
    if sys.stdout is None:
        sys.stdout = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open("CONOUT$", "w", encoding="utf-8", errors="replace", buffering=1)  # noqa: SIM115
    print(file=sys.stdout)  # the prompt came back already: start on a fresh line


def main() -> int:
    # Alembic imports the migration scripts from files inside the bundle: never write their
    # bytecode there (a read-only /opt, and a signed macOS .app whose signature it would break).
    sys.dont_write_bytecode = True
    _attach_parent_console()
    import multiprocessing

    multiprocessing.freeze_support()
    from desktop.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
