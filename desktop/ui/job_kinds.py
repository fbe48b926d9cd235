"""What the window knows about each job type, in one place: one ``JobKind`` per type.

A kind says how the progress dialog heads the job (``heading``, ``failed_heading`` and the
subject line under it), what the jobs list calls it (``subject``), how the dialog reads what
the job has finished so far (``items``: a batch's items, a generation's previews), and what the
window does once the job has ended (``succeeded``, ``ended``, ``noticed``, ``followed``). The
window calls these from ``JobsModel.jobEnded`` (a job this window saw running has ended, in any
process) and from the progress dialog of a job it follows; nothing else in ``desktop/ui``
decides by a job type's name.

Adding a job type the window should treat specially is one entry in ``KINDS``; every other
type gets ``DEFAULT`` (its registered title, a subject read from its payload).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from desktop.jobs import registry
from desktop.jobs.model import JobRow, JobStatus
from desktop.runtime import Runtime

ItemsReader = Callable[[int], list[Any]]  # blocking: a job id -> its finished items so far

GENERATE = "style.generate"
APPLY = "style.apply"
STRENGTH = "style.strength"
EXPORT = "style.export"
IMPORT = "style.import"
INTERNAL_PREFIXES = ("diagnostics.",)  # job types for tests and support, not for people

SUBJECT_KEYS = ("name", "style_name", "title", "description")
SUBJECT_LENGTH = 48
FILE_KEYS = ("out", "path")


@functools.lru_cache(maxsize=1024)  # rows repaint every second while they run
def subject_of(payload_json: str) -> str | None:
    """What a job is about, from its payload: the style's name, or its description shortened
    the way a style's default name is; else the file an export writes or an import reads (None
    for a payload that names nothing)."""
    try:
        payload = json.loads(payload_json) if payload_json else {}
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for key in SUBJECT_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            if len(text) > SUBJECT_LENGTH:
                text = text[: SUBJECT_LENGTH - 1].rstrip(" ,;.") + "…"
            count = payload.get("count")  # a batch: how many photos
            photos = f" · {count} photo{'s' if count != 1 else ''}" if isinstance(count, int) and not isinstance(count, bool) else ""
            return text[:1].upper() + text[1:] + photos
    for key in FILE_KEYS:  # an export or an import: the file it writes or reads
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            name = PurePath(value).name or value
            return name if len(name) <= SUBJECT_LENGTH else name[: SUBJECT_LENGTH - 1] + "…"
    return None


def named_subject(payload: dict[str, Any]) -> str:
    """The progress dialog's line under its title: the style's name or description."""
    return str(payload.get("name") or payload.get("description") or "")


def into_folder(payload: dict[str, Any]) -> str:
    """A batch's line under the title: the folder its photos go into."""
    if not payload.get("out"):
        return named_subject(payload)
    out = str(payload["out"])
    return f"Into {out}" if os.path.isabs(out) else f"Into {out} in the library folder"


# --- what the window does once a job has ended (``window`` is the MainWindow, its flows) -------
def style_made(window: Any, result: dict[str, Any]) -> None:
    """A job that made a style: the gallery takes it in (only a result that names one)."""
    if result.get("table") == "styles":
        window.style_made(result)


def style_changed(window: Any, result: dict[str, Any]) -> None:
    """A new strength: the style changed in place, its card is read again."""
    if isinstance(result.get("id"), int):
        window.style_changed(result["id"])
    else:
        style_made(window, result)


def nothing(window: Any, result: dict[str, Any]) -> None:
    """A job whose success adds no style to the gallery (a batch of photos, an export)."""


def styles_imported(window: Any, result: dict[str, Any]) -> None:
    window.import_flow.styles_imported(result)


def import_ended(window: Any, row: JobRow) -> None:
    window.import_flow.import_ended(row)


def batch_noticed(window: Any, row: JobRow, result: dict[str, Any]) -> bool:
    """A batch that ended while no dialog showed it: a notice offers its folder (to whoever
    started it here, or while the window is not in front)."""
    if not result.get("out") or not (window.following.started_here(row.id) or not window.isActiveWindow()):
        return False
    window.apply_flow.batch_done(row.id, result, followed=False)
    return True


def export_noticed(window: Any, row: JobRow, result: dict[str, Any]) -> bool:
    """An export sent to the background: a notice offers its folder (started here only)."""
    if not window.following.started_here(row.id):
        return False
    window.export_flow.export_done(row.id, result, followed=False)
    return True


def batch_followed(window: Any, job_id: int, result: Any) -> None:
    if isinstance(result, dict) and result.get("out"):
        window.apply_flow.batch_done(job_id, result, followed=True)
    else:
        window.open_result(result)


