"""Exports and imports from the window: several styles selected (Ctrl+A, Ctrl+click) and packed
with File > Export…, the pack imported back (its styles reported as already there), one style
as a .cube from the detail pane, LUT files and HaldCLUT PNGs dropped on the gallery (a new,
selected style), a broken .cube and a refused file (one sentence, no style), and a photo the
size of a HaldCLUT that still starts a new style. Real library, real jobs; the file dialogs are
answered by the tests' own choosers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QListView, QPushButton, QRadioButton, QWidget

from desktop.exchange.cube import Lut, write_cube
from desktop.exchange.hald import write_hald
from desktop.text import file_stem
from desktop.ui import progress_dialog
from desktop.ui.export_dialog import ExportDialog
from desktop.ui.import_drop import looks_like_hald
from desktop.ui.new_style_dialog import NewStyleDialog
from desktop.ui.styles_model import StyleIdRole
from tests.ui.conftest import alive, shown, wait_until
from tests.ui.sample_library import add_styles

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def styled_home(home):
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    add_styles(home, 3, previews=1)
    return home


@pytest.fixture(autouse=True)
def quick_dialogs(monkeypatch):
    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.05)


def gallery_ready(window, count: int) -> QListView:
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == count)
    return gallery


def inverted(n: int = 5) -> Lut:
    from array import array

    table = array("d")
    for b in range(n):
        for g in range(n):
            for r in range(n):
                table.extend((1 - r / (n - 1), 1 - g / (n - 1), 1 - b / (n - 1)))
    return Lut(3, n, table, "Negative Film")


def answer_save(window, target: Path) -> list[tuple[str, str, str]]:
    """The save dialog answers ``target``; returns the (title, start, filter) it was asked with."""
    asked: list[tuple[str, str, str]] = []

    async def chooser(_parent, title, start, name_filter, _suffix):
        asked.append((title, start, name_filter))
        return str(target)

    window.export_flow.save_chooser = chooser
    return asked


def answer_open(window, *paths: Path) -> None:
    async def chooser(_parent):
        return [str(p) for p in paths]

    window.import_flow.open_chooser = chooser


def drop_at(widget: QWidget, pos: QPoint, *paths: Path) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos, *args)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(pos), *args)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def drop_between_cards(gallery: QListView, *paths: Path) -> bool:
    spot = QPoint(gallery.viewport().width() - 3, gallery.viewport().height() - 3)
    assert not gallery.indexAt(spot).isValid()
    return drop_at(gallery.viewport(), spot, *paths)


def selected_ids(gallery: QListView) -> list[int]:
    return sorted(i.data(StyleIdRole) for i in gallery.selectionModel().selectedIndexes())


def status(window) -> str:
    return window.statusBar().currentMessage()


def test_ctrl_a_selects_every_style_and_the_detail_keeps_the_current_one(qtbot, styled_home, window):
    gallery = gallery_ready(window, 3)
    window.activateWindow()
    wait_until(lambda: QApplication.activeWindow() is window)
    second = gallery.model().index(1, 0)
    gallery.setCurrentIndex(second)
    gallery.setFocus()
    wait_until(gallery.hasFocus)
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == second.data(StyleIdRole))
    QTest.keyClick(gallery, Qt.Key.Key_A, CTRL)
    wait_until(lambda: len(selected_ids(gallery)) == 3)
    assert window.detail.style.id == second.data(StyleIdRole)
    assert window.findChild(QAction, "exportAction").isEnabled()
    # Ctrl+click takes one card out again; the rest stays selected
    third = gallery.model().index(2, 0)
    QTest.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, CTRL, gallery.visualRect(third).center())
    wait_until(lambda: len(selected_ids(gallery)) == 2)
    assert third.data(StyleIdRole) not in selected_ids(gallery)


def test_export_two_styles_as_a_pack_then_import_it_back_as_already_there(qtbot, styled_home, window, tmp_path):
    gallery = gallery_ready(window, 3)
    model = gallery.model()
    two = [model.index(0, 0), model.index(2, 0)]
    gallery.setCurrentIndex(two[0])
    gallery.selectionModel().select(two[1], QItemSelectionModel.SelectionFlag.Select)
    ids = sorted(i.data(StyleIdRole) for i in two)
    wait_until(lambda: selected_ids(gallery) == ids)

    target = tmp_path / "out" / "two.stylepack"
    target.parent.mkdir()
    asked = answer_save(window, target)
    offered: list[tuple[str, str, str]] = []
    window.notifier.offered.connect(lambda *args: offered.append(args))
    window.findChild(QAction, "exportAction").trigger()
    wait_until(lambda: shown(window.findChild(ExportDialog, "exportDialog")))
    dialog = window.findChild(ExportDialog, "exportDialog")
    assert dialog.findChild(QLabel, "exportHeading").text() == "Export 2 styles"
    assert not dialog.findChild(QRadioButton, "exportCubeRadio").isVisible()  # several: a pack only
    assert dialog.kind() == "pack"
    dialog.findChild(QPushButton, "exportStartButton").click()

    wait_until(lambda: target.is_file(), timeout=60)
    wait_until(lambda: not alive(dialog) or not dialog.isVisible())
    assert asked and asked[0][1].endswith("2 styles.stylepack") and "*.stylepack" in asked[0][2]
    with zipfile.ZipFile(target) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert sorted(s["name"] for s in manifest["styles"]) == sorted(model.find(i).name for i in ids)
    assert not list(target.parent.glob(".*.part"))  # no temporary file left beside it

    # a notice offers the folder, and its button opens it
    wait_until(lambda: bool(offered), timeout=30)
    assert offered[-1][2] == "Show in folder" and "two.stylepack" in offered[-1][1]
    opened: list[QUrl] = []
    window.url_opener = lambda url: opened.append(url) or True
    window.findChild(QPushButton, "noticeActionButton").click()
    assert opened == [QUrl.fromLocalFile(str(target.parent))]

    # the same pack imported into the same library: both styles are already there
    gallery.setCurrentIndex(model.index(1, 0))  # something else selected meanwhile
    answer_open(window, target)
    window.findChild(QAction, "importAction").trigger()
    wait_until(lambda: status(window).startswith("No style imported"), timeout=60)
    assert status(window) == "No style imported; 2 were already in the library."
    assert model.total == 3
    wait_until(lambda: selected_ids(gallery) == ids)  # the styles it found are shown


def test_one_style_as_a_cube_from_the_detail_pane_and_a_refused_target(qtbot, styled_home, window, tmp_path):
    gallery = gallery_ready(window, 3)
    gallery.setCurrentIndex(gallery.model().index(0, 0))
    detail = window.detail
    wait_until(lambda: detail.style is not None)
    button = detail.findChild(QPushButton, "detailExportButton")
    assert button.text() == "Export…"

    # a folder that does not exist: one sentence in the dialog, nothing queued
    asked = answer_save(window, tmp_path / "missing" / "look.cube")
    before = window.runtime.engine.count()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_until(lambda: shown(window.findChild(ExportDialog, "exportDialog")))
    dialog = window.findChild(ExportDialog, "exportDialog")
    assert dialog.findChild(QLabel, "exportHeading").text() == f"Export “{detail.style.name}”"
    dialog.findChild(QRadioButton, "exportCubeRadio").click()
    size = dialog.findChild(type(dialog.cube_size), "exportCubeSizeCombo")
    assert size.currentData() == 33 and size.isEnabled()
    assert not dialog.findChild(QWidget, "exportReferenceCheck").isEnabled()
    size.setCurrentIndex(0)  # 17
    start = dialog.findChild(QPushButton, "exportStartButton")
    start.click()
    error = dialog.findChild(QLabel, "exportErrorLabel")
    wait_until(error.isVisible)
    assert "does not exist" in error.text() and error.text().count(".") >= 1
    # the file offered is named like the style, readably (issue 21 §3)
    assert Path(asked[0][1]).name == f"{file_stem(detail.style.name, 'style')}.cube"
    assert window.runtime.engine.count() == before
    assert dialog.isVisible()

    target = tmp_path / "look.cube"
    answer_save(window, target)
    wait_until(start.isEnabled)
    start.click()
    wait_until(target.is_file, timeout=60)
    text = target.read_text()
    assert "LUT_3D_SIZE 17" in text and "TITLE" in text


def test_a_cube_dropped_on_the_gallery_becomes_a_new_selected_style(qtbot, styled_home, window, tmp_path):
    gallery = gallery_ready(window, 3)
    cube = write_cube(tmp_path / "negative.cube", inverted(), "Negative Film")
    assert drop_between_cards(gallery, cube)
    wait_until(lambda: status(window) == "1 style imported.", timeout=90)
    assert gallery.model().total == 4
    current = gallery.currentIndex()
    assert current.isValid() and gallery.model().find(current.data(StyleIdRole)).name == "Negative Film"
    assert selected_ids(gallery) == [current.data(StyleIdRole)]
    assert window.findChild(NewStyleDialog, "newStyleDialog") is None


def test_a_cube_dropped_on_a_card_is_imported_not_applied(qtbot, styled_home, window, tmp_path):
    from desktop.ui.apply_dialog import ApplyDialog

    gallery = gallery_ready(window, 3)
    cube = write_cube(tmp_path / "negative.cube", inverted(), "On A Card")
    card = gallery.visualRect(gallery.model().index(0, 0)).center()
    assert drop_at(gallery.viewport(), card, cube)
    wait_until(lambda: status(window) == "1 style imported.", timeout=90)
    assert window.findChild(ApplyDialog, "applyDialog") is None


def test_a_broken_cube_dropped_says_one_sentence_and_adds_nothing(qtbot, styled_home, window, tmp_path):
    gallery = gallery_ready(window, 3)
    broken = tmp_path / "broken.cube"
    broken.write_text("TITLE \"Half\"\nLUT_3D_SIZE 4\n0 0 0\n1 1 1\nnot numbers\n")
    assert drop_between_cards(gallery, broken)
    wait_until(lambda: status(window).startswith("No style imported"), timeout=60)
    assert status(window) == "No style imported; 1 file could not be imported (see Jobs)."
    dialog = next(iter(window.following.progress_dialogs.values()))
    error = dialog.findChild(QLabel, "jobErrorLabel")
    wait_until(lambda: error.isVisible() and error.text())
    assert "broken.cube" in error.text() and "Traceback" not in error.text()
    assert gallery.model().total == 3


def test_a_refused_file_to_import_queues_nothing(qtbot, styled_home, window, tmp_path):
    gallery_ready(window, 3)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    before = window.runtime.engine.count()
    answer_open(window, notes)
    window.findChild(QAction, "importAction").trigger()
    wait_until(lambda: "notes.txt is not a style pack" in status(window))
    assert window.runtime.engine.count() == before


def test_a_haldclut_dropped_on_the_gallery_is_imported(qtbot, styled_home, window, tmp_path):
    gallery = gallery_ready(window, 3)
    hald = write_hald(tmp_path / "warm-film.png", inverted().to_pillow(), level=4)
    assert looks_like_hald(hald)
    assert drop_between_cards(gallery, hald)
    wait_until(lambda: status(window) == "1 style imported.", timeout=90)
    current = gallery.currentIndex()
    assert gallery.model().find(current.data(StyleIdRole)).name == "warm-film"
    assert window.findChild(NewStyleDialog, "newStyleDialog") is None


def test_a_photo_the_size_of_a_haldclut_still_starts_a_new_style(qtbot, styled_home, window, tmp_path):
    from desktop.resources import sample_photos

    gallery = gallery_ready(window, 3)
    photo = tmp_path / "square.png"
    with Image.open(sample_photos()[0]) as im:
        im.convert("RGB").resize((512, 512)).save(photo)  # the size of a level-8 HaldCLUT
    before = window.runtime.engine.count()
    assert drop_between_cards(gallery, photo)
    wait_until(lambda: shown(window.findChild(NewStyleDialog, "newStyleDialog")))
    dialog = window.findChild(NewStyleDialog, "newStyleDialog")
    wait_until(lambda: dialog.drop_zone.reference is not None)
    assert window.runtime.engine.count() == before  # nothing imported


def test_a_pack_dropped_outside_the_gallery_is_imported(qtbot, styled_home, window, tmp_path):
    gallery = gallery_ready(window, 3)
    gallery.setCurrentIndex(gallery.model().index(0, 0))
    wait_until(lambda: window.detail.style is not None)
    target = tmp_path / "one.stylepack"
    from desktop.pipelines.export.request import enqueue_export_pack

    job = enqueue_export_pack(window.runtime, [window.detail.style.id], target)
    wait_until(lambda: window.runtime.engine.get(job).is_finished, timeout=60)
    assert window.runtime.engine.get(job).status == "succeeded" and target.is_file()
    # on the window's status bar area: not the gallery, not the detail pane
    assert drop_at(window, QPoint(10, window.height() - 5), target)
    wait_until(lambda: status(window) == "No style imported; 1 was already in the library.", timeout=60)


def test_an_export_or_import_row_is_named_by_its_file():
    """The progress dialog and the jobs list name an export by the file it writes and an import
    by the file it reads (their payloads carry no style name)."""
    from desktop.ui.job_kinds import subject_of

    assert subject_of(json.dumps({"kind": "pack", "styles": [1, 2], "out": "/tmp/x/Looks.stylepack"})) == "Looks.stylepack"
    assert subject_of(json.dumps({"path": "/home/a/teal.cube", "kind": "cube"})) == "teal.cube"
    assert subject_of(json.dumps({"name": "Warm film", "out": "/tmp/out"})) == "Warm film"
