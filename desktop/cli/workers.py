"""``stylestudio workers``: the live work pools of every machine sharing the library (windows,
``stylestudio worker`` processes, commands running their job in the foreground), from the
``workers`` rows their heartbeats renew."""

from __future__ import annotations

import argparse
import time
from typing import Any

from desktop.cli.common import EXIT_OK, library_exists, open_library
from desktop.cli.printing import print_json
from desktop.jobs.model import iso
from desktop.jobs.queue import WorkerInfo, ago
from desktop.text import printable


def cmd_workers(args: argparse.Namespace) -> int:
    if not library_exists(args):
        print_json([]) if args.json else print(_none_sentence(args.all))
        return EXIT_OK
    rt = open_library(args, read_only=True, watch_external=False)
    try:
        workers = rt.engine.workers(include_stale=args.all)
    finally:
        rt.close()
    if args.json:
        print_json([worker_json(w) for w in workers])
    elif workers:
        print(workers_table(workers))
    else:
        print(_none_sentence(args.all))
    return EXIT_OK


def _none_sentence(include_stale: bool) -> str:
    if include_stale:
        return "No worker has run on this library recently; start one with 'stylestudio worker'."
    return "No live worker: start one with 'stylestudio worker' (or open the window)."


def worker_json(w: WorkerInfo) -> dict[str, Any]:
    return {
        "owner": w.owner,
        "host": w.host,
        "pid": w.pid,
        "kind": w.kind,
        "running": w.running,
        "slots": w.slots,
        "started_at": iso(w.started_at),
        "seen_at": iso(w.seen_at),
        "live": w.live,
    }


def workers_table(workers: list[WorkerInfo]) -> str:
    now = time.time()
    hosts = [printable(w.host) for w in workers]  # written by every machine sharing the library
    width = max(16, *(len(h) for h in hosts))
    lines = [f"{'HOST':<{width}}  {'PID':>7}  {'KIND':<7}  {'JOBS':>5}  LAST HEARTBEAT"]
    for w, host in zip(workers, hosts, strict=True):
        seen = ago(w.seen_at, now) + ("" if w.live else " (stale: not live)")
        jobs = f"{w.running}/{w.slots}"
        lines.append(f"{host:<{width}}  {w.pid:>7}  {printable(w.kind):<7}  {jobs:>5}  {seen}")
    return "\n".join(lines)