def export_followed(window: Any, job_id: int, result: Any) -> None:
    if isinstance(result, dict) and result.get("out"):
        window.export_flow.export_done(job_id, result, followed=True)


def import_followed(window: Any, job_id: int, result: Any) -> None:
    """The import's run selects its styles once all its files are in."""


def open_result(window: Any, job_id: int, result: Any) -> None:
    window.open_result(result)


def batch_items(runtime: Runtime) -> ItemsReader:
    """A batch's items, their paths as this machine reaches them (blocking: worker thread)."""

    def read(job_id: int) -> list[Any]:
        from desktop.pipelines.apply.request import batch_items as read_items

        return read_items(runtime.db, job_id, runtime.paths.library)

    return read


def generation_items(runtime: Runtime) -> ItemsReader:
    """A generation's previews as they arrive in its work folder (blocking: worker thread)."""
    from desktop.ui.job_previews import generation_previews

    return functools.partial(generation_previews, runtime.paths.tmp_dir)


@dataclass(frozen=True)
class JobKind:
    """How the window shows and follows up one job type (see the module's docstring)."""

    heading: str | None = None  # the progress dialog's title while it runs (None: its registered title)
    failed_heading: str | None = None  # ... once it failed (None: "<title> failed")
    dialog_subject: Callable[[dict[str, Any]], str] = named_subject
    items: Callable[[Runtime], ItemsReader] | None = None
    # on JobsModel.jobEnded, a success with a result: what the gallery takes in
    succeeded: Callable[[Any, dict[str, Any]], None] = style_made
    ended: Callable[[Any, JobRow], None] | None = None  # on JobsModel.jobEnded, any status
    # a success no dialog showed: True when a notice of the kind's own was offered
    noticed: Callable[[Any, JobRow, dict[str, Any]], bool] | None = None
    followed: Callable[[Any, int, Any], None] = open_result  # the followed dialog's success
    internal: bool = False  # for tests and support: its end is not news for a person

    def title(self, job_type: str, failed: bool) -> str:
        if failed and self.failed_heading:
            return self.failed_heading
        if not failed and self.heading:
            return self.heading
        title = registry.title(job_type) if job_type else "Working"
        return f"{title} failed" if failed else title


DEFAULT = JobKind()
INTERNAL = JobKind(internal=True)
KINDS: dict[str, JobKind] = {
    GENERATE: JobKind(heading="Creating your style", failed_heading="Style not created", items=generation_items),
    APPLY: JobKind(heading="Applying the style", failed_heading="Not every photo was styled", dialog_subject=into_folder,
                   items=batch_items, succeeded=nothing, noticed=batch_noticed, followed=batch_followed),
    STRENGTH: JobKind(succeeded=style_changed),
    EXPORT: JobKind(succeeded=nothing, noticed=export_noticed, followed=export_followed),
    IMPORT: JobKind(succeeded=styles_imported, ended=import_ended, followed=import_followed),
}


def kind_of(job_type: str | None) -> JobKind:
    """The window's entry for ``job_type`` (``DEFAULT`` for a type with none of its own)."""
    if job_type and job_type in KINDS:
        return KINDS[job_type]
    if job_type and job_type.startswith(INTERNAL_PREFIXES):
        return INTERNAL
    return DEFAULT


def is_internal(job_type: str) -> bool:
    """A job type people never start from the window (``diagnostics.*``)."""
    return kind_of(job_type).internal


def job_subject(row: JobRow) -> str | None:
    """What a job is about (the jobs list's bold text; None for a job whose payload names
    nothing)."""
    return subject_of(row.payload)


def dialog_heading(row: JobRow | None, job_type: str | None) -> tuple[str, str]:
    """The progress dialog's title and the line under it (the row's type wins over the type
    the dialog was opened with)."""
    name = row.type if row is not None else (job_type or "")
    kind = kind_of(name)
    failed = row is not None and (row.status == JobStatus.FAILED or done_with_problems(row))
    subtitle = ""
    if row is not None:
        try:
            payload = row.payload_dict()
        except ValueError:
            payload = {}
        subtitle = kind.dialog_subject(payload)
    return kind.title(name, failed), subtitle


def done_with_problems(row: JobRow) -> bool:
    """A batch that succeeded with some photos failed (the one rule every view follows): headed
    like a failed one ("Not every photo was styled"), its message saying it is done, with Retry
    failed."""
    try:
        result = row.result_dict() if row.status == JobStatus.SUCCEEDED and row.result else None
    except ValueError:
        return False
    return isinstance(result, dict) and int(result.get("failed") or 0) > 0
