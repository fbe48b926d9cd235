"""``stylestudio queue``: the shared queue's state; pause and resume it (per job type or all);
move a queued job to the front.

Pauses live in the library's database, so they hold for every machine that shares it and
across restarts: running jobs finish, no new one of a paused type starts anywhere.
"""

from __future__ import annotations

import argparse
from typing import Any

from desktop.cli.common import EXIT_OK, CliError, check_job_id, library_exists, open_library
from desktop.cli.printing import print_json
from desktop.jobs.model import iso
from desktop.jobs.queue import ALL, QueueState, ago
from desktop.text import printable


def cmd_queue(args: argparse.Namespace) -> int:
    action = getattr(args, "queue_command", None) or "show"
    if action == "front":
        check_job_id(args.id)
        if not library_exists(args):
            raise CliError(f"There is no job {args.id}; 'stylestudio jobs list --all' shows the jobs there are.")
    if action == "show" and not library_exists(args):
        _print_state(QueueState({}, {}, {}), args.json)
        return EXIT_OK
    rt = open_library(args, read_only=(action == "show"), watch_external=False)
    try:
        engine = rt.engine
        job_type = None if getattr(args, "type", None) in (None, ALL) else args.type
        if action == "pause":
            added = engine.pause(job_type)
            if not args.json:
                print(_paused_sentence(job_type, added))
        elif action == "resume":
            removed = engine.resume(job_type)
            if not args.json:
                print(_resumed_sentence(job_type, removed, engine.paused()))
        elif action == "front":
            row = engine.move_to_front(args.id)
            if args.json:
                print_json(row.to_json())
            else:
                order = engine.queue_order(limit=1)
                if order == [row.id]:
                    print(f"Job {row.id} is now first in the queue.")
                else:
                    print(f"Job {row.id} is now ahead of every other waiting job; it starts once its type is resumed.")
            return EXIT_OK
        _print_state(engine.queue_state(), args.json, quiet=action != "show")
        return EXIT_OK
    finally:
        rt.close()


def _what(job_type: str | None) -> str:
    return "The queue" if job_type is None else f"The queue of {printable(job_type)} jobs"


def _paused_sentence(job_type: str | None, added: bool) -> str:
    if not added:
        return f"{_what(job_type)} was already paused."
    back = "stylestudio queue resume" + (f" {printable(job_type)}" if job_type else "")
    return f"{_what(job_type)} is paused: running jobs finish, waiting ones start after '{back}'."


def _resumed_sentence(job_type: str | None, removed: list[str], still: dict[str, Any]) -> str:
    if job_type is not None and ALL in still:
        shown = printable(job_type)
        lead = f"Resumed {shown} jobs, but" if removed else f"{shown} jobs were not paused on their own, but"
        return f"{lead} the whole queue is still paused; 'stylestudio queue resume' resumes everything."
    if not removed:
        return f"{_what(job_type)} was not paused."
    return f"{_what(job_type)} is running again."


def state_json(state: QueueState) -> dict[str, Any]:
    return {
        "paused_all": state.all_paused,
        "pauses": [
            {"job_type": p.job_type, "paused_at": iso(p.paused_at), "paused_by": p.paused_by}
            for p in state.pauses.values()
        ],
        "types": {
            t: {"queued": state.queued.get(t, 0), "running": state.running.get(t, 0), "paused": state.is_paused(t)}
            for t in state.types()
        },
    }


def state_text(state: QueueState) -> str:
    lines = []
    if state.all_paused:
        p = state.pauses[ALL]
        lines.append(f"The whole queue is paused (by {printable(p.paused_by)}, {ago(p.paused_at)}).")
    own = [p for p in state.pauses.values() if not p.everything]
    for p in own:
        lines.append(f"Paused: {printable(p.job_type)} (by {printable(p.paused_by)}, {ago(p.paused_at)}).")
    if not state.pauses:
        lines.append("The queue is running: nothing is paused.")
    types = state.types()
    if not types:
        lines.append("No job is waiting or running.")
        return "\n".join(lines)
    shown = {t: printable(t) for t in types}  # the types of rows any machine wrote
    width = max(18, *(len(t) for t in shown.values()))
    lines.append("")
    lines.append(f"{'TYPE':<{width}}  {'WAITING':>7}  {'RUNNING':>7}  STATE")
    for t in types:
        word = "paused" if state.is_paused(t) else "ready"
        lines.append(f"{shown[t]:<{width}}  {state.queued.get(t, 0):>7}  {state.running.get(t, 0):>7}  {word}")
    return "\n".join(lines)


def _print_state(state: QueueState, as_json: bool, *, quiet: bool = False) -> None:
    """The state: as JSON, or as text (only for ``stylestudio queue`` itself: pause and resume
    say what they did in one sentence)."""
    if as_json:
        print_json(state_json(state))
    elif not quiet:
        print(state_text(state))
