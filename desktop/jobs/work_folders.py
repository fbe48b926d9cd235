"""A job's work folder: ``tmp/job-<id>-<attempt>-<hex>``, where a job writes its half-made files
before they are moved into the library (or removed when it fails or is canceled).

The one place that names, parses and matches these folders: the pipelines make one per attempt
(``make_work_folder``), a front door's start-up removes those of jobs no longer running
(``is_work_folder``, ``job_of_work_folder``), and the window finds a running job's previews in
them (``work_folders_of``). A random part keeps two attempts of a job (or two machines sharing
the library) from ever sharing a folder.
"""

from __future__ import annotations

import uuid
from pathlib import Path

PREFIX = "job-"


def make_work_folder(tmp_dir: Path, job_id: int, attempt: int) -> Path:
    """Create this attempt's own work folder under ``tmp_dir`` (and ``tmp_dir`` if needed)."""
    work = tmp_dir / f"{PREFIX}{job_id}-{attempt}-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True)
    return work


def is_work_folder(name: str) -> bool:
    """Whether a folder of ``tmp/`` named ``name`` is a job's work folder."""
    return name.startswith(PREFIX)


def job_of_work_folder(name: str) -> int | None:
    """The id of the job a work folder named ``name`` belongs to; None when the name holds no
    job id (not a work folder, or one whose name was damaged)."""
    if not is_work_folder(name):
        return None
    part = name.split("-")[1]
    return int(part) if part.isdigit() else None


def work_folders_of(job_id: int) -> str:
    """The glob pattern (relative to ``tmp/``) of every work folder of job ``job_id``."""
    return f"{PREFIX}{int(job_id)}-*"
