"""The photos people bring, through the window's drops: a folder with a RAW+JPEG pair and a
HEIC dropped on a style's card is planned without the JPEG twin and styled into JPEGs; a DNG
dropped as the original of an edit and a HEIC as the edited photo make a style."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton

from desktop.ui.drop_zone import DropZone
from desktop.ui.new_style_dialog import NewStyleDialog
from tests.photo_makers import write_avif, write_dng, write_heic
from tests.ui.conftest import drop_files, shown, wait_until
from tests.ui.sample_library import add_styles
from tests.ui.test_apply_window import INVERT_CUBE, open_by_drop, photo, ready_to_start

RENDER = 60.0  # seconds: previews render in a worker process (spawned on first use): generous for a loaded machine


@pytest.fixture
def home_with_a_style(home):
    from desktop.config import resolve_paths
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    (style_id,) = add_styles(home, 1, previews=1)
    (resolve_paths(home).home / "styles" / f"{style_id:06d}" / "style.cube").write_text(INVERT_CUBE)
    return home


def test_a_raw_jpeg_pair_and_a_heic_dropped_on_a_card_are_styled_into_jpegs(qtbot, home_with_a_style, window, tmp_path):
    shoot = tmp_path / "card"
    write_dng(shoot / "DSC_0001.NEF", (96, 64))  # a DNG under a Nikon name: read by content
    photo(shoot / "DSC_0001.JPG", size=(96, 64))
    write_heic(shoot / "IMG_0002.HEIC")
    write_avif(shoot / "IMG_0003.AVIF")

    dialog = open_by_drop(window, 1, shoot)
    inputs = dialog.findChild(QLabel, "applyInputsLabel")
    wait_until(lambda: "3 photos" in inputs.text())
    assert "1 file skipped: JPEG twins of RAW photos" in inputs.text()
    wait_until(lambda: dialog.before_after.has_images(), timeout=RENDER)  # the RAW's before/after
    wait_until(lambda: ready_to_start(dialog))
    out = Path(dialog.out_edit.text())
    dialog.findChild(QPushButton, "applyStartButton").click()
    wait_until(lambda: not shown(dialog))
    (row,) = [r for r in window.runtime.engine.list() if r.type == "style.apply"]
    wait_until(lambda: window.runtime.engine.get(row.id).status == "succeeded", timeout=120)
    assert sorted(p.name for p in out.iterdir()) == ["DSC_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"]


def test_a_dng_original_and_a_heic_edit_dropped_make_a_style(qtbot, window, tmp_path):
    window.findChild(type(window.new_style_action), "newStyleAction").trigger()
    dialog = window.findChild(NewStyleDialog, "newStyleDialog")
    wait_until(lambda: dialog is not None and dialog.isVisible())
    original_zone = dialog.findChild(DropZone, "originalDropZone")
    reference = dialog.findChild(DropZone, "referenceDropZone")
    assert drop_files(original_zone, write_dng(tmp_path / "before.dng"))
    wait_until(lambda: original_zone.reference is not None)
    assert original_zone.reference.size == (64, 48)
    assert drop_files(reference, write_heic(tmp_path / "after.heic"))
    wait_until(lambda: reference.reference is not None)
    dialog.findChild(QPlainTextEdit, "descriptionEdit").setPlainText("warm edit")
    generate = dialog.findChild(QPushButton, "generateButton")
    wait_until(generate.isEnabled)
    generate.click()
    wait_until(lambda: not shown(dialog))
    (row,) = [r for r in window.runtime.engine.list() if r.type == "style.generate"]
    payload = row.payload_dict()
    assert payload["original"].endswith(".dng") and payload["reference"].endswith(".heic")
    wait_until(lambda: window.runtime.engine.get(row.id).status == "succeeded", timeout=120)
