"""Delete with Undo and Duplicate in the window (issue 21 §3): real key events on a real
library; another process's delete and restore show in the open window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMenu, QToolButton, QWidget

from desktop.ui.styles_model import StyleIdRole
from tests.helpers import cli
from tests.ui.conftest import wait_until
from tests.ui.test_menus_and_keys import CTRL, activate, gallery_ready, press
from tests.ui.test_menus_and_keys import styled_home as styled_home  # the fixture


def _ids(gallery) -> list[int]:
    model = gallery.model()
    return [model.index(r, 0).data(StyleIdRole) for r in range(model.rowCount())]


def _select(window, gallery, row: int) -> int:
    activate(window)
    index = gallery.model().index(row, 0)
    gallery.setCurrentIndex(index)
    gallery.setFocus()
    style_id = index.data(StyleIdRole)
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == style_id)
    return style_id


def test_delete_key_then_undo_brings_the_style_back_in_its_place(qtbot, styled_home, window):
    gallery = gallery_ready(window, 4)
    before = _ids(gallery)
    style_id = _select(window, gallery, 1)
    info = window.library.get(style_id)
    bar = window.findChild(QWidget, "undoBar")
    assert not bar.isVisible()

    press(Qt.Key.Key_Delete)
    wait_until(lambda: _ids(gallery) == [i for i in before if i != style_id])
    wait_until(lambda: gallery.currentIndex().data(StyleIdRole) == before[2])  # the next card
    assert bar.isVisible() and bar.findChild(QLabel, "undoLabel").text() == f"Deleted “{info.name}” ·"
    assert window.library.get(style_id) is None and info.folder.is_dir(), "the files wait for the undo"
    undo_action = window.window_actions.undo
    assert undo_action.isEnabled() and info.name in undo_action.text()

    press(Qt.Key.Key_Z, CTRL)
    wait_until(lambda: _ids(gallery) == before)
    wait_until(lambda: gallery.currentIndex().data(StyleIdRole) == style_id)
    assert window.library.get(style_id).images == info.images and not bar.isVisible()
    assert not undo_action.isEnabled()

    press(Qt.Key.Key_Delete)  # and the status bar's Undo button does the same
    wait_until(lambda: style_id not in _ids(gallery) and bar.isVisible())
    bar.findChild(QToolButton, "undoButton").click()
    wait_until(lambda: _ids(gallery) == before)
    assert window.library.get(style_id).name == info.name


def test_ctrl_d_duplicates_and_selects_the_copy_and_the_card_menu_offers_it(qtbot, styled_home, window):
    gallery = gallery_ready(window, 4)
    style_id = _select(window, gallery, 2)
    name = window.library.get(style_id).name

    press(Qt.Key.Key_D, CTRL)
    wait_until(lambda: gallery.model().rowCount() == 5)
    copy_id = _ids(gallery)[0]
    wait_until(lambda: gallery.currentIndex().data(StyleIdRole) == copy_id)
    copy = window.library.get(copy_id)
    assert copy.name == f"{name} copy" and copy.folder != window.library.get(style_id).folder
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == copy_id)

    rect = gallery.visualRect(gallery.model().index(3, 0))
    window.style_actions.card_menu(rect.center())
    menu = window.style_actions.menu
    assert isinstance(menu, QMenu) and menu.isVisible()
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert names == ["applyAction", "renameStyleAction", "duplicateAction", "copyPromptAction", "exportAction", "deleteStyleAction"]
    assert gallery.currentIndex().row() == 3, "the card under the pointer is the one acted on"
    menu.close()


def test_another_process_deleting_and_restoring_shows_live(qtbot, styled_home, window):
    gallery = gallery_ready(window, 4)
    style_id = _ids(gallery)[0]
    deleted = cli("styles", "delete", str(style_id), home=styled_home)
    assert deleted.returncode == 0, deleted.stderr
    assert f"Restore it with: stylestudio styles restore {style_id} (until " in deleted.stdout
    wait_until(lambda: style_id not in _ids(gallery))

    listed = cli("styles", "list", "--deleted", home=styled_home)
    assert listed.returncode == 0 and str(style_id) in listed.stdout and "RESTORABLE UNTIL" in listed.stdout
    restored = cli("styles", "restore", str(style_id), home=styled_home)
    assert restored.returncode == 0, restored.stderr
    wait_until(lambda: _ids(gallery)[:1] == [style_id])

    made = cli("styles", "duplicate", str(style_id), "Harbour copy", home=styled_home)
    assert made.returncode == 0, made.stderr
    wait_until(lambda: gallery.model().rowCount() == 5)
    assert gallery.model().index(0, 0).data(Qt.ItemDataRole.DisplayRole) == "Harbour copy"
