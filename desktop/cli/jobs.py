"""``stylestudio jobs``: list, watch, enqueue, cancel, retry, dismiss and show jobs."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from desktop.cli.common import EXIT_OK, MAX_ID, CliError, check_job_id, library_exists, open_library
from desktop.cli.printing import job_table, print_json, print_queued, terminal_width
from desktop.jobs.model import JobStatus

DEFAULT_LIMIT, DEFAULT_LIMIT_ALL = 200, 1000


def parse_payload(text: str) -> dict[str, Any]:
    try:
        from desktop.jobs.payloads import parse_payload_json
    except ImportError:
        return _parse_payload_here(text)
    return parse_payload_json(text)


def _parse_payload_here(text: str) -> dict[str, Any]:
    """Only while desktop.jobs.payloads is missing (it checks depth, size and numbers)."""
    example = "give an object like '{\"seconds\": 2}'"
    try:
        payload = json.loads(text)
    except RecursionError:
        raise CliError(f"The payload is nested too deeply; {example}.") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"The payload is not valid JSON ({exc.msg} at character {exc.pos}); {example}.") from None
    if not isinstance(payload, dict):
        raise CliError("The payload must be a JSON object, like '{\"seconds\": 2}'.")
    return payload


def cmd_jobs(args: argparse.Namespace) -> int:
    action = args.jobs_command
    if action == "enqueue":
        return _enqueue(args)
    if action in ("cancel", "retry", "dismiss", "show"):
        check_job_id(args.id)
        if not library_exists(args):
            raise CliError(f"There is no job {args.id}; 'stylestudio jobs list --all' shows the jobs there are.")
    if action == "list" and not library_exists(args):
        print_json([]) if args.json else print("No jobs yet.")
        return EXIT_OK
    read_only = action in ("list", "show")
    rt = open_library(args, read_only=read_only, watch_external=(action == "watch"))
    try:
        engine = rt.engine
        if action == "list":
            return _list(engine, args)
        if action == "watch":
            return _watch(engine)
        if action == "show":
            row = engine.require(args.id)
        elif action == "cancel":
            row = engine.cancel(args.id)
        elif action == "retry":
            row = engine.retry(args.id)
        else:
            engine.dismiss(args.id)
            if not args.json:
                print(f"Dismissed job {args.id}.")
            else:
                print_json({"id": args.id, "dismissed": True})
            return EXIT_OK
        if args.json and action == "show":
            print_json(_with_items(rt, row))
        elif args.json:
            print_json(row.to_json())
        elif action == "show":
            print(job_table([row]))
        elif action == "cancel":
            print(f"Job {row.id}: {'canceled' if row.status == JobStatus.CANCELED else 'canceling (it stops at its next step)'}.")
        else:
            print(f"Job {row.id} is queued again.")
        return EXIT_OK
    finally:
        rt.close()


def _with_items(rt: Any, row: Any) -> dict[str, Any]:
    """The row's JSON, with its items when it is a batch (``style.apply``)."""
    from desktop.jobs.items import ItemStore

    doc = row.to_json()
    items = ItemStore(rt.db).items(row.id)
    if items:
        doc["items"] = [i.to_json() for i in items]
    return doc


def _enqueue(args: argparse.Namespace) -> int:
    payload = parse_payload(args.payload)
    from desktop.jobs import registry
    from desktop.runtime import register_job_types

    register_job_types()  # the engine has no job type of its own: the front door registers them
    jt = registry.get(args.type)
    if jt is None:
        raise CliError(f"There is no job type '{args.type}'; the known types are: {', '.join(registry.names())}.")
    if jt.validate is not None:
        jt.validate(payload)
    rt = open_library(args, watch_external=False)
    try:
        job_id = rt.engine.enqueue(args.type, payload)
        print_queued(rt, job_id, args.json)
    finally:
        rt.close()
    return EXIT_OK


def _list(engine: Any, args: argparse.Namespace) -> int:
    limit = min(args.limit or (DEFAULT_LIMIT_ALL if args.all else DEFAULT_LIMIT), MAX_ID - 1)
    rows = engine.list(include_finished=args.all, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if args.json:
        print_json([r.to_json() for r in rows])
    elif rows:
        print(job_table(rows, terminal_width()))
    else:
        print("No active jobs." if not args.all else "No jobs yet.")
    if more:
        sys.stdout.flush()  # the table first, then the note
        total = engine.count(include_finished=args.all)
        kind = "jobs" if args.all else "active jobs"
        print(f"Showing the newest {len(rows):,} of {total:,} {kind}; use --limit to see more.", file=sys.stderr)
    return EXIT_OK


def _watch(engine: Any) -> int:
    changed = threading.Event()
    unsubscribe = engine.watch(lambda _e: changed.set())
    tty = sys.stdout.isatty()
    last: dict[int, tuple[Any, ...]] = {}
    try:
        while True:
            rows = engine.list(include_finished=True, limit=30)
            if tty:
                sys.stdout.write("\x1b[H\x1b[2J" + time.strftime("%H:%M:%S") + "  Style Studio jobs (Ctrl+C to stop)\n\n")
                sys.stdout.write(job_table(rows, terminal_width()) + "\n")
            else:
                for r in reversed(rows):
                    key = (r.status, r.message, r.progress, r.error)
                    if last.get(r.id) != key:
                        last[r.id] = key
                        print(job_table([r]).splitlines()[1])
            sys.stdout.flush()
            changed.wait(1.0)
            changed.clear()
            time.sleep(0.1)  # coalesce bursts: at most ~10 redraws a second
    except KeyboardInterrupt:  # Ctrl+C, SIGTERM or SIGHUP
        return EXIT_OK
    finally:
        unsubscribe()
