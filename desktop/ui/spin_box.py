"""``spin_box``: the window's whole-number fields, each with its object name (how tests and
accessibility tools find it), its range, and a starting value kept inside that range."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox


def spin_box(
    name: str, low: int, high: int, value: int | None = None, *, suffix: str = "", step: int = 1
) -> QSpinBox:
    """A field named ``name`` for whole numbers ``low``..``high``, showing ``value`` (clamped into
    the range; ``low`` when left out) followed by ``suffix``."""
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(low if value is None else min(high, max(low, value)))
    box.setSuffix(suffix)
    return box
