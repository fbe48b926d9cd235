"""What a batch's inputs expand to, before anything is queued (what the apply dialog shows and
``stylestudio apply`` checks): the photos, and the files skipped with the reason.

One rule for every file, whether a folder walk found it or a person named it: a regular file
is taken (a named one whatever its extension, a walked one when its extension is a photo's);
anything else is skipped and counted with its reason, and never opened (a pipe or a device
named ``.jpg`` would block whoever opens it): only ``stat`` looks at it. A name longer than a
folder can hold, or a path that does not exist, is refused in one sentence.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.errors import UserError
from desktop.pipelines.apply_names import is_ours, refuse_too_long
from desktop.text import shown_path

MAX_ITEMS = 100_000
NOT_IMAGE = "not images"
NOT_REGULAR = "not regular files (pipes, sockets or devices)"
BROKEN_LINK = "links to files that are gone"
UNREADABLE = "could not be read"
REASONS = (NOT_IMAGE, NOT_REGULAR, BROKEN_LINK, UNREADABLE)


@dataclass
class ApplyPlan:
    """What the inputs expand to, before anything is queued (what the apply dialog shows)."""

    files: list[Path]
    skipped: list[Path] = field(default_factory=list)  # with their reasons in ``why``, in order
    why: list[str] = field(default_factory=list)
    total_bytes: int = 0

    def skip(self, path: Path, reason: str) -> None:
        self.skipped.append(path)
        self.why.append(reason)

    @property
    def skipped_sentence(self) -> str:
        """'3 files skipped: not images', or with several reasons '3 files skipped: 2 not
        images, 1 not regular files (pipes, sockets or devices)'."""
        n = len(self.skipped)
        if not n:
            return ""
        counts = {r: self.why.count(r) for r in REASONS if r in self.why}
        head = f"{n} file{'s' if n != 1 else ''} skipped: "
        if len(counts) == 1:
            return head + next(iter(counts))
        return head + ", ".join(f"{c} {r}" for r, c in counts.items())

    def skipped_lines(self) -> list[str]:
        """One line per skipped file (its path, escaped), with its reason unless it is not an
        image."""
        return [shown_path(p) + ("" if r == NOT_IMAGE else f"  ({r})") for p, r in zip(self.skipped, self.why, strict=True)]


def _kind(path: Path) -> tuple[str | None, int]:
    """(None, size) for a regular file (links followed), else (the reason it is skipped, 0)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (BROKEN_LINK if os.path.islink(path) else UNREADABLE), 0
    except OSError:
        return UNREADABLE, 0
    if stat.S_ISREG(st.st_mode):
        return None, st.st_size
    return NOT_REGULAR, 0


def plan_apply(inputs: list[str | os.PathLike[str]], *, recursive: bool = False, out: str | os.PathLike[str] | None = None) -> ApplyPlan:
    """Expand files and folders into the photos to style (folders walked: their top level, or
    every level with ``recursive``; hidden files skipped silently, others that are not photos
    skipped and counted). Raises UserError when an input does not exist or no photo is found."""
    from desktop.imaging.apply import PHOTO_SUFFIXES

    if not inputs:
        raise UserError("Name at least one photo or folder to apply the style to.")
    skip_dir = os.path.realpath(out) if out else None
    plan = ApplyPlan(files=[])
    seen: set[str] = set()
    folders = 0

    def take(path: Path, size: int) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        plan.files.append(path)
        plan.total_bytes += size

    def consider(path: Path, named: bool) -> None:
        if not named and path.suffix.lower() not in PHOTO_SUFFIXES:
            plan.skip(path, NOT_IMAGE)
            return
        reason, size = _kind(path)
        if reason is None:
            take(path, size)
        else:
            plan.skip(path, reason)

    for raw in inputs:
        path = Path(raw).expanduser().absolute()
        refuse_too_long(path, "An input")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                raise UserError(f"{shown_path(path)} is a link to a file that is gone; name the photo itself.") from None
            raise UserError(f"{shown_path(path)} does not exist; check the name, or name another photo or folder.") from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise UserError(f"The path {shown_path(path)[:120]}… is too long for this computer; give a shorter one.") from None
            raise UserError(f"{shown_path(path)} cannot be read ({exc.strerror or exc}); check its permissions.") from None
        if stat.S_ISDIR(st.st_mode):
            folders += 1
            _walk(path, recursive, skip_dir, consider)
        else:
            consider(path, named=True)
    if not plan.files:
        raise UserError(_nothing_found(plan, len(inputs), folders, recursive))
    if len(plan.files) > MAX_ITEMS:
        raise UserError(f"That is {len(plan.files):,} photos; a batch holds at most {MAX_ITEMS:,}, so split it into several.")
    return plan


def _walk(path: Path, recursive: bool, skip_dir: str | None, consider: Callable[[Path, bool], None]) -> None:
    if recursive:
        walker = os.walk(path)
    else:
        try:
            names = [e.name for e in os.scandir(path) if not _is_dir(e)]
        except OSError:
            names = []
        walker = iter([(str(path), [], names)])
    for folder, dirs, names in walker:
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.realpath(os.path.join(folder, d)) != skip_dir)
        for name in sorted(names):
            if is_ours(name) or name.startswith("."):
                continue
            consider(Path(folder) / name, False)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _nothing_found(plan: ApplyPlan, inputs: int, folders: int, recursive: bool) -> str:
    if folders == inputs:
        where = "in the folder given" if inputs == 1 else "in the folders given"
    else:
        where = "in the files given" if not folders else "in the files and folders given"
    deeper = "" if recursive or not folders else " (use --recursive / 'Include subfolders' to look inside subfolders)"
    why = f" ({plan.skipped_sentence})" if plan.skipped else ""
    return f"No photos were found {where}{deeper}{why}; name JPEG, PNG, TIFF or WebP files."


def check_output_folder(out: str | os.PathLike[str]) -> Path:
    """The output folder as a full path; refused (one sentence) when it cannot be written. A
    folder that does not exist yet is made when the job starts."""
    path = Path(out).expanduser().absolute()
    refuse_too_long(path, "The output folder")
    shown = shown_path(path)
    try:
        if path.exists() and not path.is_dir():
            raise UserError(f"The output folder {shown} is a file; name a folder for the styled photos.")
        probe = path
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
        writable = probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UserError("The output folder's path is too long for this computer; choose a shorter one.") from None
        raise UserError(f"The output folder {shown} cannot be used ({exc.strerror or exc}); choose another folder.") from None
    if not writable:
        raise UserError(f"The output folder {shown} cannot be written to; choose a folder you can write to.")
    return path


def default_output_folder(style_name: str, first_input: str | os.PathLike[str]) -> Path:
    """A new folder named after the style beside the first input's folder."""
    first = Path(first_input).expanduser().absolute()
    folder = first if first.is_dir() else first.parent
    safe = "".join(c if c.isalnum() or c in " -_.,()" else "_" for c in style_name).strip(" .") or "Styled"
    base = folder.parent / safe[:80]
    candidate, n = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name} ({n})")
        n += 1
    return candidate
