"""``stylestudio generate``: make a style here (with a progress line) or queue it (--enqueue)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.cli.common import EXIT_FAILED, EXIT_OK, CliError, open_library
from desktop.cli.foreground import cancel_quietly, run_here
from desktop.cli.printing import print_json, print_queued
from desktop.jobs.model import JobStatus
from desktop.pipelines.generate.request import EDIT_NOT_FAL, ORIGINAL_WITHOUT_EDIT
from desktop.text import printable


def check_fal_key(args: argparse.Namespace) -> None:
    """The fal generator needs a key: refuse before the library is opened or created."""
    from desktop.config import Settings, fal_key, resolve_paths

    backend = args.backend or Settings.load(resolve_paths(args.home)).generator
    if backend == "fal" and not fal_key():
        raise CliError(
            "No fal key is set; add it in Settings or set the FAL_KEY environment variable, "
            "or use '--backend local'."
        )


def start_workers(previews: int | None) -> None:
    """Start the worker processes this one job can use (its previews and the .cube are made at
    once: ``previews`` + 1 tasks, at most one worker a core) before the library is opened, so
    they import the generator while this process opens the library and queues the job."""
    from desktop.jobs import processes
    from desktop.pipelines.generate.request import WORKER_MODULES

    usable = processes.worker_count() if previews is None else previews + 1
    processes.warm(WORKER_MODULES, workers=usable)


def cmd_generate(args: argparse.Namespace) -> int:
    if args.previews is not None and not 1 <= args.previews <= 8:
        raise CliError("--previews must be from 1 to 8.")
    if args.size is not None and not 64 <= args.size <= 4096:
        raise CliError("--size must be from 64 to 4096 pixels.")
    if args.original is not None and args.reference is None:
        raise CliError(ORIGINAL_WITHOUT_EDIT)
    if args.original is not None and args.backend == "fal":
        raise CliError(EDIT_NOT_FAL)
    if not args.description.strip() and args.original is None:
        raise CliError(
            "The description is missing; describe the style in a few words, like 'warm film grain' "
            "(or learn it from an edit with --reference EDITED --original ORIGINAL); "
            "see 'stylestudio generate --help'."
        )
    if args.original is None:
        check_fal_key(args)
    for photo in (args.reference, args.original):
        if photo is not None:
            from desktop.imaging.intake import load_image

            load_image(photo, draft_size=(1024, 1024))  # refuse a bad photo before anything is written
    from desktop.pipelines.generate.request import enqueue_style

    if not args.enqueue:
        start_workers(args.previews)
    rt = open_library(args)
    try:
        job_id = enqueue_style(
            rt,
            args.description,
            reference=Path(args.reference) if args.reference else None,
            original=Path(args.original) if args.original else None,
            name=args.name,
            backend=args.backend,
            previews=args.previews,
            size=args.size,
            seed=args.seed,
        )
        if args.enqueue:
            print_queued(rt, job_id, args.json)
            return EXIT_OK
        try:
            row = run_here(rt, job_id)
        except KeyboardInterrupt:  # a stop signal before the job's loop was listening
            cancel_quietly(rt.engine, job_id)
            row = rt.engine.require(job_id)
        if row.status != JobStatus.SUCCEEDED:
            ended = row.error or ("Canceled." if row.status == JobStatus.CANCELED else f"The job ended {row.status}.")
            print(printable(ended), file=sys.stderr)
            return EXIT_FAILED
        style_id = int((row.result_dict() or {})["id"])
        if args.json:
            from desktop.library.reading import Library

            print_json(Library(rt.db, rt.paths).require(style_id).to_json())
        else:
            print(style_id)
        return EXIT_OK
    finally:
        rt.close()
