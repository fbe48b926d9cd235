"""``stylestudio styles``: list, show and rename styles, and change a style's strength (delete,
restore and duplicate: ``desktop.cli.style_trash``)."""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

from desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    library_exists,
    open_library,
)
from desktop.cli.printing import print_json, print_queued
from desktop.text import printable


def cmd_styles(args: argparse.Namespace) -> int:
    action = args.styles_command
    if action == "strength":
        return _strength(args, parse_percent(args.percent))
    if action == "list":
        from desktop.cli.listing import quick_styles

        quick = quick_styles(args)  # a plain listing of a SQLite library, without SQLAlchemy
        if quick is not None:
            return _print_list(quick, args, None)
    if not library_exists(args):
        if action == "list":
            print_json([]) if args.json else print("No styles yet.")
            return EXIT_OK
        raise CliError(_no_such_style(args.style))
    from desktop.library.reading import Library

    rt = open_library(args, read_only=action in ("list", "show"), watch_external=False)
    try:
        lib = Library(rt.db, rt.paths)
        if action == "list":
            return _list(rt, lib, args)
        if action in ("restore", "delete", "duplicate"):
            from desktop.cli.style_trash import delete, duplicate, restore

            return {"restore": restore, "delete": delete, "duplicate": duplicate}[action](rt, lib, args)
        style_id = lib.find_id(args.style)  # refused (exit 2) when there is none, or several
        if action == "show":
            info = lib.require(style_id)
            if args.json:
                print_json(info.to_json())
            else:
                doc = info.to_json()
                # every stored text and path escaped: a name or a file name may hold a terminal escape
                for key in ("id", "name", "description", "generator", "created_at", "prompt", "folder", "reference", "cube"):
                    print(f"{key + ':':<13}{printable(doc[key])}")
                print(f"{'strength:':<13}{info.strength:.0f} %")
                for i, (p, t) in enumerate(zip(doc["previews"], doc["thumbnails"], strict=True), 1):
                    print(f"{'preview ' + str(i) + ':':<13}{printable(p)}")
                    print(f"{'thumbnail:':<13}{printable(t)}")
            return EXIT_OK
        if action == "rename":
            from desktop.library.writing import rename_style

            name = rename_style(rt.db, style_id, args.name)
            print(f"Renamed style {style_id} to '{printable(name)}'.")
        return EXIT_OK
    finally:
        rt.close()


def _list(rt: Any, lib: Any, args: argparse.Namespace) -> int:
    """``styles list``: the styles in the library, or with ``--deleted`` the deleted ones and
    until when each can be restored."""
    return _print_list(lib.list(args.search, deleted=bool(getattr(args, "deleted", False))), args, rt)


def _print_list(styles: Any, args: argparse.Namespace, rt: Any) -> int:
    """Print the styles ``styles list`` found (``rt``: the open library, for ``--deleted``)."""
    deleted = bool(getattr(args, "deleted", False))
    if args.json:
        print_json([s.to_json() for s in styles])
    elif not styles:
        if deleted:
            print("No deleted styles." if not args.search else "No deleted style matches.")
        else:
            print("No styles yet." if not args.search else "No style matches.")
    elif deleted:
        from desktop.library.trash import DAY, keep_days

        days = keep_days(rt.settings.retention_days)
        print(f"{'ID':>5}  {'DELETED':<16}  {'RESTORABLE UNTIL':<16}  NAME")
        for s in styles:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.deleted_at))
            until = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.deleted_at + days * DAY))
            print(f"{s.id:>5}  {when:<16}  {until:<16}  {printable(s.name)}")
    else:
        print(f"{'ID':>5}  {'CREATED':<16}  {'GENERATOR':<9}  NAME")
        for s in styles:
            created = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at))
            print(f"{s.id:>5}  {created:<16}  {printable(s.generator):<9}  {printable(s.name)}")
    return EXIT_OK


# --- strength ---------------------------------------------------------------------------------------


def parse_percent(text: str) -> int:
    """``PERCENT`` as a whole number from 0 to 100 (``60`` or ``60%``); a CliError otherwise."""
    quoted = f"'{text[:40]}{'…' if len(text) > 40 else ''}'"
    body = text.strip().removesuffix("%").strip()
    try:
        value = float(body)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise CliError(f"The strength must be a number from 0 to 100 (per cent), like 60; {quoted} is not.")
    if value != int(value):
        raise CliError(f"The strength must be a whole number of per cent, like 60; {quoted} is not.")
    return int(value)


def _strength(args: argparse.Namespace, strength: int) -> int:
    """Queue a ``style.strength`` job and print it; with ``--wait`` follow it to the end (it runs
    here unless a window or worker takes it first): exit 0 when saved, 1 when it failed or was
    canceled. Refused (exit 2, no job) when there is no such style or it cannot be adjusted."""
    if not library_exists(args):
        raise CliError(_no_such_style(args.style))
    from desktop.library.reading import Library
    from desktop.pipelines.strength.request import enqueue_strength

    rt = open_library(args)
    try:
        style_id = Library(rt.db, rt.paths).find_id(args.style)
        levels = {"grain": _whole(args.grain), "grain_size": args.grain_size, "vignette": _whole(args.vignette)}
        job_id = enqueue_strength(rt, style_id, strength, **levels)
        if not args.wait:
            print_queued(rt, job_id, args.json)
            return EXIT_OK
        if not args.json:
            print_queued(rt, job_id, False)  # the id at once: 'jobs cancel ID' works meanwhile
            sys.stdout.flush()
        return _follow(rt, job_id, args.json)
    finally:
        rt.close()


def _follow(rt: Any, job_id: int, as_json: bool) -> int:
    from desktop.cli.foreground import cancel_quietly, run_here
    from desktop.jobs.model import JobStatus

    try:
        row = run_here(rt, job_id)
    except KeyboardInterrupt:  # a stop signal before the job's loop was listening
        cancel_quietly(rt.engine, job_id)
        row = rt.engine.wait_for_job(job_id, timeout=10)
    if as_json:
        print_json(row.to_json())
    if row.status == JobStatus.SUCCEEDED:
        payload = row.payload_dict()
        name = payload.get("name") or f"Style {payload['style']}"
        if not as_json:
            print(f"“{printable(name)}” now grades at {payload['strength']} %.")
        return EXIT_OK
    if row.status == JobStatus.CANCELED:
        text = "Canceled; the style keeps its strength."
    else:
        text = row.error or f"The job ended {row.status}."
    print(printable(text), file=sys.stderr)
    return EXIT_FAILED


def _whole(percent: float | None) -> int | None:
    """A per-cent option as the whole number the style stores (None: not given)."""
    return None if percent is None else round(percent)


def _no_such_style(text: str) -> str:
    """The refusal for a style asked of a library that does not exist yet."""
    named = f"{text.strip()}" if text.strip().isdigit() else f"named '{printable(text)[:80]}'"
    return f"There is no style {named}; 'stylestudio styles list' shows the styles there are."
