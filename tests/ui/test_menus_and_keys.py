"""Desktop conventions of the main window: the menu bar and its platform shortcuts, the keys on
gallery cards, the search field and the jobs list, Ctrl+V with an image, Help's boxes, and a
style made with the keyboard alone. Keys are real key events (QTest), sent to the focused
widget of the active window, as a keyboard would."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QColor, QDesktopServices, QGuiApplication, QImage, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from desktop.resources import sample_photos
from desktop.ui.drop_zone import DropZone
from desktop.ui.jobs_model import JobRole
from desktop.ui.new_style_dialog import NewStyleDialog
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.styles_model import StyleIdRole
from tests.ui.conftest import alive, shown, wait_until
from tests.ui.sample_library import add_styles

CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def styled_home(home):
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    add_styles(home, 4, previews=1)
    return home


def activate(window) -> None:
    """Shortcuts only reach the active window, as on a desktop."""
    window.activateWindow()
    wait_until(lambda: QApplication.activeWindow() is window)


def gallery_ready(window, count: int) -> QListView:
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == count)
    return gallery


def press(key: Qt.Key, modifiers: Qt.KeyboardModifier = NONE) -> None:
    """A key press on whatever has the keyboard focus."""
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    QTest.keyClick(target, key, modifiers)


def give_focus(window, widget) -> None:
    activate(window)
    widget.setFocus()
    wait_until(widget.hasFocus)


def open_box(parent, cls=QMessageBox):
    """The visible box of type ``cls`` under ``parent``, once it is there."""
    wait_until(lambda: any(b.isVisible() for b in parent.findChildren(cls)))
    return [b for b in parent.findChildren(cls) if b.isVisible()][0]


def job_row(view: QListView, job_id: int):
    model = view.model()
    index = model.index_of(job_id)
    return index.data(JobRole) if index.isValid() else None


def test_the_menu_bar_holds_the_usual_menus_with_platform_shortcuts(qtbot, window):
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Help"]
    names = {
        menu.title().replace("&", ""): [a.objectName() for a in menu.actions() if not a.isSeparator()]
        for menu in (a.menu() for a in window.menuBar().actions())
    }
    assert names["File"] == ["newStyleAction", "applyAction", "importAction", "exportAction", "quitAction"]
    assert names["Edit"] == [
        "undoDeleteAction", "copyPromptAction", "pasteAction", "renameStyleAction", "duplicateAction", "deleteStyleAction",
        "selectAllAction", "settingsAction",
    ]
    assert names["View"] == ["jobsAction", "searchAction"]
    assert names["Help"] == ["shortcutsAction", "logFolderAction", "openSourceAction", "aboutAction"]
    quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
    assert window.findChild(type(window.new_style_action), "quitAction").shortcuts() == quit_keys
    settings_keys = window.findChild(type(window.new_style_action), "settingsAction").shortcuts()
    assert QKeySequence("Ctrl+,") in settings_keys or settings_keys == QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)


def test_ctrl_comma_opens_settings_and_ctrl_q_quits(qtbot, window):
    activate(window)
    window.gallery.setFocus()
    QTest.keyClick(window, Qt.Key.Key_Comma, CTRL)
    wait_until(lambda: shown(window.findChild(SettingsDialog, "settingsDialog")))
    window.findChild(SettingsDialog, "settingsDialog").reject()
    wait_until(lambda: window.settings_flow.dialog is None)
    activate(window)
    with qtbot.waitSignal(window.closeRequested, timeout=20000):
        QTest.keyClick(window, Qt.Key.Key_Q, CTRL)


def test_delete_on_a_card_deletes_at_once_without_a_question(qtbot, styled_home, window):
    """No box to answer: the delete can be undone (tests/ui/test_style_undo.py)."""
    gallery = gallery_ready(window, 4)
    activate(window)
    first = gallery.model().index(0, 0)
    style_id = first.data(StyleIdRole)
    gallery.setCurrentIndex(first)
    gallery.setFocus()
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == style_id)

    press(Qt.Key.Key_Delete)
    wait_until(lambda: gallery.model().rowCount() == 3)
    assert window.library.get(style_id) is None
    assert not any(b.isVisible() for b in window.findChildren(QMessageBox))


def test_return_and_double_click_open_the_style_in_the_detail_pane(qtbot, styled_home, window):
    gallery = gallery_ready(window, 4)
    activate(window)
    gallery.setFocus()
    second = gallery.model().index(1, 0)
    gallery.setCurrentIndex(second)
    press(Qt.Key.Key_Return)
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == second.data(StyleIdRole))
    wait_until(lambda: window.detail.isAncestorOf(QApplication.focusWidget()))  # the keyboard went there

    third = gallery.model().index(2, 0)
    center = gallery.visualRect(third).center()
    QTest.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=center)
    QTest.mouseDClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=center)
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == third.data(StyleIdRole))
    wait_until(lambda: window.detail.isAncestorOf(QApplication.focusWidget()))


def test_escape_clears_the_search_then_returns_to_the_gallery(qtbot, styled_home, window):
    gallery = gallery_ready(window, 4)
    activate(window)
    QTest.keyClick(window, Qt.Key.Key_F, CTRL)  # View > Search
    search = window.findChild(QLineEdit, "searchEdit")
    wait_until(search.hasFocus)
    QTest.keyClicks(search, "no such style anywhere")
    wait_until(lambda: gallery.model().rowCount() == 0)
    press(Qt.Key.Key_Escape)
    assert search.text() == ""
    wait_until(lambda: gallery.model().rowCount() == 4)
    press(Qt.Key.Key_Escape)
    wait_until(gallery.hasFocus)


def test_ctrl_v_with_an_image_starts_a_new_style_with_it(qtbot, window):
    activate(window)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("just words")
    window.gallery.setFocus()
    QTest.keyClick(window, Qt.Key.Key_V, CTRL)
    wait_until(lambda: "no image" in window.statusBar().currentMessage())
    assert window.findChild(NewStyleDialog, "newStyleDialog") is None  # text is not a reference

    image = QImage(80, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("#884422"))
    clipboard.setImage(image)
    QTest.keyClick(window, Qt.Key.Key_V, CTRL)
    dialog = window.findChild(NewStyleDialog, "newStyleDialog")
    assert dialog is not None
    wait_until(dialog.isVisible)
    zone = dialog.findChild(DropZone, "referenceDropZone")
    wait_until(lambda: zone.reference is not None)
    assert zone.reference.size == (80, 60)
    dialog.reject()


def test_jobs_list_actions_work_from_the_keyboard(qtbot, window):
    engine = window.runtime.engine
    view = window.findChild(QListView, "jobsView")
    long_id = engine.enqueue("diagnostics.sleep", {"seconds": 60, "steps": 600})
    fail_id = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1, "fail_at_step": 1})
    wait_until(lambda: (r := job_row(view, fail_id)) is not None and r.status == "failed")
    wait_until(lambda: (r := job_row(view, long_id)) is not None and r.status == "running")
    activate(window)
    view.setFocus()

    # the Menu key lists the selected row's actions with their keys
    view.setCurrentIndex(view.model().index_of(fail_id))
    press(Qt.Key.Key_Menu)
    menu = open_box(view, QMenu)
    labels = {a.text(): a.shortcut().toString() for a in menu.actions()}
    assert labels == {"Retry": "Ctrl+R", "Dismiss": "Del"}
    menu.close()
    wait_until(lambda: not alive(menu) or not menu.isVisible())

    give_focus(window, view)
    first = engine.get(fail_id)
    press(Qt.Key.Key_R, CTRL)  # retry: the same row runs again and fails again
    wait_until(lambda: (r := engine.get(fail_id)).status == "failed" and r.finished_at > first.finished_at)

    view.setCurrentIndex(view.model().index_of(long_id))
    give_focus(window, view)
    press(Qt.Key.Key_Delete)  # a running job: Delete cancels it, and does not touch the styles
    wait_until(lambda: engine.get(long_id).status == "canceled")
    wait_until(lambda: job_row(view, long_id).status == "canceled")
    give_focus(window, view)
    press(Qt.Key.Key_Delete)  # now finished: Delete dismisses it
    wait_until(lambda: job_row(view, long_id) is None)
    assert engine.get(long_id) is None
    assert engine.get(fail_id) is not None  # the other row was not touched


def test_help_about_shows_the_version_and_the_sample_licences(qtbot, window):
    from desktop import __version__

    window.findChild(type(window.new_style_action), "aboutAction").trigger()
    wait_until(lambda: shown(window.findChild(QDialog, "aboutBox")))
    box = window.findChild(QDialog, "aboutBox")
    text = box.findChild(QLabel, "aboutBoxText").text()
    assert __version__ in text
    for photo in sample_photos():
        assert photo.name in text
    assert "CC0" in text and "public domain" in text
    box.reject()

    window.findChild(type(window.new_style_action), "openSourceAction").trigger()
    wait_until(lambda: shown(window.findChild(QDialog, "openSourceBox")))
    box = window.findChild(QDialog, "openSourceBox")
    listed = box.findChild(QLabel, "openSourceBoxText").text()
    assert "LibRaw" in listed and "LGPL" in listed and "libheif" in listed and "x265" in listed
    box.reject()

    window.findChild(type(window.new_style_action), "shortcutsAction").trigger()
    wait_until(lambda: shown(window.findChild(QDialog, "shortcutsBox")))
    box = window.findChild(QDialog, "shortcutsBox")
    listed = box.findChild(QLabel, "shortcutsBoxText").text()
    for name in ("newStyleAction", "quitAction", "settingsAction", "deleteStyleAction", "jobsAction"):
        action = window.findChild(type(window.new_style_action), name)
        assert action.shortcut().toString(QKeySequence.SequenceFormat.NativeText) in listed
    box.reject()


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_opens_the_log_folder(qtbot, window):
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        window.findChild(type(window.new_style_action), "logFolderAction").trigger()
        wait_until(lambda: bool(catcher.urls))
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert catcher.urls[0].toLocalFile().rstrip("/") == str(window.runtime.paths.logs_dir)


def test_a_style_made_with_the_keyboard_alone(qtbot, window):
    settings = window.runtime.settings
    settings.preview_count, settings.preview_size = 1, 192  # a quick job; the path is what matters
    gallery = window.findChild(QListView, "galleryView")
    activate(window)
    QTest.keyClick(window, Qt.Key.Key_N, CTRL)
    dialog = window.findChild(NewStyleDialog, "newStyleDialog")
    assert dialog is not None
    wait_until(dialog.isVisible)
    description = dialog.findChild(QPlainTextEdit, "descriptionEdit")
    wait_until(description.hasFocus)
    QTest.keyClicks(description, "warm film grain with teal shadows")
    generate = dialog.findChild(QPushButton, "generateButton")
    for _ in range(12):  # Tab through the dialog's fields to Generate
        if generate.hasFocus():
            break
        press(Qt.Key.Key_Tab)
    assert generate.hasFocus(), f"Tab never reached Generate (focus: {QApplication.focusWidget()})"
    press(Qt.Key.Key_Return)
    wait_until(lambda: gallery.model().rowCount() == 1, timeout=120)
    wait_until(lambda: gallery.currentIndex().isValid(), timeout=60)
    style = window.library.get(gallery.currentIndex().data(StyleIdRole))
    assert style is not None and style.description == "warm film grain with teal shadows"

    # the jobs list says what the job was about, not only its type and number
    view = window.findChild(QListView, "jobsView")
    wait_until(lambda: view.model().rowCount() >= 1 and view.model().index(0, 0).data().endswith("· Done"))
    assert view.model().index(0, 0).data() == "Warm film grain with teal shadows · Done"


def test_jobs_nobody_started_here_send_no_notes(qtbot, window, monkeypatch):
    from desktop.ui import progress_dialog

    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 30.0)  # no dialog: the end is told by a note
    # the person is in another window: the ends of jobs are told by notes (tray or status bar)
    elsewhere = QWidget()
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    wait_until(lambda: QApplication.activeWindow() is elsewhere)
    notes: list[tuple[str, str]] = []
    window.notifier.sent.connect(lambda title, text: notes.append((title, text)))
    engine = window.runtime.engine
    view = window.findChild(QListView, "jobsView")

    quiet = engine.enqueue("diagnostics.sleep", {"seconds": 0.2, "steps": 2})  # e.g. from a script
    wait_until(lambda: (r := job_row(view, quiet)) is not None and r.status == "succeeded")
    assert notes == []
    assert "Diagnostics" not in window.statusBar().currentMessage()

    followed = engine.enqueue("diagnostics.sleep", {"seconds": 0.2, "steps": 2})
    window.following.follow_job(followed)  # a person follows this one from the window: its end is news
    wait_until(lambda: bool(notes))
    assert [title for title, _text in notes] == ["Diagnostics: sleep finished"]


def test_select_all_is_there_from_the_start_and_selects_every_style(qtbot, styled_home, window):
    gallery = gallery_ready(window, 4)
    activate(window)
    select_all = next(a for a in window.findChildren(QAction) if a.objectName() == "selectAllAction")
    assert select_all.isEnabled(), "no style needs to be selected first"
    window.detail.setFocus()  # the keyboard is anywhere but the gallery or a text field
    select_all.trigger()
    wait_until(lambda: len(gallery.selectionModel().selectedIndexes()) == 4)
    assert gallery.hasFocus()
