"""The detail pane tells a style's story and lets its strength change: a live before/after that
follows the slider, "Save strength" running the real style.strength job, the words and effects
said in plain words, pictures that enlarge, and the hooks for applying the style to photos
(the Apply button, and files or folders dropped on the pane)."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QDialog, QLabel, QPushButton, QSlider, QWidget

from desktop.imaging.grade import DEFAULT_STRENGTH
from desktop.library.reading import Library
from desktop.pipelines.generate.request import enqueue_style
from desktop.resources import sample_photos
from desktop.ui.before_after import BeforeAfterView
from tests.ui.conftest import drop_files, wait_until
from tests.ui.sample_library import add_styles

WAIT = 60.0  # a style job renders in worker processes: generous on a loaded machine


def _generate(window, description: str) -> int:
    coffee = next(p for p in sample_photos() if p.name == "coffee.png")
    job_id = enqueue_style(window.runtime, description, reference=coffee, previews=2, size=192, seed=5)
    engine = window.runtime.engine
    wait_until(lambda: engine.get(job_id).is_finished, WAIT)
    row = engine.get(job_id)
    assert row.status == "succeeded", row.error
    return row.result_dict()["id"]


def _show(window, style_id: int):
    detail = window.detail
    detail.show_style(style_id)
    wait_until(lambda: detail.style is not None and detail.style.id == style_id)
    return detail


def _distance(a: QImage, b: QImage) -> float:
    """Mean difference of the two pictures' channels over a grid of points (0..255)."""
    assert a.size() == b.size() and not a.isNull()
    total, n = 0, 0
    for y in range(0, a.height(), max(1, a.height() // 24)):
        for x in range(0, a.width(), max(1, a.width() // 24)):
            pa, pb = a.pixelColor(x, y), b.pixelColor(x, y)
            total += abs(pa.red() - pb.red()) + abs(pa.green() - pb.green()) + abs(pa.blue() - pb.blue())
            n += 3
    return total / n


def test_the_slider_moves_the_live_before_after_and_save_rewrites_the_style(qtbot, window, tmp_path):
    window.resize(1024, 640)  # the pane scrolls: Save strength keeps its scroll position
    style_id = _generate(window, "warm film grain, teal shadows")
    detail = _show(window, style_id)
    slider = detail.findChild(QSlider, "styleStrengthSlider")
    preview = detail.findChild(BeforeAfterView, "styleStrengthPreview")
    save = detail.findChild(QPushButton, "styleStrengthSaveButton")
    editor = detail.strength
    default = round(100 * DEFAULT_STRENGTH)
    assert slider.value() == default and f"{default} %" in editor.value_label.text()
    assert not save.isEnabled(), "nothing to save at the stored strength"
    wait_until(lambda: editor.shown() is not None and editor.shown().strength == default, WAIT)
    strong = _distance(preview.before_image(), preview.after_image())

    slider.setValue(5)
    wait_until(lambda: editor.shown().strength == 5, WAIT)
    assert "5 %" in editor.value_label.text()
    weak = _distance(preview.before_image(), preview.after_image())
    assert weak < strong, "at 5 % the after is closer to the before than at the default"

    for value in range(10, 61, 10):  # rapid moves: the latest wins
        slider.setValue(value)
    wait_until(lambda: editor.shown().strength == 60, WAIT)
    assert save.isEnabled()
    bar = detail.page.verticalScrollBar()
    wait_until(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum() // 2)
    where = bar.value()
    loads: list[tuple[int, object, int]] = []  # (style, its strength, the scroll position) as each load ends
    detail.loaded.connect(lambda sid: loads.append((sid, detail.style.params.get("strength"), bar.value())))
    started: list[int] = []
    changed: list[int] = []
    detail.jobStarted.connect(started.append)
    detail.styleChanged.connect(changed.append)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    wait_until(lambda: len(started) == 1)
    engine = window.runtime.engine
    wait_until(lambda: engine.get(started[0]).is_finished, WAIT)
    row = engine.get(started[0])
    assert row.type == "style.strength" and row.status == "succeeded", row.error
    wait_until(lambda: changed == [style_id])
    wait_until(lambda: detail.style is not None and detail.style.params.get("strength") == 60, WAIT)
    assert slider.value() == 60 and "Saved at 60 %" in editor.note.text()
    wait_until(lambda: any(strength == 60 for _sid, strength, _at in loads), WAIT)
    assert [at for _sid, strength, at in loads if strength == 60][:1] == [where], loads
    assert bar.value() == where, "the pane did not jump"
    assert not save.isEnabled()
    saved = Library(window.runtime.db, window.runtime.paths).require(style_id)
    assert "# Strength: 60%" in saved.lut_path.read_text()

    # the photo to preview on: another sample from the menu (the nearly black one last), or one of the person's
    editor.fill_photo_menu()
    labels = [a.text() for a in editor.photo_menu.actions() if a.text()]
    assert labels[0] == "The style's own sample" and labels[-2] == "Hubble deep field (nearly black)", labels
    chelsea = next(a for a in editor.photo_menu.actions() if a.text() == "Chelsea")
    chelsea.trigger()
    wait_until(lambda: editor.shown().source.endswith("chelsea.png"), WAIT)
    assert editor.sample_button.isChecked() and editor.sample_button.text() == "On chelsea"
    mine = tmp_path / "my_street.jpg"
    Image.new("RGB", (80, 120), (200, 120, 60)).save(mine)
    editor.choose_photo(str(mine))
    wait_until(lambda: editor.shown().source == str(mine), WAIT)
    before = preview.before_image()
    assert before.height() > before.width(), "the person's (portrait) photo is shown"
    assert before.pixelColor(before.width() // 2, before.height() // 2).red() > 180
    editor.choose_photo(None)
    wait_until(lambda: editor.shown().source == "sample", WAIT)


def test_the_story_says_what_the_words_did_and_the_pictures_enlarge(qtbot, window):
    style_id = _generate(window, "warm film grain, zorbly")
    detail = _show(window, style_id)
    words = detail.findChild(QLabel, "styleWordsLabel").text()
    assert "warm → warmer" in words
    assert "film grain → effect" in words
    assert "Not understood: zorbly" in words
    effects = detail.findChild(QLabel, "styleEffectsLabel").text()
    assert effects.startswith("In the .cube: ") and "warmer" in effects.splitlines()[0]
    assert "Effects (Style Studio only): film grain" in effects
    quality = detail.findChild(QLabel, "styleQualityLabel")
    assert quality.isVisibleTo(detail) and quality.text().startswith("Follows your words (warm)")

    # every control the pane now has can be named by a screen reader; every button has a tip
    from tests.ui.test_accessibility import controls_of, describe, spoken_name

    controls = [w for w in controls_of(window) if detail.isAncestorOf(w)]
    assert detail.findChild(QSlider, "styleStrengthSlider") in controls
    assert [describe(w) for w in controls if not spoken_name(w)] == []
    assert [describe(w) for w in controls if isinstance(w, QAbstractButton) and not w.toolTip()] == []

    reference = detail.findChild(QWidget, "styleReferenceImage")
    assert reference is not None and reference.isVisibleTo(detail)
    first = detail.previews.itemAtPosition(0, 0).widget()
    assert first is reference, "the reference comes first"
    wait_until(lambda: reference.pixmap() is not None)
    qtbot.mouseClick(reference, Qt.MouseButton.LeftButton)
    dialog = detail.findChild(QDialog, "styleImageDialog")
    assert dialog is not None and dialog.isVisible()
    wait_until(lambda: dialog.loaded and not dialog.view.image.isNull())
    assert dialog.view.image.width() > reference.pixmap().width() // 2
    dialog.reject()
    wait_until(lambda: not detail.image_dialogs)
    preview = detail.findChild(QWidget, "stylePreview1")
    qtbot.mouseClick(preview, Qt.MouseButton.LeftButton)
    wait_until(lambda: len(detail.image_dialogs) == 1 and detail.image_dialogs[0].isVisible())
    detail.image_dialogs[0].reject()


@pytest.fixture
def old_styles(home):
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    return add_styles(home, 1, previews=1)


def test_dropped_folders_and_the_apply_button_ask_to_apply_the_shown_style(qtbot, old_styles, window, tmp_path):
    (style_id,) = old_styles
    detail = _show(window, style_id)
    dropped: list[tuple[int, list]] = []
    applied: list[int] = []
    detail.photosDropped.connect(lambda sid, paths: dropped.append((sid, paths)))
    detail.applyRequested.connect(applied.append)
    # photos from the web are not the pane's to take (it leaves them to the window)
    web = QMimeData()
    web.setUrls([QUrl("https://example.com/photo.jpg")])
    drop_files(detail, mime=web)
    assert dropped == []
    folder = tmp_path / "Holiday"
    folder.mkdir()
    assert drop_files(detail, folder)
    assert dropped == [(style_id, [str(folder)])]
    qtbot.mouseClick(detail.findChild(QPushButton, "detailApplyButton"), Qt.MouseButton.LeftButton)
    assert applied == [style_id]
    # a style made before strengths were stored says why its strength cannot change
    assert not detail.findChild(QSlider, "styleStrengthSlider").isVisibleTo(detail)
    assert "make it again to adjust its strength" in detail.strength.note.text()
    assert "before Style Studio said which of your words" in detail.findChild(QLabel, "styleWordsLabel").text()
