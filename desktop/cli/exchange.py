"""``stylestudio export`` and ``stylestudio import``: style packs and LUT files, here (with a
progress line) or queued (--enqueue).

Exit 0 when everything was exported or imported; 1 when a job failed or was canceled; 2 when
the input is refused before any job exists (nothing is created then)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.cli.common import EXIT_FAILED, EXIT_OK, CliError, library_exists, open_library
from desktop.cli.printing import print_json, print_queued
from desktop.jobs.model import JobStatus
from desktop.text import printable, shown_path


def _run(rt: Any, job_id: int) -> Any:
    from desktop.cli.foreground import cancel_quietly, run_here

    try:
        return run_here(rt, job_id)
    except KeyboardInterrupt:
        cancel_quietly(rt.engine, job_id)
        return rt.engine.require(job_id)


def _ended(row: Any) -> str:
    return printable(row.error or (row.message or "Canceled." if row.status == JobStatus.CANCELED else f"The job ended {row.status}."))


def cmd_export(args: argparse.Namespace) -> int:
    from desktop.pipelines.export.request import (
        check_target,
        enqueue_export_lut,
        enqueue_export_pack,
        with_extension,
    )

    if args.format is None and args.size is not None:
        raise CliError("--size is for a LUT export; add --format cube, or leave --size out for a style pack.")
    if args.format is not None:
        if len(args.styles) > 1:
            raise CliError(f"--format {args.format} exports one style's LUT; name one style, or leave --format out for a style pack.")
        if args.format == "hald" and args.size is not None:
            raise CliError("A HaldCLUT is always level 8 (512x512 pixels); leave --size out.")
        if args.with_reference:
            raise CliError("--with-reference is for a style pack; leave it out with --format.")
    args.out = with_extension(args.out, args.format)
    check_target(args.out)
    if not library_exists(args):
        raise CliError(f"There is no style '{args.styles[0]}'; the library is empty: make one with 'stylestudio generate'.")
    rt = open_library(args)
    try:
        if args.format is None:
            job_id = enqueue_export_pack(rt, args.styles, args.out, args.with_reference)
        else:
            job_id = enqueue_export_lut(rt, args.styles[0], args.format, args.size, args.out)
        if args.enqueue:
            print_queued(rt, job_id, args.json)
            return EXIT_OK
        row = _run(rt, job_id)
        if row.status != JobStatus.SUCCEEDED:
            print(_ended(row), file=sys.stderr)
            return EXIT_FAILED
        result = row.result_dict() or {}
        if args.json:
            print_json({"job": job_id, "out": result.get("out"), "styles": result.get("styles"), "bytes": result.get("bytes")})
        else:
            print(shown_path(str(result.get("out"))))
        return EXIT_OK
    finally:
        rt.close()


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from desktop.pipelines.import_.request import (
        check_import_content,
        enqueue_import,
        import_kind,
        imported_ids,
    )

    for raw in args.files:  # refuse a bad file for its name or its content before the library is opened or created
        path = Path(raw).expanduser().absolute()
        check_import_content(path, import_kind(path))
    rt = open_library(args)
    try:
        job_ids = enqueue_import(rt, args.files)
        if args.enqueue:
            if args.json:
                print_json({"jobs": job_ids})
            else:
                for job_id in job_ids:
                    print(job_id)
            return EXIT_OK
        ids: list[int] = []
        skipped: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for job_id, name in zip(job_ids, args.files, strict=True):
            row = _run(rt, job_id)
            if row.status != JobStatus.SUCCEEDED:
                failed.append({"file": str(name), "job": job_id, "error": _ended(row)})
                print(_ended(row), file=sys.stderr)
                continue
            result = row.result_dict() or {}
            new = imported_ids(result)
            ids += new
            for s in result.get("skipped") or []:
                skipped.append(s)
                print(f"'{printable(s['name'])}' is already in the library as style {s['id']}; skipped.", file=sys.stderr)
            if not args.json:
                for style_id in new:
                    print(style_id)
        if args.json:
            print_json({"jobs": job_ids, "ids": ids, "skipped": skipped, "failed": failed})
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        rt.close()
