"""The apply flow: File > Apply to photos…, a drop of photos on a card or the detail pane, or
the detail pane's button open the apply dialog (``applyDialog``) for a style; its batch job is
followed, and once it has styled the photos a notice offers their folder."""

from __future__ import annotations

from typing import Any

from desktop.ui import job_kinds
from desktop.ui.apply_dialog import ApplyDialog
from desktop.ui.dialog_flow import DialogFlow


class ApplyFlow(DialogFlow[ApplyDialog]):
    """Opens the one apply dialog and says where a finished batch put its photos."""

    def apply_to_photos(self) -> ApplyDialog | None:
        """File > Apply to photos…: the apply dialog for the selected style (photos are added
        there, or dropped on it)."""
        style_id = self.window.selected_style_id()
        if style_id is None:
            self.window.show_status("Select a style first, then apply it to photos.")
            return None
        return self.open(style_id, [])

    def open(self, style_id: int, inputs: list[str]) -> ApplyDialog | None:
        """The apply dialog for ``style_id`` with these files and folders (a drop on a card or on
        the detail pane, or none from the menu). One at a time: a new one replaces the last."""
        window = self.window
        if window.runtime is None:
            return None
        self.close_old()
        dialog = ApplyDialog(window.runtime, int(style_id), [str(p) for p in inputs], window)
        dialog.jobStarted.connect(lambda job_id: window.following.follow_job(job_id, job_kinds.APPLY))
        return self.show(dialog)

    def batch_done(self, job_id: int, result: dict[str, Any], *, followed: bool) -> None:
        """A batch succeeded: a notice offers its folder (once per job)."""
        window = self.window
        if not window.following.first_notice(job_id):
            return
        out = window.local_folder(str(result["out"]))
        done, failed = int(result.get("done") or 0), int(result.get("failed") or 0)
        text = f"{done} photo{'s' if done != 1 else ''} styled into {out}"
        if failed:
            text += f"; {failed} could not be styled (the batch's dialog and the Jobs panel list them)"
        window.notifier.offer("Photos styled", text, "Open folder", lambda: window.open_folder(out), tray=not followed)
