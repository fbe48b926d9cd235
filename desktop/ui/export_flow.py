"""The export flow: File > Export… or the detail pane's Export… open the export dialog for the
selected styles; where the file goes is asked with ``save_chooser`` (the platform's save dialog;
tests answer with a path of their own). The export job is followed, and once the file is
written a notice offers its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.ui import job_kinds
from desktop.ui.dialog_flow import DialogFlow
from desktop.ui.export_dialog import ExportDialog, SaveChooser, choose_save_path


class ExportFlow(DialogFlow[ExportDialog]):
    """Opens the one export dialog and says where a finished export put its file."""

    def __init__(self, window: Any) -> None:  # the MainWindow
        super().__init__(window)
        self.save_chooser: SaveChooser = choose_save_path

    def export_selected(self) -> ExportDialog | None:
        """File > Export…: the export dialog for the gallery's selected styles."""
        window = self.window
        ids = window.gallery.view.selected_style_ids() if window.styles_model is not None else []
        if not ids:
            window.show_status("Select one or several styles first (Ctrl+click, or Ctrl+A for all), then export.")
            return None
        return self.open(ids)

    def export_from_detail(self, style_id: int) -> ExportDialog | None:
        """The detail pane's Export…: its style, or the whole selection when it is part of one."""
        window = self.window
        ids = window.gallery.view.selected_style_ids() if window.styles_model is not None else []
        return self.open(ids if style_id in ids else [style_id])

    def open(self, style_ids: list[int]) -> ExportDialog | None:
        window = self.window
        if window.runtime is None or not style_ids:
            return None
        styles = []
        for style_id in style_ids:
            card = window.styles_model.find(style_id) if window.styles_model is not None else None
            if card is not None:
                name = card.name
            elif window.detail.style is not None and window.detail.style.id == style_id:
                name = window.detail.style.name
            else:
                name = f"Style {style_id}"
            styles.append((style_id, name))
        self.close_old()
        dialog = ExportDialog(window.runtime, styles, lambda *a: self.save_chooser(*a), window)
        dialog.jobStarted.connect(lambda job_id, _out: window.following.follow_job(job_id, job_kinds.EXPORT))
        return self.show(dialog)

    def export_done(self, job_id: int, result: dict[str, Any], *, followed: bool) -> None:
        """An export succeeded: a notice offers its folder (once per job)."""
        window = self.window
        if not window.following.first_notice(job_id):
            return
        out = Path(str(result["out"]))
        n = len(result.get("styles") or [])
        what = f"{n} styles" if n > 1 else "The style"
        window.notifier.offer("Exported", f"{what} saved as {out.name} in {out.parent}", "Show in folder",
                              lambda: window.open_folder(str(out.parent)), tray=not followed)
