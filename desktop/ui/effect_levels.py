"""The detail pane's effect controls, beside the strength: the style's grain (``styleGrainSlider``,
0–100 %, 50 % being what "film grain" gives), its size (``styleGrainSizeBox``: fine, medium,
coarse) and its vignette (``styleVignetteSlider``, 0–100 % darker at the corners). Saved with
the strength by the same job (``desktop.pipelines.strength``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSlider, QWidget

from desktop.ui.strength_slider import strength_slider

SIZES = ("fine", "medium", "coarse")


def _slider(name: str, spoken: str, tip: str) -> QSlider:
    """A 0-100 slider like the strength's, read out as ``spoken``."""
    slider = strength_slider(name, tip)
    slider.setAccessibleName(spoken)
    return slider


class EffectLevels(QWidget):
    """Grain amount and size, vignette amount; ``changed`` on every move."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("styleEffectLevels")
        self.grain = _slider(
            "styleGrainSlider", "Grain", "Film grain, from 0 % (none) to 100 %; 50 % is what the words 'film grain' give"
        )
        self.size = QComboBox()
        self.size.setObjectName("styleGrainSizeBox")
        self.size.addItems([s.capitalize() for s in SIZES])
        self.size.setAccessibleName("Grain size")
        self.size.setToolTip("How big the grain is; it keeps its size relative to the photo at any resolution")
        self.vignette = _slider("styleVignetteSlider", "Vignette", "How much darker the corners get, from 0 % (none) to 100 %")
        self.grain_value, self.vignette_value = QLabel("0 %"), QLabel("0 %")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for col, (label, slider, value) in enumerate((("Grain", self.grain, self.grain_value), ("Vignette", self.vignette, self.vignette_value))):
            value.setObjectName(f"{slider.objectName()}Value")
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance("100 %") + 4)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            name = QLabel(label)
            name.setBuddy(slider)
            grid.addWidget(name, col, 0)
            grid.addWidget(slider, col, 1)
            grid.addWidget(value, col, 2)
        grid.addWidget(self.size, 0, 3)
        grid.setColumnStretch(1, 1)
        self.grain.valueChanged.connect(self._moved)
        self.vignette.valueChanged.connect(self._moved)
        self.size.currentIndexChanged.connect(self._moved)

    def set_levels(self, levels: dict[str, Any]) -> None:
        """Show ``levels`` (grain, grain_size, vignette) without emitting ``changed``."""
        for widget in (self.grain, self.vignette, self.size):
            widget.blockSignals(True)
        self.grain.setValue(int(levels.get("grain", 0)))
        self.vignette.setValue(int(levels.get("vignette", 0)))
        size = levels.get("grain_size")
        self.size.setCurrentIndex(SIZES.index(size) if size in SIZES else 0)
        for widget in (self.grain, self.vignette, self.size):
            widget.blockSignals(False)
        self._labels()

    def levels(self) -> dict[str, Any]:
        return {"grain": self.grain.value(), "grain_size": SIZES[self.size.currentIndex()], "vignette": self.vignette.value()}

    def _moved(self, *_args: Any) -> None:
        self._labels()
        self.changed.emit()

    def _labels(self) -> None:
        self.grain_value.setText(f"{self.grain.value()} %")
        self.vignette_value.setText(f"{self.vignette.value()} %")
        self.grain.setAccessibleDescription(f"{self.grain.value()} per cent")
        self.vignette.setAccessibleDescription(f"{self.vignette.value()} per cent")
        self.size.setEnabled(self.grain.value() > 0)
