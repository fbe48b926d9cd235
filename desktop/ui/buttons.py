"""``push_button``: the window's plain buttons, each with its object name (how tests and
accessibility tools find it), a tooltip and the slot it calls."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QPushButton


def push_button(text: str, name: str, tip: str, clicked: Callable[..., object]) -> QPushButton:
    """A button labelled ``text``, named ``name``, with the tooltip ``tip``; a click calls ``clicked``."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.clicked.connect(clicked)
    return button
