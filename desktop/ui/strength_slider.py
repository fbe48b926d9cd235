"""``strength_slider``: the one strength control (0 to 100 %, steps of 1, pages of 10), in the
style's detail pane (``strength_editor``) and in the apply dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSlider


def strength_slider(name: str, tip: str) -> QSlider:
    """A horizontal 0-100 slider named ``name``, read out as "Strength", with the tooltip ``tip``."""
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setObjectName(name)
    slider.setRange(0, 100)
    slider.setSingleStep(1)
    slider.setPageStep(10)
    slider.setAccessibleName("Strength")
    slider.setToolTip(tip)
    return slider
