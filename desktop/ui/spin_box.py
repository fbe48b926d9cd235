"""``spin_box``: the window's whole-number fields, each with its object name (how tests and
accessibility tools find it), its range, and a starting value kept inside that range;
``PlainNumberBox``: a field for numbers with a fraction that shows whole ones without ".0"."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox


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


class PlainNumberBox(QDoubleSpinBox):
    """A number with at most one decimal, shown as people write it: "7 days", "0.5 days"."""

    def __init__(self, name: str, low: float, high: float, value: float, *, suffix: str = "") -> None:
        super().__init__()
        self.setObjectName(name)
        self.setDecimals(1)
        self.setRange(low, high)
        self.setValue(value)
        self.setSuffix(suffix)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt naming
        return f"{round(value, 1):g}"
