"""The new-style flow: the New style dialog (``newStyleDialog``) opened from the toolbar, the
menu, a paste or a dropped picture, its generation job followed, and the gallery taking the new
style in once the job has made it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from desktop.ui import job_kinds
from desktop.ui.dialog_flow import DialogFlow
from desktop.ui.new_style_dialog import NewStyleDialog
from desktop.ui.photo_files import PHOTO_SUFFIXES

IMAGE_SUFFIXES = PHOTO_SUFFIXES


class NewStyleFlow(DialogFlow[NewStyleDialog]):
    """Opens the one New style dialog and follows the generation job it queues."""

    def open(self, reference: Any = None) -> NewStyleDialog | None:
        """The New style dialog (the open one, if any), with ``reference`` as its picture."""
        window = self.window
        if window.runtime is None:
            return None
        dialog = self.dialog
        if dialog is None:
            dialog = NewStyleDialog(window.runtime, window)
            dialog.jobStarted.connect(lambda job_id: window.following.follow_job(job_id, job_kinds.GENERATE))
            self.adopt(dialog)
        if reference is not None:
            dialog.set_reference(reference)
        dialog.open()
        dialog.raise_()
        dialog.description.setFocus()
        return dialog

    def paste(self) -> None:
        """Ctrl+V on the window: an image (or an image file) on the clipboard becomes the
        reference of a new style."""
        if self.window.runtime is None:
            return
        mime = clipboard_image()
        if mime is None:
            self.window.show_status("The clipboard holds no image: copy an image or an image file, then paste.")
            return
        self.open(mime)

    def reference_dropped(self, mime: QMimeData) -> bool:
        """A drop that is not for a style: its image becomes a new style's reference."""
        dialog = self.open(None)
        return dialog is not None and dialog.drop_zone.take_mime(mime)


def clipboard_image() -> QMimeData | None:
    """A copy of the clipboard's image (or image files), or None when it holds neither."""
    source = QGuiApplication.clipboard().mimeData()
    if source is None:
        return None
    mime = QMimeData()
    if source.hasImage():
        image = QGuiApplication.clipboard().image()
        if not image.isNull():
            mime.setImageData(image)
            return mime
    files = [u for u in source.urls() if u.isLocalFile() and u.toLocalFile().lower().endswith(IMAGE_SUFFIXES)]
    if files:
        mime.setUrls(files)
        return mime
    return None
