"""What every flow of the window shares: one dialog of its own at a time (``dialog``), which is
forgotten and deleted once it closes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from PySide6.QtWidgets import QDialog

D = TypeVar("D", bound=QDialog)


class DialogFlow(Generic[D]):
    """A flow of the window (``window`` is the MainWindow) with its one dialog."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.dialog: D | None = None

    def adopt(self, dialog: D) -> D:
        """``dialog`` is now the flow's own (it replaces none: close the old one first)."""
        dialog.finished.connect(lambda _r: self._closed(dialog))
        self.dialog = dialog
        return dialog

    def close_old(self) -> None:
        """The flow's dialog (if one is open) closes: a new one is about to replace it."""
        if self.dialog is not None:
            self.dialog.reject()

    def show(self, dialog: D) -> D:
        """Adopt ``dialog``, open it and bring it to the front."""
        self.adopt(dialog)
        dialog.open()
        dialog.raise_()
        return dialog

    def _closed(self, dialog: D) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
