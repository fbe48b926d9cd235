"""``stylestudio styles delete | restore | duplicate``: a delete that says how to undo it, the
undo, and a copy of a style with its own files."""

from __future__ import annotations

import argparse
import time
from typing import Any

from desktop.cli.common import EXIT_OK
from desktop.text import printable


def until_text(when: float, now: float | None = None) -> str:
    """'15 December' (with the year when it is not this year's), in local time."""
    local = time.localtime(when)
    text = f"{local.tm_mday} {time.strftime('%B', local)}"
    if local.tm_year != time.localtime(time.time() if now is None else now).tm_year:
        text += f" {local.tm_year}"
    return text


def delete(rt: Any, lib: Any, args: argparse.Namespace) -> int:
    """Delete a style so it can be restored (``--now``: its files go at once, no undo)."""
    from desktop.library.trash import delete_style, keep_days

    if args.now:
        style_id = lib.find_id(args.style, deleted=None)  # a deleted style may go for good too
        name = lib.get(style_id, deleted=None).name
        lib.delete(style_id)
        print(f"Deleted style {style_id} '{printable(name)}' and its files for good.")
        return EXIT_OK
    style_id = lib.find_id(args.style)
    gone = delete_style(rt.db, style_id, days=keep_days(rt.settings.retention_days))
    print(
        f"Deleted style {style_id} '{printable(gone.name)}'. Restore it with: stylestudio styles restore {style_id}"
        f" (until {until_text(gone.until)})"
    )
    return EXIT_OK


def restore(rt: Any, lib: Any, args: argparse.Namespace) -> int:
    from desktop.library.trash import restore_style

    style_id = lib.find_id(args.style, deleted=True)
    name = restore_style(rt.db, style_id)
    print(f"Restored style {style_id} '{printable(name)}'.")
    return EXIT_OK


def duplicate(rt: Any, lib: Any, args: argparse.Namespace) -> int:
    from desktop.library.duplicating import duplicate_style

    style_id = lib.find_id(args.style)
    new_id, name = duplicate_style(lib, style_id, args.name)
    if args.json:
        from desktop.cli.printing import print_json

        print_json(lib.require(new_id).to_json())
    else:
        print(f"Duplicated style {style_id} as style {new_id} '{printable(name)}'.")
    return EXIT_OK
