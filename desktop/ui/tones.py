"""Text tones derived from the current palette, kept right when the palette changes.

A dim note or an error sentence must stay readable in a light and a dark palette, including
when the system switches while the app runs. Stylesheet colours (``palette(...)``) are resolved
once when a widget is polished, so a label styled that way keeps the old palette's colour:
``ToneLabel`` instead sets its text colour from its palette and again on every
``QEvent.PaletteChange``.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

# Error reds: the darker one reads on light windows, the lighter one on dark windows.
_ERROR_ON_LIGHT = QColor(192, 57, 43)
_ERROR_ON_DARK = QColor(255, 123, 114)


class Tone(Enum):
    NORMAL = "normal"
    DIM = "dim"  # secondary text: notes, hints, times, section headers
    ERROR = "error"


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window).lightnessF() < 0.5


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way towards ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def tone_color(palette: QPalette, tone: Tone, group: QPalette.ColorGroup = QPalette.ColorGroup.Active) -> QColor:
    """The text colour of ``tone`` on this palette's window background."""
    text = palette.color(group, QPalette.ColorRole.WindowText)
    if tone is Tone.ERROR:
        return QColor(_ERROR_ON_DARK if is_dark(palette) else _ERROR_ON_LIGHT)
    if tone is Tone.DIM:
        # 40 % towards the background: clearly secondary, still well readable on either
        return blend(text, palette.color(group, QPalette.ColorRole.Window), 0.4)
    return text


def error_color(palette: QPalette) -> QColor:
    return tone_color(palette, Tone.ERROR)


class ToneLabel(QLabel):
    """A label whose text colour follows its tone and the palette (light or dark)."""

    def __init__(self, text: str = "", tone: Tone = Tone.DIM, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._tone = tone
        self._apply_tone()

    @property
    def tone(self) -> Tone:
        return self._tone

    def set_tone(self, tone: Tone) -> None:
        self._tone = tone
        self._apply_tone()

    def _inherited(self) -> QPalette:
        """The palette this label would have without its own text colour."""
        parent = self.parentWidget()
        return QPalette(parent.palette()) if parent is not None else QApplication.palette(self)

    def _apply_tone(self) -> None:
        base = self._inherited()
        if self._tone is Tone.NORMAL:
            if self.testAttribute(Qt.WidgetAttribute.WA_SetPalette):
                self.setPalette(QPalette())  # inherit again
            return
        groups = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
        wanted = {g: tone_color(base, self._tone, g) for g in groups}
        current = self.palette()
        if self.testAttribute(Qt.WidgetAttribute.WA_SetPalette) and all(
            current.color(g, QPalette.ColorRole.WindowText) == c for g, c in wanted.items()
        ):
            return  # already right (this also ends the PaletteChange that setPalette sends)
        own = QPalette()
        for group, color in wanted.items():
            own.setColor(group, QPalette.ColorRole.WindowText, color)
        self.setPalette(own)  # only the text colour is ours; the rest follows the parent

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_tone()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange:
            self._apply_tone()
        return super().event(event)


def reading_label(
    name: str = "",
    text: str = "",
    *,
    tone: Tone | None = None,
    text_format: Qt.TextFormat | None = None,
    accessible: str = "",
    selectable: bool = True,
) -> QLabel:
    """A label to read: wrapping, named ``name``, in ``tone`` (a ``ToneLabel``) if given;
    ``selectable``: its text can be selected with the mouse (to copy)."""
    label = QLabel(text) if tone is None else ToneLabel(text, tone=tone)
    if name:
        label.setObjectName(name)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if text_format is not None:
        label.setTextFormat(text_format)
    if accessible:
        label.setAccessibleName(accessible)
    return label


def error_label(name: str, *, selectable: bool = True) -> ToneLabel:
    """A dialog's error line (named ``name``): in the error tone, wrapping, hidden until there
    is an error to show; ``selectable``: its text can be selected with the mouse (to copy)."""
    label = reading_label(name, tone=Tone.ERROR, selectable=selectable)
    label.hide()
    return label  # type: ignore[return-value]
