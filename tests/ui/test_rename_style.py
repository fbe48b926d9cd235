"""Renaming a style in the window (issue 21 §3): F2 on a card, or a double-click on the detail
pane's heading, turns the heading into a field; Enter saves (the card shows the new name),
Escape keeps the old one, an empty name is refused with a sentence. Real key events on a real
library."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QStatusBar

from desktop.ui.styles_model import StyleIdRole
from tests.ui.conftest import wait_until
from tests.ui.test_menus_and_keys import activate, gallery_ready, press
from tests.ui.test_menus_and_keys import styled_home as styled_home  # the fixture


def _first_card(window):
    gallery = gallery_ready(window, 4)
    activate(window)
    first = gallery.model().index(0, 0)
    gallery.setCurrentIndex(first)
    gallery.setFocus()
    style_id = first.data(StyleIdRole)
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == style_id)
    return gallery, style_id


def test_f2_on_a_card_renames_the_style_and_the_card_shows_it(qtbot, styled_home, window):
    gallery, style_id = _first_card(window)
    old = window.library.get(style_id).name
    press(Qt.Key.Key_F2)
    edit = window.detail.findChild(QLineEdit, "styleNameEdit")
    wait_until(lambda: edit.isVisible() and edit.hasFocus())
    assert edit.text() == old and edit.selectedText() == old, "the whole name is selected, ready to type over"
    QTest.keyClicks(edit, "Harbour dusk")
    press(Qt.Key.Key_Return)
    wait_until(lambda: window.library.get(style_id).name == "Harbour dusk")
    wait_until(lambda: gallery.model().index(0, 0).data(Qt.ItemDataRole.DisplayRole) == "Harbour dusk")
    assert not edit.isVisible() and window.detail.name.text() == "Harbour dusk"
    status = window.findChild(QStatusBar)
    wait_until(lambda: "Renamed" in status.currentMessage())


def test_escape_keeps_the_name_and_an_empty_name_is_refused(qtbot, styled_home, window):
    _, style_id = _first_card(window)
    old = window.library.get(style_id).name
    # a double-click on the heading starts renaming too
    heading = window.detail.name
    QTest.mouseDClick(heading, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    edit = window.detail.findChild(QLineEdit, "styleNameEdit")
    wait_until(lambda: edit.isVisible() and edit.hasFocus())
    QTest.keyClicks(edit, "Not this")
    QTest.keyClick(edit, Qt.Key.Key_Escape)
    wait_until(lambda: not edit.isVisible())
    assert heading.text() == old and window.library.get(style_id).name == old

    activate(window)
    window.detail.name_field.begin()
    wait_until(edit.hasFocus)
    edit.clear()
    QTest.keyClicks(edit, "   ")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    status = window.findChild(QStatusBar)
    wait_until(lambda: "cannot be empty" in status.currentMessage())
    assert window.library.get(style_id).name == old and heading.text() == old


@pytest.fixture
def six_previews_home(home):
    from desktop.runtime import open_runtime
    from tests.ui.sample_library import add_styles

    open_runtime(home, watch_external=False).close()  # migrate
    add_styles(home, 4, previews=7)
    return home


def test_apply_to_photos_is_above_the_fold_in_a_small_window(qtbot, six_previews_home, window):
    """At 1024×640 the detail pane's main action shows without scrolling, however many
    previews the style has (issue 21 §5)."""
    from PySide6.QtWidgets import QPushButton, QScrollArea

    window.resize(1024, 640)
    window.jobs_action.setChecked(True)  # the jobs panel open too, as after any job
    _first_card(window)
    wait_until(lambda: window.detail.previews.count() >= 7)
    button = window.detail.findChild(QPushButton, "detailApplyButton")
    scroll = window.detail.findChild(QScrollArea)
    wait_until(button.isVisible)
    bottom = button.mapTo(scroll.viewport(), button.rect().bottomLeft()).y()
    assert 0 <= bottom <= scroll.viewport().height(), (bottom, scroll.viewport().height())
