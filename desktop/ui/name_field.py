"""``NameField``: a style's name as the detail pane's heading, renamed in place.

F2 (Edit › Rename), a double-click on the heading or its Rename… button turn the heading into a
text field holding the name, all selected: Enter or leaving the field asks for the new name
(``renameRequested``), Escape puts the heading back unchanged. The pane saves the name off the
GUI thread and shows the stored one (``show_name``), or the refusal in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QStackedWidget, QWidget


class _NameEdit(QLineEdit):
    canceled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.key() == Qt.Key.Key_Escape:
            event.accept()
            self.canceled.emit()
            return
        super().keyPressEvent(event)


class NameField(QStackedWidget):
    renameRequested = Signal(str)  # the name typed, when it differs from the one shown

    def __init__(self, heading: QLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = heading
        self.edit = _NameEdit()
        self.edit.setObjectName("styleNameEdit")
        self.edit.setAccessibleName("Style name")
        self.edit.setToolTip("Enter saves the new name; Escape keeps the old one")
        self.edit.setFont(heading.font())
        self.edit.setMaxLength(200)
        self.addWidget(heading)
        self.addWidget(self.edit)
        heading.setToolTip("Double-click (or press F2) to rename this style")
        heading.installEventFilter(self)
        self._asking = False  # the field is open and its text may become the new name
        self.edit.editingFinished.connect(self._finished)
        self.edit.canceled.connect(self._cancel)

    @property
    def editing(self) -> bool:
        return self.currentWidget() is self.edit

    def show_name(self, name: str) -> None:
        """Show ``name`` as the heading (ending any editing without asking for a rename)."""
        self._asking = False
        self.heading.setText(name)
        self.setCurrentWidget(self.heading)

    def begin(self) -> None:
        """Turn the heading into a field holding the name, all of it selected, with the focus."""
        self.edit.setText(self.heading.text())
        self._asking = True
        self.setCurrentWidget(self.edit)
        self.edit.selectAll()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self.heading and event.type() == QEvent.Type.MouseButtonDblClick and self.heading.text():
            self.begin()
            return True
        return super().eventFilter(watched, event)

    def _finished(self) -> None:
        if not self._asking:
            return  # Escape already put the heading back (hiding the field ends its editing too)
        self._asking = False
        typed = self.edit.text()
        self.setCurrentWidget(self.heading)
        if typed.strip() != self.heading.text():
            self.renameRequested.emit(typed)

    def _cancel(self) -> None:
        self._asking = False
        self.setCurrentWidget(self.heading)
