"""``stylestudio styles``: list, show and delete styles."""

from __future__ import annotations

import argparse
import time

from desktop.cli.common import (
    EXIT_OK,
    CliError,
    check_style_id,
    library_exists,
    open_library,
    print_json,
)


def cmd_styles(args: argparse.Namespace) -> int:
    action = args.styles_command
    if action != "list":
        check_style_id(args.id)
    if not library_exists(args):
        if action == "list":
            print_json([]) if args.json else print("No styles yet.")
            return EXIT_OK
        raise CliError(f"There is no style {args.id}; 'stylestudio styles list' shows the styles there are.")
    from desktop.library import Library

    rt = open_library(args, read_only=action in ("list", "show"), watch_external=False)
    try:
        lib = Library(rt.db, rt.paths)
        if action == "list":
            styles = lib.list(args.search)
            if args.json:
                print_json([s.to_json() for s in styles])
            elif not styles:
                print("No styles yet." if not args.search else "No style matches.")
            else:
                print(f"{'ID':>5}  {'CREATED':<16}  {'GENERATOR':<9}  NAME")
                for s in styles:
                    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at))
                    print(f"{s.id:>5}  {created:<16}  {s.generator:<9}  {s.name}")
            return EXIT_OK
        if action == "show":
            info = lib.require(args.id)
            if args.json:
                print_json(info.to_json())
            else:
                doc = info.to_json()
                for key in ("id", "name", "description", "generator", "created_at", "prompt", "folder", "reference", "cube"):
                    print(f"{key + ':':<13}{doc[key]}")
                for i, (p, t) in enumerate(zip(doc["previews"], doc["thumbnails"], strict=True), 1):
                    print(f"{'preview ' + str(i) + ':':<13}{p}")
                    print(f"{'thumbnail:':<13}{t}")
            return EXIT_OK
        lib.delete(args.id)
        print(f"Deleted style {args.id}.")
        return EXIT_OK
    finally:
        rt.close()
