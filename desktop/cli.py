"""The command line: the window by default, subcommands for headless work.

Every subcommand goes through the same engine API as the window. Bad input ends with one
sentence on stderr and exit code 2; a job that ran and failed ends with its error and exit 1.
Tracebacks go to the log file, never to the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.errors import UserError

log = logging.getLogger("desktop.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(UserError):
    """Input refused before anything ran (exit 2)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stylestudio",
        description="Style Studio: turn a description and a reference image into a reusable visual style.",
    )
    p.add_argument("--version", action="version", version=f"Style Studio {__version__}")
    p.add_argument("--home", metavar="DIR", help="data folder to use (default: STYLESTUDIO_HOME or the user data folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="also log to the terminal")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    jobs = sub.add_parser("jobs", help="list, watch, enqueue, cancel, retry and dismiss jobs")
    jsub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    jl = jsub.add_parser("list", help="active and recent jobs")
    jl.add_argument("--json", action="store_true", help="print one JSON document")
    jl.add_argument("--all", action="store_true", help="include finished jobs")
    jsub.add_parser("watch", help="a live table of jobs until Ctrl+C")
    je = jsub.add_parser("enqueue", help="queue a job and print its id")
    je.add_argument("type", help="job type, e.g. diagnostics.sleep")
    je.add_argument("--payload", default="{}", help="the job's input as a JSON object")
    je.add_argument("--json", action="store_true", help="print the new row as JSON")
    for name, text in (("cancel", "cancel a job"), ("retry", "run a failed or canceled job again"), ("dismiss", "remove a finished job")):
        jp = jsub.add_parser(name, help=text)
        jp.add_argument("id", type=int)
        jp.add_argument("--json", action="store_true", help="print the row as JSON")
    js = jsub.add_parser("show", help="one job")
    js.add_argument("id", type=int)
    js.add_argument("--json", action="store_true")

    w = sub.add_parser("worker", help="run queued jobs headless until Ctrl+C")
    w.add_argument("--max-parallel", type=_positive_int, default=None, help="jobs at once (default: the setting, 2)")
    w.add_argument("--exit-when-idle", action="store_true", help="stop once no job is queued or running")
    w.add_argument("--grace", type=float, default=5.0, help="seconds running jobs get to finish on Ctrl+C (default 5)")

    g = sub.add_parser("generate", help="make a style from a description (and a reference image)")
    g.add_argument("description")
    g.add_argument("--reference", metavar="PATH", help="a reference image")
    g.add_argument("--name", help="the style's name (default: from the description)")
    g.add_argument("--backend", choices=("local", "fal"), help="generator (default: the setting, local)")
    g.add_argument("--previews", type=_positive_int, help="number of previews, 1 to 8 (default 4)")
    g.add_argument("--size", type=_positive_int, help="long edge of the previews in pixels (default 768)")
    g.add_argument("--seed", type=int, help="seed for repeatable looks")
    g.add_argument("--json", action="store_true", help="print the new style as JSON")
    g.add_argument("--enqueue", action="store_true", help="only queue it for a running app or worker; print the job id")

    st = sub.add_parser("styles", help="list, show and delete styles")
    ssub = st.add_subparsers(dest="styles_command", metavar="ACTION", required=True)
    sl = ssub.add_parser("list", help="all styles, newest first")
    sl.add_argument("--json", action="store_true")
    sl.add_argument("--search", default="", help="only styles whose name or description contains this")
    ss = ssub.add_parser("show", help="one style, with the paths of its files")
    ss.add_argument("id", type=int)
    ss.add_argument("--json", action="store_true")
    sd = ssub.add_parser("delete", help="delete a style and its files")
    sd.add_argument("id", type=int)

    sub.add_parser("self-test", help="start the app offscreen and make one style end to end")
    return p


# --- helpers --------------------------------------------------------------------------------


def _open(args: argparse.Namespace, **kwargs: Any):
    from desktop.runtime import open_runtime

    return open_runtime(args.home, verbose=args.verbose, **kwargs)


def _library_exists(args: argparse.Namespace) -> bool:
    """For read-only commands: a library that was never created is not created by looking."""
    from desktop.config import resolve_paths

    paths = resolve_paths(args.home)
    if paths.database_url() != f"sqlite:///{paths.db_file}":
        return True  # another database (PostgreSQL): it exists or opening it says so
    return paths.db_file.exists()


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


def _age(ts: float | None) -> str:
    if ts is None:
        return ""
    seconds = max(0, int(time.time() - ts))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def _job_table(rows: Sequence[Any]) -> str:
    header = f"{'ID':>5}  {'TYPE':<18} {'STATUS':<10} {'PROGRESS':>8}  {'AGE':>7}  MESSAGE"
    lines = [header]
    for r in rows:
        prog = "" if r.progress is None else f"{r.progress * 100:.0f}%"
        text = r.error if r.status == "failed" and r.error else r.message
        lines.append(f"{r.id:>5}  {r.type:<18.18} {r.status:<10} {prog:>8}  {_age(r.created_at):>7}  {text}")
    return "\n".join(lines)


def _parse_payload(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise CliError(f"The payload is not valid JSON ({exc.msg} at character {exc.pos}); give an object like '{{\"seconds\": 2}}'.") from None
    if not isinstance(payload, dict):
        raise CliError("The payload must be a JSON object, like '{\"seconds\": 2}'.")
    return payload


# --- jobs -----------------------------------------------------------------------------------


def cmd_jobs(args: argparse.Namespace) -> int:
    action = args.jobs_command
    if action == "enqueue":
        payload = _parse_payload(args.payload)
        from desktop.jobs import registry

        registry.load_builtin()
        jt = registry.get(args.type)
        if jt is None:
            raise CliError(f"There is no job type '{args.type}'; the known types are: {', '.join(registry.names())}.")
        if jt.validate is not None:
            jt.validate(payload)
        rt = _open(args, watch_external=False)
        try:
            job_id = rt.engine.enqueue(args.type, payload)
            if args.json:
                _print_json(rt.engine.require(job_id).to_json())
            else:
                print(job_id)
        finally:
            rt.close()
        return EXIT_OK
    if action in ("cancel", "retry", "dismiss", "show") and not _library_exists(args):
        raise CliError(f"There is no job {args.id}; 'stylestudio jobs list --all' shows the jobs there are.")
    if action == "list" and not _library_exists(args):
        _print_json([]) if args.json else print("No jobs yet.")
        return EXIT_OK
    rt = _open(args, watch_external=(action == "watch"))
    try:
        engine = rt.engine
        if action == "list":
            rows = engine.list(include_finished=args.all, limit=1000 if args.all else 200)
            if args.json:
                _print_json([r.to_json() for r in rows])
            elif rows:
                print(_job_table(rows))
            else:
                print("No active jobs." if not args.all else "No jobs yet.")
            return EXIT_OK
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
                _print_json({"id": args.id, "dismissed": True})
            return EXIT_OK
        if args.json:
            _print_json(row.to_json())
        elif action == "show":
            print(_job_table([row]))
        elif action == "cancel":
            print(f"Job {row.id}: {'canceled' if row.status == 'canceled' else 'canceling (it stops at its next step)'}.")
        else:
            print(f"Job {row.id} is queued again.")
        return EXIT_OK
    finally:
        rt.close()


def _watch(engine: Any) -> int:
    import threading

    changed = threading.Event()
    unsubscribe = engine.watch(lambda _e: changed.set())
    tty = sys.stdout.isatty()
    last: dict[int, tuple[Any, ...]] = {}
    try:
        while True:
            rows = engine.list(include_finished=True, limit=30)
            if tty:
                sys.stdout.write("\x1b[H\x1b[2J" + time.strftime("%H:%M:%S") + "  Style Studio jobs (Ctrl+C to stop)\n\n")
                sys.stdout.write(_job_table(rows) + "\n")
            else:
                for r in reversed(rows):
                    key = (r.status, r.message, r.progress, r.error)
                    if last.get(r.id) != key:
                        last[r.id] = key
                        print(_job_table([r]).splitlines()[1])
            sys.stdout.flush()
            changed.wait(1.0)
            changed.clear()
            time.sleep(0.1)  # coalesce bursts: at most ~10 redraws a second
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        unsubscribe()


# --- worker ---------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    rt = _open(args)
    try:
        max_parallel = args.max_parallel or rt.settings.max_parallel
        pool = rt.engine.pool(max_parallel=max_parallel, stop_message="Canceled because the worker stopped")
        unsubscribe = rt.engine.watch(_report_endings)
        print(f"Worker running up to {max_parallel} job(s) at once in {rt.paths.home}. Press Ctrl+C to stop.", file=sys.stderr)

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, _stop_pool, pool)
                except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                    signal.signal(sig, lambda *_: _stop_pool(pool))
            await pool.run(exit_when_idle=args.exit_when_idle, grace=args.grace)

        asyncio.run(main())
        unsubscribe()
        print("Worker stopped.", file=sys.stderr)
        return EXIT_OK
    finally:
        rt.close()


def _stop_pool(pool: Any) -> None:
    print("Stopping: no new jobs; running ones get a moment to finish.", file=sys.stderr)
    pool.request_stop()


def _report_endings(event: Any) -> None:
    row = event.row
    if row is not None and row.is_finished and event.kind == "status":
        tail = f": {row.error}" if row.error else ""
        print(f"job {row.id} {row.type} {row.status}{tail}", flush=True)


# --- generate and styles --------------------------------------------------------------------


class _ProgressLine:
    """A one-line terminal progress bar: message, percent, elapsed."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.last_text = ""

    def show(self, progress: float | None, message: str) -> None:
        elapsed = int(time.monotonic() - self.start)
        clock = f"{elapsed // 60}:{elapsed % 60:02d}"
        if progress is None:
            bar, pct = "[" + "." * 20 + "]", "  ?%"
        else:
            filled = int(round(progress * 20))
            bar, pct = "[" + "#" * filled + "." * (20 - filled) + "]", f"{progress * 100:3.0f}%"
        text = f"{bar} {pct}  {message}  {clock}"
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()
        elif message != self.last_text:
            print(text, file=sys.stderr, flush=True)
        self.last_text = message

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def cmd_generate(args: argparse.Namespace) -> int:
    if args.previews is not None and not 1 <= args.previews <= 8:
        raise CliError("--previews must be from 1 to 8.")
    if args.size is not None and not 64 <= args.size <= 4096:
        raise CliError("--size must be from 64 to 4096 pixels.")
    if not args.description.strip():
        raise CliError("The description is empty; describe the style in a few words, like 'warm film grain'.")
    if args.reference is not None:
        from desktop.imaging.intake import load_image

        load_image(args.reference)  # refuse a bad reference before anything is written
    from desktop.pipelines.style_generate import enqueue_style

    rt = _open(args)
    try:
        job_id = enqueue_style(
            rt,
            args.description,
            reference=Path(args.reference) if args.reference else None,
            name=args.name,
            backend=args.backend,
            previews=args.previews,
            size=args.size,
            seed=args.seed,
        )
        if args.enqueue:
            if args.json:
                _print_json(rt.engine.require(job_id).to_json())
            else:
                print(job_id)
            return EXIT_OK
        row = _run_here(rt, job_id)
        if row.status != "succeeded":
            print(row.error or ("Canceled." if row.status == "canceled" else f"The job ended {row.status}."), file=sys.stderr)
            return EXIT_FAILED
        style_id = int((row.result_dict() or {})["id"])
        if args.json:
            from desktop.library import Library

            _print_json(Library(rt.db, rt.paths).require(style_id).to_json())
        else:
            print(style_id)
        return EXIT_OK
    finally:
        rt.close()


def _run_here(rt: Any, job_id: int) -> Any:
    """Run one job in this process with a progress line; the row is visible to every other
    process meanwhile. Ctrl+C cancels it."""
    bar = _ProgressLine()
    state: dict[str, Any] = {"row": None}

    def on_change(event: Any) -> None:
        if event.job_id == job_id and event.row is not None:
            state["row"] = event.row

    unsubscribe = rt.engine.watch(on_change)
    pool = rt.engine.pool(max_parallel=1, only_job=job_id, stop_message="Canceled")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, lambda: (rt.engine.cancel(job_id), None))
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
        runner = asyncio.create_task(pool.run(grace=2.0))
        while not runner.done():
            row = state["row"]
            if row is not None:
                bar.show(row.progress, row.message)
            await asyncio.wait([runner], timeout=0.1)
        await runner

    try:
        asyncio.run(main())
    finally:
        unsubscribe()
    row = rt.engine.wait(job_id)  # another process may have taken it first
    if row.status == "succeeded":
        bar.show(1.0, "Done")
    bar.done()
    return row


def cmd_styles(args: argparse.Namespace) -> int:
    action = args.styles_command
    if not _library_exists(args):
        if action == "list":
            _print_json([]) if args.json else print("No styles yet.")
            return EXIT_OK
        raise CliError(f"There is no style {args.id}; 'stylestudio styles list' shows the styles there are.")
    from desktop.library import Library

    rt = _open(args, watch_external=False)
    try:
        lib = Library(rt.db, rt.paths)
        if action == "list":
            styles = lib.list(args.search)
            if args.json:
                _print_json([s.to_json() for s in styles])
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
                _print_json(info.to_json())
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


def cmd_self_test(args: argparse.Namespace) -> int:
    from desktop.selftest import run_self_test

    return run_self_test(verbose=args.verbose)


# --- entry ----------------------------------------------------------------------------------

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "jobs": cmd_jobs,
    "worker": cmd_worker,
    "generate": cmd_generate,
    "styles": cmd_styles,
    "self-test": cmd_self_test,
}


def main(argv: Sequence[str] | None = None) -> int:
    # Until the log file is set up, nothing may reach the terminal by accident.
    logging.getLogger().addHandler(logging.NullHandler())
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from desktop.app import main as app_main

            return app_main(home=args.home, verbose=args.verbose)
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(str(exc), file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
