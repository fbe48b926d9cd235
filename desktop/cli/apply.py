"""``stylestudio apply STYLE INPUT... --out DIR``: apply a style to photos here (progress on
stderr, a summary at the end) or queue the batch (--enqueue).

The same command run again while its batch is unfinished (queued, or left running by a process
that was killed) resumes that batch instead of queueing a second one, and says so in one line
on stderr; a batch another worker is running now is followed here. Sentences show paths with
odd bytes escaped (``bad\\xff.jpg``); ``--json`` keeps them exact (``\\udcff`` escapes, see
``cli.printing.json_text``).

Exit 0 when every photo was styled; 1 when the job failed, was canceled or any photo failed;
2 when the input is refused before any job exists (nothing is created then)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.cli.common import EXIT_FAILED, EXIT_OK, CliError, library_exists, open_library
from desktop.cli.printing import print_json
from desktop.text import printable, shown_path


def _check_options(args: argparse.Namespace) -> None:
    if not 1 <= args.quality <= 100:
        raise CliError("--quality must be from 1 to 100.")
    if args.long_edge is not None and not 16 <= args.long_edge <= 30000:
        raise CliError("--long-edge must be from 16 to 30000 pixels.")
    if args.depth == 16 and args.format in ("jpeg", "webp"):
        raise CliError("--depth 16 needs --format png, tiff or same: JPEG and WebP hold 8 bits a channel.")
    if args.name is not None:
        from desktop.pipelines.apply.request import name_template_refusal

        why = name_template_refusal(args.name)
        if why is not None:
            raise CliError(why)


def cmd_apply(args: argparse.Namespace) -> int:
    from desktop.pipelines.apply.request import check_output_folder, plan_apply, start_apply

    _check_options(args)
    out = check_output_folder(args.out)
    plan = plan_apply(args.inputs, recursive=args.recursive, out=out, both=args.both)
    if not library_exists(args):
        raise CliError(f"There is no style '{printable(args.style)}'; the library is empty: make one with 'stylestudio generate'.")
    rt = open_library(args)
    try:
        started = start_apply(
            rt,
            args.style,
            args.inputs,
            out=out,
            format=args.format,
            quality=args.quality,
            long_edge=args.long_edge,
            strength=args.strength,
            grain=args.grain,
            grain_size=args.grain_size,
            vignette=args.vignette,
            keep_metadata=not args.no_metadata,
            depth=args.depth,
            colour_space=args.colour_space,
            strip_location=args.strip_location,
            recursive=args.recursive,
            both=args.both,
            plan=plan,
            name=args.name,
        )
        job_id = started.job_id
        if plan.skipped:
            print(f"{plan.skipped_sentence}.", file=sys.stderr)
        if started.resumed:
            print(started.sentence(here=not args.enqueue), file=sys.stderr)
        if args.enqueue:
            if args.json:
                print_json({"job": job_id, "out": str(out), "count": len(plan.files), "resumed": started.resumed})
            else:
                print(job_id)
            return EXIT_OK
        from desktop.cli.foreground import cancel_quietly, run_here

        try:
            row = run_here(rt, job_id)
        except KeyboardInterrupt:
            cancel_quietly(rt.engine, job_id)
            row = rt.engine.require(job_id)
        return _summary(rt, row, out, args.json)
    finally:
        rt.close()


def _summary(rt: Any, row: Any, out: Any, as_json: bool) -> int:
    from desktop.pipelines.apply.request import batch_items

    items = batch_items(rt.db, row.id, rt.paths.library)  # paths as this machine reaches them
    done = [i for i in items if i.status == "done"]
    failed = [i for i in items if i.status == "failed"]
    if as_json:
        print_json(
            {
                "job": row.id,
                "out": str(out),
                "done": len(done),
                "failed": [{"input": i.input, "error": i.error} for i in failed],
                "outputs": [i.output for i in done],
            }
        )
    for i in failed:
        print(f"{shown_path(i.input)}: {printable(i.error or '')}", file=sys.stderr)
    ok = row.status == "succeeded" and not failed
    if ok:
        line = f"{len(done)} photo{'s' if len(done) != 1 else ''} styled into {shown_path(out)}."
    elif row.status == "canceled":
        line = printable(row.message or "Canceled.")
    elif failed:
        line = f"{row.message if row.status == 'succeeded' else f'{len(done)} done, {len(failed)} failed'}; 'stylestudio jobs retry {row.id}' tries the failed ones again."
    else:
        line = printable(row.error or f"The job ended {row.status}.")
    print(line, file=sys.stderr if (as_json or not ok) else sys.stdout)
    return EXIT_OK if ok else EXIT_FAILED

