"""``push_button``: the window's plain buttons, each with its object name (how tests and
accessibility tools find it), a tooltip and the slot it calls; ``disclosure_button``: a
"▸ Advanced" toggle that shows or hides a part of a dialog."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QToolButton


def push_button(text: str, name: str, tip: str, clicked: Callable[..., object]) -> QPushButton:
    """A button labelled ``text``, named ``name``, with the tooltip ``tip``; a click calls ``clicked``."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.clicked.connect(clicked)
    return button


def disclosure_button(text: str, name: str, tip: str, toggled: Callable[[bool], object]) -> QToolButton:
    """A flat toggle named ``name`` whose arrow points right when closed and down when open;
    each toggle calls ``toggled(open)``."""
    button = QToolButton()
    button.setObjectName(name)
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(True)
    button.setAutoRaise(True)
    button.setArrowType(Qt.ArrowType.RightArrow)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def flip(shown: bool) -> None:
        button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        toggled(shown)

    button.toggled.connect(flip)
    return button
