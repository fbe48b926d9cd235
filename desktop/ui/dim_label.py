"""A secondary ("dim") label whose colour follows the palette, also when it changes while the
app runs (the system switching to a dark theme).

A style sheet's ``palette(placeholder-text)`` is read once, when the sheet is applied, so a
label styled that way keeps its light-theme grey on a dark window. ``DimLabel`` instead mixes
its parent's text colour towards the window colour and does so again on every palette change.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from desktop.ui.tones import Tone, ToneLabel, blend

DIM = 0.4  # how far towards the background the text goes (0: full text colour)


def dim_text_color(
    palette: QPalette,
    amount: float = DIM,
    text_role: QPalette.ColorRole = QPalette.ColorRole.WindowText,
    back_role: QPalette.ColorRole = QPalette.ColorRole.Window,
) -> QColor:
    """The text colour moved ``amount`` of the way towards the background colour: readable on
    any palette that is itself readable (unlike ``PlaceholderText``, which a hand-made dark
    palette often leaves at its light-theme grey). For text on a list, pass ``Text``/``Base``."""
    return blend(palette.color(text_role), palette.color(back_role), amount)


class DimLabel(ToneLabel):
    """A ``ToneLabel`` in the dim tone (secondary text)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, Tone.DIM, parent)
