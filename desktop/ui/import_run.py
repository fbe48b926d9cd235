"""One import a person started (a drop, File > Import…): its jobs, one per file, and what they
came to once all have ended ("2 styles imported; 1 was already in the library")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from desktop.jobs.model import SUCCEEDED, JobRow
from desktop.ui.async_utils import open_and_wait

# (parent) -> the chosen files (none when the person canceled)
OpenChooser = Callable[[QWidget], Awaitable[list[str]]]
IMPORT_FILTER = "Style packs and LUTs (*.stylepack *.cube *.png);;Style packs (*.stylepack);;Cube LUTs (*.cube);;HaldCLUT images (*.png);;All files (*)"


async def choose_import_paths(parent: QWidget) -> list[str]:
    """The platform's open dialog for one or more files (opened, never exec()-ed)."""
    dialog = QFileDialog(parent, "Import styles", "", IMPORT_FILTER)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    accepted = await open_and_wait(dialog) == QDialog.DialogCode.Accepted
    files = dialog.selectedFiles()
    dialog.deleteLater()
    return list(files) if accepted else []


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class ImportRun:
    job_ids: list[int]
    left_out: int = 0  # files of the same drop that were not for importing
    rows: dict[int, JobRow] = field(default_factory=dict)
    reported: bool = False

    def record(self, row: JobRow) -> bool:
        """Note an ended job; True once, when the last of the run's jobs has ended."""
        if row.id not in self.job_ids:
            return False
        self.rows[row.id] = row
        if self.reported or len(self.rows) < len(self.job_ids):
            return False
        self.reported = True
        return True

    def _results(self) -> list[dict[str, Any]]:
        out = []
        for job_id in self.job_ids:
            row = self.rows.get(job_id)
            if row is not None and row.status == SUCCEEDED and row.result:
                result = row.result_dict()
                if isinstance(result, dict):
                    out.append(result)
        return out

    def new_ids(self) -> list[int]:
        from desktop.pipelines.import_.request import imported_ids

        return [i for r in self._results() for i in imported_ids(r)]

    def skipped_ids(self) -> list[int]:
        return [int(s["id"]) for r in self._results() for s in r.get("skipped") or [] if isinstance(s, dict) and isinstance(s.get("id"), int)]

    def failed(self) -> int:
        return sum(1 for r in self.rows.values() if r.status != SUCCEEDED)

    def summary(self) -> str:
        new, skipped, failed = len(self.new_ids()), len(self.skipped_ids()), self.failed()
        parts = [f"{_plural(new, 'style')} imported" if new else "No style imported"]
        if skipped:
            parts.append(f"{skipped} {'was' if skipped == 1 else 'were'} already in the library")
        if failed:
            parts.append(f"{_plural(failed, 'file')} could not be imported (see Jobs)")
        if self.left_out:
            parts.append(f"{_plural(self.left_out, 'other file')} left out: drop photos on their own")
        return "; ".join(parts) + "."
