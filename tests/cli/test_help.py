"""--help puts the everyday commands first, gives every positional argument a line of help, and
ends each command's help with examples (issue 21 §6)."""

from __future__ import annotations

import argparse

from desktop.cli.parser import build_parser
from tests.helpers import cli


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its tree here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            found.update(action.choices)
    return found


def test_the_everyday_commands_come_first():
    names = list(_subparsers(build_parser()))
    assert names[:5] == ["generate", "apply", "export", "import", "styles"]
    listed = [line.split()[0] for line in cli("--help").stdout.splitlines() if line.startswith("    ") and line[4] != " "]
    assert listed[:6] == ["generate", "apply", "export", "import", "styles", "jobs"], listed


def test_every_positional_has_help_and_every_command_ends_with_examples():
    top = _subparsers(build_parser())
    for name, parser in top.items():
        if name != "self-test":
            assert parser.epilog and parser.epilog.startswith("examples:\n  stylestudio "), name
        stack = [(name, parser)]
        while stack:
            where, current = stack.pop()
            for action in current._actions:  # noqa: SLF001
                if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                    stack.extend((f"{where} {sub}", p) for sub, p in action.choices.items())
                elif not action.option_strings:
                    assert action.help, f"'{where} {action.metavar or action.dest}' has no help"
    assert "examples:\n  stylestudio apply" in cli("apply", "--help").stdout
