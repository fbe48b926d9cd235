"""The Apply dialog's photos as a strip (``applyPhotoStrip``): thumbnails decoded off the GUI
thread, unchecked photos not styled, a click previews the style on that photo, the 1:1 zoom
shows it at its own size; and the output name template (``applyNameTemplateEdit``): a bad one is
named in one sentence with Start disabled, a good one names the styled photos."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.jobs.items import ItemStore
from desktop.ui.photo_strip import PathRole
from tests.ui.conftest import wait_until
from tests.ui.test_apply_window import home_with_styles, photo, ready_to_start  # noqa: F401 - a fixture

PHOTOS = 12

RENDER = 60.0  # seconds: previews render in a worker process (spawned on first use): generous for a loaded machine


def _click(strip, row: int) -> None:
    from PySide6.QtTest import QTest

    rect = strip.visualRect(strip.model().index(row))
    QTest.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())


@pytest.mark.usefixtures("home_with_styles")
def test_the_strip_chooses_previews_and_zooms_and_the_template_names_the_outputs(qtbot, window, tmp_path):
    from desktop.ui.apply_dialog import ApplyDialog

    src, out = tmp_path / "shoot", tmp_path / "out"
    for i in range(PHOTOS):
        photo(src / f"img{i:02d}.jpg", size=(360, 240) if i != 5 else (240, 360), seed=i)
    dialog = ApplyDialog(window.runtime, 1, [str(src)], parent=window)
    dialog.show()
    strip = dialog.strip
    wait_until(lambda: strip.model().rowCount() == PHOTOS)
    model = strip.model()
    assert strip.isVisible() and strip.uniformItemSizes() and strip.viewMode() == strip.ViewMode.IconMode
    wait_until(lambda: model.cache.cached_count() >= 3)  # the visible thumbnails, decoded on worker threads
    assert model.cache.get(str(src / "img00.jpg")).width() >= 90
    # the first photo is previewed; a click on the sixth (portrait) previews that one
    wait_until(lambda: dialog.before_after.has_images(), timeout=RENDER)
    assert dialog.preview.source_path() == str(src / "img00.jpg")
    strip.scrollTo(model.index(5))
    _click(strip, 5)
    wait_until(lambda: dialog.preview.source_path() == str(src / "img05.jpg") and dialog.before_after.has_images(), timeout=RENDER)
    assert dialog.before_after.after_image().height() > dialog.before_after.after_image().width()
    # 1:1: the photo at its own size, in the zoom view
    dialog.zoom_button.click()
    wait_until(lambda: dialog.zoom_view.has_image(), timeout=RENDER)
    assert dialog.views.currentWidget() is dialog.zoom_view and dialog.zoom_view.image_size() == (240, 360)
    dialog.zoom_button.click()
    assert dialog.views.currentWidget() is dialog.before_after
    # uncheck two photos: the count and Start follow
    for row in (1, 2):
        assert model.setData(model.index(row), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.index(1).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert dialog.start_button.text() == f"Apply to {PHOTOS - 2} photos" and f"{PHOTOS - 2} of {PHOTOS} photos" in dialog.inputs_label.text()
    # a bad template: one sentence, Start disabled; a good one shows the first photo's name
    dialog.set_output(str(out))
    wait_until(lambda: ready_to_start(dialog))
    dialog.names.edit.setText("{style}")
    assert not dialog.start_button.isEnabled() and "same name" in dialog.error.text() and dialog.error.isVisible()
    dialog.names.edit.setText("")
    dialog.names.insert("{n:03}-{stem}")
    assert dialog.names.example.text() == "The first photo becomes “001-img00.jpg”."
    wait_until(lambda: ready_to_start(dialog))
    started: list[int] = []
    dialog.jobStarted.connect(started.append)
    dialog.start_button.click()
    wait_until(lambda: bool(started))
    items = ItemStore(window.runtime.db).items(started[0])
    assert [i.input.rsplit("/", 1)[-1] for i in items] == [f"img{i:02d}.jpg" for i in range(PHOTOS) if i not in (1, 2)]
    assert model.index(0).data(PathRole) == str(src / "img00.jpg")
    wait_until(lambda: window.runtime.engine.require(started[0]).status == "succeeded", timeout=120)
    kept = [i for i in range(PHOTOS) if i not in (1, 2)]
    assert sorted(p.name for p in out.iterdir()) == [f"{k + 1:03}-img{i:02d}.jpg" for k, i in enumerate(kept)]


def test_hundreds_of_photos_decode_only_the_thumbnails_on_screen(qtbot, tmp_path):
    from desktop.ui.photo_strip import PhotoStrip

    paths = [str(photo(tmp_path / f"p{i:03d}.jpg", size=(64, 48), seed=i)) for i in range(3)]
    paths += [str(tmp_path / f"missing{i:03d}.jpg") for i in range(497)]  # rows: never opened unless shown
    strip = PhotoStrip()
    qtbot.addWidget(strip)
    strip.resize(700, strip.height())
    strip.show()
    strip.set_paths(paths)
    model = strip.photos
    wait_until(lambda: model.cache.cached_count() == 3)
    wait_until(lambda: model.cache.pending_count() == 0)
    asked = model.cache.cached_count() + sum(model.cache.failed(p) for p in paths)
    assert asked <= 10, f"{asked} of 500 thumbnails were read for a strip that shows about 5"
    assert model.rowCount() == 500 and len(model.checked_paths()) == 500
    strip.scrollTo(model.index(499))
    wait_until(lambda: model.cache.failed(paths[499]))  # the ones scrolled to are read then
    strip.photos.shutdown()
