"""The detail pane's grain and vignette controls, beside the strength: they start at the style's
own levels, the before/after follows them, "Save strength" saves them with the real
style.strength job, and the pane then shows the saved levels and the effects it lists."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider

from desktop.library.reading import Library
from desktop.pipelines.generate.request import enqueue_style
from desktop.resources import sample_photos
from tests.ui.conftest import wait_until

WAIT = 60.0
ROCKET = next(p for p in sample_photos() if p.name == "rocket.jpg")


def make_style(window, description: str) -> int:
    runtime = window.runtime
    job_id = enqueue_style(runtime, description, reference=ROCKET, previews=1, size=192, seed=5)
    wait_until(lambda: runtime.engine.get(job_id).is_finished, WAIT)
    assert runtime.engine.get(job_id).status == "succeeded", runtime.engine.get(job_id).error
    return runtime.engine.get(job_id).result_dict()["id"]


def test_grain_and_vignette_follow_the_controls_and_are_saved(qtbot, window):
    style_id = make_style(window, "warm film grain")
    detail = window.detail
    detail.show_style(style_id)
    wait_until(lambda: detail.style is not None and detail.style.id == style_id)
    editor = detail.strength
    grain = detail.findChild(QSlider, "styleGrainSlider")
    size = detail.findChild(QComboBox, "styleGrainSizeBox")
    vignette = detail.findChild(QSlider, "styleVignetteSlider")
    save = detail.findChild(QPushButton, "styleStrengthSaveButton")
    assert grain.isVisibleTo(detail) and vignette.isVisibleTo(detail)
    assert (grain.value(), size.currentText(), vignette.value()) == (50, "Fine", 0)  # "film grain", no vignette
    assert grain.accessibleName() == "Grain" and size.accessibleName() == "Grain size" and vignette.toolTip()
    wait_until(lambda: editor.shown() is not None, WAIT)
    assert not save.isEnabled()

    grain.setValue(0)
    vignette.setValue(70)
    size.setCurrentIndex(2)
    wait_until(lambda: editor.shown() is not None and dict(editor.shown().levels)["vignette"] == 70, WAIT)
    assert "70 %" in detail.findChild(QLabel, "styleVignetteSliderValue").text()
    assert not size.isEnabled()  # no grain to size
    assert save.isEnabled() and "grain and vignette" in editor.note.text()
    after = detail.strength.preview.after_image()
    corner, centre = after.pixelColor(2, 2).lightness(), after.pixelColor(after.width() // 2, after.height() // 2).lightness()
    before = detail.strength.preview.before_image()
    assert corner / max(1, centre) < before.pixelColor(2, 2).lightness() / max(1, before.pixelColor(before.width() // 2, before.height() // 2).lightness())

    changed: list[int] = []
    detail.styleChanged.connect(changed.append)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    wait_until(lambda: changed == [style_id], WAIT)
    wait_until(lambda: detail.style is not None and detail.style.params.get("vignette") == 70, WAIT)
    saved = Library(window.runtime.db, window.runtime.paths).require(style_id).params
    assert (saved["grain"], saved["vignette"]) == (0, 70)
    assert (grain.value(), vignette.value()) == (0, 70) and not save.isEnabled()
    effects = detail.findChild(QLabel, "styleEffectsLabel").text()
    assert "vignette" in effects and "film grain" not in effects
