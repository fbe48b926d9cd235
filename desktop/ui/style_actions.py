"""Delete with Undo, and Duplicate, in the window (issue 21 §3).

Delete does not ask: the style leaves the gallery at once (``desktop.library.trash``), the
neighbouring card is selected, and the status bar offers "Deleted “Name” · Undo" for
``UNDO_SECONDS`` (Edit › Undo delete, Ctrl+Z, does the same while it shows). Undo puts the style
back exactly where it was and selects it. After that the command line can still restore it
(``stylestudio styles restore``) until the library purges it.

Duplicate (Edit › Duplicate, Ctrl+D, or a card's context menu) copies the selected style, files
and all, as "Name copy" and selects the copy. Both run the library's blocking work off the GUI
thread; other windows on the library see the change through the usual change watching.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QMenu, QToolButton, QWidget

from desktop.errors import UserError
from desktop.library.duplicating import duplicate_style
from desktop.library.trash import DeletedStyle, delete_style, keep_days, restore_style
from desktop.ui.async_utils import run_blocking, signal_future, spawn
from desktop.ui.styles_model import StyleIdRole

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

UNDO_SECONDS = 30  # how long the status bar offers Undo after a delete
NAME_CHARS = 40  # a long name is cut in the status bar (the whole name is in the tooltip)


class UndoBar(QWidget):
    """"Deleted “Name” · Undo" in the status bar, for ``UNDO_SECONDS``."""

    undoClicked = Signal()
    expired = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 8, 0)
        row.setSpacing(4)
        self.label = QLabel()
        self.label.setObjectName("undoLabel")
        self.button = QToolButton()
        self.button.setObjectName("undoButton")
        self.button.setText("Undo")
        self.button.setAutoRaise(True)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setStyleSheet("QToolButton { font-weight: 600; padding: 0 6px; }")
        self.button.clicked.connect(self.undoClicked)
        row.addWidget(self.label)
        row.addWidget(self.button)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._expire)
        self.hide()

    def offer(self, name: str, seconds: float = UNDO_SECONDS) -> None:
        short = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1].rstrip() + "…"
        self.label.setText(f"Deleted “{short}” ·")
        self.button.setToolTip(f"Bring back “{name}” (Ctrl+Z)")
        self.button.setAccessibleName(f"Undo deleting {name}")
        self.show()
        self.timer.start(int(seconds * 1000))

    def withdraw(self) -> None:
        self.timer.stop()
        self.hide()

    def _expire(self) -> None:
        self.hide()
        self.expired.emit()


class StyleActions(QObject):
    """The window's Delete (with Undo) and Duplicate of the selected style."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.recent: list[DeletedStyle] = []  # deleted here, newest last, while Undo is offered
        self.bar = UndoBar()
        win.statusBar().insertPermanentWidget(0, self.bar)
        self.bar.undoClicked.connect(self.undo_delete)
        self.bar.expired.connect(self._forget)
        win.detail.deleteRequested.connect(lambda style_id: spawn(self.delete(style_id), name="delete-style"))
        view = win.gallery.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.card_menu)
        self.menu: QMenu | None = None

    @property
    def can_undo(self) -> bool:
        return bool(self.recent)

    # --- menu slots -------------------------------------------------------------------------
    def delete_selected(self) -> None:
        """Edit › Delete style (the Delete key)."""
        style_id = self.win.selected_style_id()
        if style_id is None:
            self.win.show_status("Select a style to delete first.")
        else:
            spawn(self.delete(style_id), name="delete-style")

    def duplicate_selected(self) -> None:
        """Edit › Duplicate (Ctrl+D)."""
        style_id = self.win.selected_style_id()
        if style_id is None:
            self.win.show_status("Select a style to duplicate first.")
        else:
            spawn(self.duplicate(style_id), name="duplicate-style")

    def undo_delete(self) -> None:
        """Edit › Undo delete (Ctrl+Z), or the status bar's Undo."""
        if self.recent:
            spawn(self.undo(), name="undo-delete")

    def card_menu(self, pos: QPoint) -> None:
        """A card's context menu: the window's actions for the style under the pointer."""
        view = self.win.gallery.view
        index = view.indexAt(pos)
        if not index.isValid():
            return
        if index.data(StyleIdRole) not in view.selected_style_ids():
            view.setCurrentIndex(index)
        acts = self.win.window_actions
        menu = QMenu(view)
        menu.setObjectName("styleContextMenu")
        for entry in (acts.apply, None, acts.rename, acts.duplicate, acts.copy_prompt, acts.export, None, acts.delete):
            if entry is None:
                menu.addSeparator()
            else:
                menu.addAction(entry)
        menu.aboutToHide.connect(menu.deleteLater)
        self.menu = menu
        menu.popup(view.viewport().mapToGlobal(pos))

    # --- the work ---------------------------------------------------------------------------
    async def delete(self, style_id: int) -> None:
        win = self.win
        if win.library is None or win.runtime is None:
            return
        view = win.gallery.view
        neighbour = _neighbour(view, style_id)
        days = keep_days(win.runtime.settings.retention_days)
        try:
            gone = await run_blocking(delete_style, win.library.db, style_id, days=days)
        except UserError as exc:
            win.show_status(str(exc))
            return
        self.recent.append(gone)
        self.bar.offer(gone.name)
        self._update_undo()
        if win.detail.style is not None and win.detail.style.id == style_id:
            win.detail.show_style(None)
        model = win.styles_model
        if model is None:
            return
        refreshed = signal_future(model.refreshed)
        model.refresh()
        try:
            await asyncio.wait_for(refreshed, 10)
        except TimeoutError:
            return
        if neighbour is not None and model.row_of(neighbour) >= 0:
            view.setCurrentIndex(model.index_of(neighbour))  # the next card takes the selection

    async def undo(self) -> None:
        win = self.win
        if not self.recent or win.library is None:
            return
        gone = self.recent.pop()
        if self.recent:
            self.bar.offer(self.recent[-1].name)
        else:
            self.bar.withdraw()
        self._update_undo()
        try:
            await run_blocking(restore_style, win.library.db, gone.id)
        except UserError as exc:
            win.show_status(str(exc))
            return
        win.show_status(f"Restored “{gone.name}”")
        await win.reveal_style(gone.id)

    async def duplicate(self, style_id: int) -> None:
        win = self.win
        if win.library is None:
            return
        try:
            new_id, name = await run_blocking(duplicate_style, win.library, style_id)
        except UserError as exc:
            win.show_status(str(exc))
            return
        win.style_made({"table": "styles", "id": new_id})
        win.show_status(f"Duplicated as “{name}”")
        await win.reveal_style(new_id)

    def _forget(self) -> None:
        """The Undo offer ended: the deleted styles stay restorable from the command line."""
        self.recent.clear()
        self._update_undo()

    def _update_undo(self) -> None:
        act = getattr(self.win, "window_actions", None)
        if act is not None:
            act.undo.setEnabled(bool(self.recent))
            name = self.recent[-1].name if self.recent else ""
            act.undo.setText(f"&Undo delete “{name}”" if name else "&Undo delete")


def _neighbour(view: QListView, style_id: int) -> int | None:
    """The card to select once ``style_id``'s card (the current one) is gone: the next, else
    the one before; None when ``style_id`` is not the current card."""
    current = view.currentIndex()
    if not current.isValid() or current.data(StyleIdRole) != style_id:
        return None
    model = view.model()
    for row in (current.row() + 1, current.row() - 1):
        if 0 <= row < model.rowCount():
            return model.index(row, 0).data(StyleIdRole)
    return None
