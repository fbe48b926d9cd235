"""Keep a dialog tall enough for its wrapped text.

A window given a minimum width of its own (``setMinimumWidth``) no longer takes its minimum
size from its layout, and a layout's minimum size never counts how tall wrapped text gets at
the window's width. A note or an error that appears later (a second line, a third) then has no
room, and Qt squeezes rows over each other. ``fit_height`` sets the minimum height the rows
need at the current width and grows the window to it; call it when such text changes and when
the width does.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def needed_height(window: QWidget) -> int:
    layout = window.layout()
    if layout is None:
        return window.minimumSizeHint().height()
    layout.activate()
    need = layout.totalMinimumSize().height()
    if layout.hasHeightForWidth():
        need = max(need, layout.totalMinimumHeightForWidth(window.width()))
    return need


def fit_height(window: QWidget) -> None:
    need = needed_height(window)
    window.setMinimumHeight(need)
    if need > window.height():
        window.resize(window.width(), need)
