"""The ``style.import`` job: a style pack, a ``.cube`` or a HaldCLUT PNG added to the library.

The payload's grant is checked before the file is opened: only a file a front door accepted
(the window's open dialog or drop, ``stylestudio import``) is ever read. Import stages every
file under ``tmp/job-<id>-...``, reads and checks all of it, then inserts the rows and moves the
folders into place in one transaction: a pack of 5 styles whose 4th is damaged adds nothing.

An import's ``path`` is relative to the library folder when the file lies inside it (so a
worker on another machine, which maps the shared folder elsewhere, finds it too), else
absolute: the file is not copied into the library at enqueue (a pack may be gigabytes), so a
file outside the library folder can be imported only by a machine that sees it at that path,
and another one says so in the job's error.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from typing import Any

from desktop.config import from_library
from desktop.errors import UserError
from desktop.jobs.context import JobContext
from desktop.jobs.registry import register
from desktop.jobs.work_folders import make_work_folder
from desktop.pipelines.import_.lut import import_lut
from desktop.pipelines.import_.pack import import_pack
from desktop.pipelines.import_.request import IMPORT, ImportPayload, check_import_granted
from desktop.text import shown_path


@register(IMPORT, title="Import styles", retry_safe=True, payload=ImportPayload)
async def import_styles(ctx: JobContext, payload: ImportPayload) -> dict[str, Any]:
    """Idempotent: the first style an import adds carries the job's id (``styles.job_id``); a
    run after a crash that came after the commit finds it and reports the styles again."""
    from desktop.library.reading import style_of_job

    paths = ctx.services["paths"]
    db = ctx.services["db"]
    check_import_granted(paths.library, payload)  # before the file is even looked at
    source = from_library(payload.path, paths.library, "The file to import")
    existing = await asyncio.to_thread(style_of_job, db, ctx.id)
    if existing is not None and payload.kind != "pack":
        return {"table": "styles", "id": existing, "ids": [existing], "skipped": [], "file": source.name}
    if not source.is_file():
        if not os.path.isabs(payload.path):
            raise UserError(
                f"{shown_path(payload.path)} is no longer in the library folder ({shown_path(paths.library)}); import it again from where it is now."
            )
        raise UserError(
            f"{shown_path(source)} is not there on {socket.gethostname()}: it was moved, or it is on another computer. "
            "Import it again from where it is now, or put it in the library folder so every machine sees it."
        )
    work = make_work_folder(paths.tmp_dir, ctx.id, ctx.attempt)
    try:
        if payload.kind == "pack":
            return await import_pack(ctx, source, work, already=existing)
        return await import_lut(ctx, source, payload.kind, work)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
