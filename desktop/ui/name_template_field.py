"""The Apply dialog's *Names* row: the output name template (``applyNameTemplateEdit``), a
*Fields* menu that inserts ``{stem}``, ``{style}``, ``{n}`` or ``{date}`` at the cursor, and
under it the name the first photo gets (``applyNameExampleLabel``). Empty: each photo keeps its
own name. A template the batch would refuse is named in one sentence (``refusal``), which the
dialog shows as its problem, with Start disabled. Checking is string work only (no disk), so it
runs as the person types."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.pipelines.apply.request import example_output_name, name_template_refusal
from desktop.text import printable
from desktop.ui.tones import reading_label

FIELDS = (
    ("{stem}", "the photo's own name"),
    ("{style}", "the style's name"),
    ("{n}", "its number in the batch: 1, 2, 3…"),
    ("{n:03}", "its number with three digits: 001, 002…"),
    ("{date}", "today's date, like 2026-12-08"),
)


class NameTemplateField(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        self.edit = QLineEdit()
        self.edit.setObjectName("applyNameTemplateEdit")
        self.edit.setAccessibleName("Output names")
        self.edit.setPlaceholderText("{stem}  (each photo keeps its own name)")
        self.edit.setToolTip(
            "How the styled photos are named, like {stem}-{style}; a name that is taken gets (2): nothing is overwritten"
        )
        self.edit.textChanged.connect(self._edited)
        self.fields_button = QToolButton()
        self.fields_button.setObjectName("applyNameFieldsButton")
        self.fields_button.setText("Fields")
        self.fields_button.setToolTip("Insert a field into the name")
        self.fields_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.fields_button)
        for field, meaning in FIELDS:
            action = menu.addAction(f"{field}  {meaning}")
            action.triggered.connect(lambda _on=False, f=field: self.insert(f))
        self.fields_button.setMenu(menu)
        row.addWidget(self.edit, 1)
        row.addWidget(self.fields_button)
        lay.addLayout(row)
        self.example = reading_label("applyNameExampleLabel", "")
        self.example.hide()
        lay.addWidget(self.example)
        self._first: str | None = None
        self._style = ""
        self._format = "same"

    def insert(self, field: str) -> None:
        self.edit.insert(field)
        self.edit.setFocus()

    def template(self) -> str | None:
        """The template as the batch takes it (None: the photos' own names)."""
        text = self.edit.text()
        return text if text.strip() else None

    def refusal(self) -> str:
        """The sentence refusing the template ('' when it names every photo)."""
        text = self.template()
        return (name_template_refusal(text) or "") if text is not None else ""

    def set_context(self, first_photo: str | None, style_name: str, fmt: str) -> None:
        """What the example is made of: the first photo styled, the style, the output format."""
        self._first, self._style, self._format = first_photo, style_name, fmt
        self._show_example()

    def _edited(self, _text: str) -> None:
        self._show_example()
        self.changed.emit()

    def _show_example(self) -> None:
        self.example.setVisible(self.template() is not None)  # no template: the placeholder says it
        if self._first is None or self.refusal():
            self.example.setText("")
            return
        name = example_output_name(self.template(), self._first, self._style, self._format)
        self.example.setText(f"The first photo becomes “{printable(name)}”.")
