"""The import flow: File > Import… (files chosen with ``open_chooser``, the platform's open
dialog; tests answer with paths of their own) or style packs and LUTs dropped anywhere on the
window queue one import job per file. Once all of one import's jobs have ended its new styles
are selected in the gallery and the status bar says what came of it.

A drop decides here what it is: on a card or the detail pane, photos to apply unless they are
packs or LUTs; on the gallery, packs and LUTs (a HaldCLUT PNG too) to import, anything else a
new style's reference."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QMimeData, QModelIndex

from desktop.errors import UserError
from desktop.jobs.model import JobRow
from desktop.ui import job_kinds
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.gallery import dropped_paths
from desktop.ui.import_drop import may_be_import, sort_drop
from desktop.ui.import_run import ImportRun, OpenChooser, choose_import_paths


class ImportFlow:
    """Queues imports, follows their jobs and shows what they brought in."""

    def __init__(self, window: Any) -> None:  # the MainWindow
        self.window = window
        self.open_chooser: OpenChooser = choose_import_paths
        self._runs: dict[int, ImportRun] = {}  # import job id -> the import it belongs to

    def import_files(self) -> None:
        """File > Import…: choose style packs and LUTs, then import them."""
        spawn(self._import_chosen(), name="import-files")

    async def _import_chosen(self) -> list[int]:
        paths = await self.open_chooser(self.window)
        return await self.start_import(paths) if paths else []

    async def start_import(self, paths: list[str], *, left_out: int = 0) -> list[int]:
        """Queue one import job per file and follow them; once all have ended the new styles are
        selected in the gallery and the status bar says what came of it. A refused file queues
        nothing and says why in one sentence. Returns the job ids."""
        window = self.window
        if window.runtime is None or window.jobs_model is None:
            return []
        from desktop.pipelines.import_.request import enqueue_import

        try:
            job_ids = await run_blocking(enqueue_import, window.runtime, list(paths))
        except UserError as exc:
            window.show_status(str(exc), 15000)
            return []
        run = ImportRun(job_ids, left_out)
        for job_id in job_ids:
            self._runs[job_id] = run
        for job_id in job_ids:
            row = window.jobs_model.find(job_id)
            if row is not None and row.is_finished:  # (already seen ended: a very fast job)
                self.import_ended(row)
        n = len(job_ids)
        window.show_status(f"Importing {n} file{'s' if n != 1 else ''}…", 15000)
        for job_id in job_ids:  # (an import that already failed still shows why, in its dialog)
            window.following.follow_job(job_id, job_kinds.IMPORT)
        return job_ids

    def import_ended(self, row: JobRow) -> None:
        run = self._runs.get(row.id)
        if run is None or not run.record(row):
            return
        for job_id in run.job_ids:
            self._runs.pop(job_id, None)
        spawn(self._import_finished(run), name="import-finished")

    async def _import_finished(self, run: ImportRun) -> None:
        window = self.window
        summary = run.summary()
        show = run.new_ids() or run.skipped_ids()
        if show and await window.reveal_style(show[0]):
            view = window.gallery.view
            for style_id in show[1:]:
                index = window.styles_model.index_of(style_id) if window.styles_model is not None else QModelIndex()
                if index.isValid():
                    view.selectionModel().select(index, QItemSelectionModel.SelectionFlag.Select)
        window.show_status(summary, 15000)

    def styles_imported(self, result: dict[str, Any]) -> None:
        """An import job succeeded: the gallery takes its style in (or re-reads for several)."""
        from desktop.pipelines.import_.request import imported_ids

        ids = imported_ids(result)
        if len(ids) == 1 and self.window.styles_model is not None:
            self.window.styles_model.take_new(ids[0])
        elif ids:
            self.window.refresh_gallery()

    # --- drops -------------------------------------------------------------------------------
    def photos_dropped(self, style_id: int, paths: list[str]) -> None:
        """Files dropped on a card or the detail pane: photos to apply, unless they are style
        packs or LUTs (imported)."""
        if any(may_be_import(p) for p in paths):
            spawn(self._sort_drop(paths, style_id, None), name="sort-drop")
        else:
            self.window.apply_flow.open(style_id, paths)

    def gallery_dropped(self, mime: QMimeData) -> None:
        """A drop on the gallery, not on a card: style packs and LUTs (a HaldCLUT PNG too) are
        imported, anything else is a new style's reference."""
        paths = dropped_paths(mime)
        if paths and any(may_be_import(p) for p in paths):
            keep = QMimeData()  # the drag's own data goes when the drop returns
            keep.setUrls(mime.urls())
            spawn(self._sort_drop(paths, None, keep), name="sort-drop")
        else:
            self.window.new_style_flow.reference_dropped(mime)

    async def _sort_drop(self, paths: list[str], style_id: int | None, mime: QMimeData | None) -> None:
        imports, others = await run_blocking(sort_drop, paths)
        if imports:
            await self.start_import(imports, left_out=len(others))
        elif style_id is not None:
            self.window.apply_flow.open(style_id, paths)
        elif mime is not None:
            self.window.new_style_flow.reference_dropped(mime)
