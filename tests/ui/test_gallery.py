"""The gallery and its models: qtmodeltester while rows change, thumbnails off the GUI thread,
search, empty states, the style detail (delete), and the window layout that persists."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QWidget,
)

from desktop import app as desktop_app
from desktop.jobs.model import JobRow
from desktop.library.reading import Library
from desktop.runtime import open_runtime
from desktop.ui.jobs_model import JobsModel
from desktop.ui.styles_model import StyleIdRole, StylesModel, ThumbnailReadyRole
from tests.ui.conftest import arun, shown, wait_until
from tests.ui.sample_library import add_styles


@pytest.fixture
def library_home(home):
    open_runtime(home, watch_external=False).close()
    add_styles(home, 5, previews=2)
    return home


def ids_in(model) -> list[int]:
    return [model.index(r, 0).data(StyleIdRole) for r in range(model.rowCount())]


def test_styles_model_passes_the_model_tester_while_it_changes(qtbot, qtmodeltester, aloop, library_home):
    rt = open_runtime(library_home, watch_external=False)
    try:
        library = Library(rt.db, rt.paths)
        model = StylesModel(library)
        model.refresh()
        wait_until(lambda: model.rowCount() == 5)
        qtmodeltester.check(model)  # stays attached: checks every change below
        assert ids_in(model) == sorted(ids_in(model), reverse=True)  # newest first

        # thumbnails arrive from worker threads; a placeholder is shown until then
        wait_until(lambda: all(model.index(r, 0).data(ThumbnailReadyRole) for r in range(5)))
        assert model.thumbnails.pending_count() == 0

        new_ids = add_styles(library_home, 2, previews=1)
        library.delete(ids_in(model)[2])
        model.refresh()
        wait_until(lambda: model.rowCount() == 6)
        assert ids_in(model)[:2] == sorted(new_ids, reverse=True)

        model.set_search("sodium")
        wait_until(lambda: model.rowCount() == 1)
        assert model.index(0, 0).data(Qt.ItemDataRole.DisplayRole) == "Sodium Night"
        model.set_search("")
        wait_until(lambda: model.rowCount() == 6)
        model.thumbnails.shutdown()
    finally:
        rt.close()


def test_gallery_pages_in_as_it_scrolls(qtbot, aloop, home, monkeypatch):
    from desktop.ui import styles_model

    monkeypatch.setattr(styles_model, "PAGE_SIZE", 4)
    open_runtime(home, watch_external=False).close()
    add_styles(home, 10, previews=1)
    rt = open_runtime(home, watch_external=False)
    try:
        model = StylesModel(Library(rt.db, rt.paths))
        model.refresh()
        wait_until(lambda: model.rowCount() == 4)
        assert model.total == 10 and model.canFetchMore(model.index(-1, 0).parent())
        while model.rowCount() < 10:
            n = model.rowCount()
            model.fetchMore(model.index(-1, 0).parent())
            wait_until(lambda n=n: model.rowCount() > n)
        assert len(set(ids_in(model))) == 10
        assert not model.canFetchMore(model.index(-1, 0).parent())
        model.thumbnails.shutdown()
    finally:
        rt.close()


def test_jobs_model_passes_the_model_tester_while_it_changes(qtbot, qtmodeltester, window):
    model = window.findChild(QListView, "jobsView").model()
    assert isinstance(model, JobsModel)
    qtmodeltester.check(model)
    engine = window.runtime.engine
    a = engine.enqueue("diagnostics.sleep", {"seconds": 0.2, "steps": 2})
    b = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1, "fail_at_step": 1})
    wait_until(lambda: model.rowCount() == 2)
    wait_until(lambda: model.find(a).status == "succeeded" and model.find(b).status == "failed")
    engine.dismiss(a)
    wait_until(lambda: model.rowCount() == 1)
    reloaded: list[bool] = []
    model.loaded.connect(lambda: reloaded.append(True))
    model.reload()  # a full re-read changes nothing
    wait_until(lambda: bool(reloaded))
    assert [r.id for r in model.items()] == [b]
    assert isinstance(model.index(0, 0).data(Qt.ItemDataRole.UserRole + 1), JobRow)


def test_search_and_empty_states(qtbot, library_home, window):
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == 5)
    assert window.gallery.currentWidget() is gallery
    search = window.findChild(QLineEdit, "searchEdit")
    qtbot.keyClicks(search, "no such look anywhere")
    wait_until(lambda: window.gallery.currentWidget() is window.gallery.empty)
    assert "No styles match" in window.gallery.empty.title.text()
    search.clear()
    wait_until(lambda: gallery.model().rowCount() == 5)
    qtbot.keyClicks(search, "archive")  # matches the description, not the name
    wait_until(lambda: gallery.model().rowCount() == 1)
    assert gallery.model().index(0, 0).data() == "Moss Archive"


def test_styles_made_elsewhere_appear_without_a_click(qtbot, window, home):
    """Another process (here: another connection) adds and deletes styles: the gallery follows."""
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: window.styles_model.ever_loaded)
    ids = add_styles(home, 2, previews=1)
    wait_until(lambda: gallery.model().rowCount() == 2)
    assert window.gallery.currentWidget() is gallery
    rt = open_runtime(home, watch_external=False)
    try:
        Library(rt.db, rt.paths).delete(ids[1])
    finally:
        rt.close()
    wait_until(lambda: ids_in(gallery.model()) == [ids[0]])


def test_a_new_library_shows_a_friendly_empty_state(qtbot, window):
    wait_until(lambda: window.styles_model.ever_loaded)
    assert window.gallery.currentWidget() is window.gallery.empty
    assert window.gallery.empty.title.text() == "Your style library is empty"
    button = window.gallery.empty.findChild(QPushButton, "emptyNewStyleButton")
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown(window.new_style_flow.dialog)


def test_detail_shows_the_style_and_delete_offers_undo(qtbot, library_home, window):
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == 5)
    first = gallery.model().index(0, 0)
    style_id = first.data(StyleIdRole)
    gallery.setCurrentIndex(first)
    detail = window.findChild(type(window.detail), "styleDetail")
    wait_until(lambda: detail.style is not None and detail.style.id == style_id)
    assert detail.findChild(QLabel, "styleNameLabel").text() == first.data()
    assert detail.palette_row.count() >= 3  # swatches, then the stretch

    delete = detail.findChild(QPushButton, "deleteStyleButton")
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)  # no question: it can be undone
    wait_until(lambda: gallery.model().rowCount() == 4)
    assert style_id not in ids_in(gallery.model())
    assert window.library.get(style_id) is None
    undo = window.findChild(QWidget, "undoBar")
    assert undo.isVisible()


def test_export_cube_from_the_detail_pane_writes_the_lut(qtbot, library_home, window, tmp_path):
    """The detail pane's Export… opens the export dialog; a .cube goes through the real save
    dialog (typed file name) and an export job."""
    from desktop.exchange.cube import read_cube
    from desktop.ui.export_dialog import ExportDialog

    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == 5)
    gallery.setCurrentIndex(gallery.model().index(1, 0))
    detail = window.detail
    wait_until(lambda: detail.style is not None)
    qtbot.mouseClick(detail.findChild(QPushButton, "detailExportButton"), Qt.MouseButton.LeftButton)
    wait_until(lambda: window.findChild(ExportDialog, "exportDialog") is not None)
    export = window.findChild(ExportDialog, "exportDialog")
    export.choose("cube", 33)
    export.findChild(QPushButton, "exportStartButton").click()
    found: list[QFileDialog] = []
    wait_until(lambda: bool(found.extend(d for d in export.findChildren(QFileDialog) if d.isVisible()) or found))
    target = tmp_path / "exported.cube"
    found[0].findChild(QLineEdit, "fileNameEdit").setText(str(target))  # typed by the user
    found[0].accept()
    wait_until(target.exists, timeout=60)
    ours, theirs = read_cube(detail.style.lut_path).to_unit(33), read_cube(target)
    assert theirs.size == 33
    assert max(abs(a - b) for a, b in zip(ours.table, theirs.table, strict=True)) < 1e-5


def _wait_message_box(qtbot, parent) -> QMessageBox:
    found: list[QMessageBox] = []

    def visible_box() -> bool:
        found[:] = [b for b in parent.findChildren(QMessageBox) if b.isVisible()]
        return bool(found)

    wait_until(visible_box)
    return found[0]


def test_window_geometry_and_splitter_persist_in_the_data_folder(qtbot, aloop, home):
    win = arun(qtbot, desktop_app.start(home))
    try:
        win.resize(760, 560)  # the offscreen screen is 800 x 600
        win.splitter.setSizes([460, 300])
        wait_until(lambda: (win.width(), win.height()) == (760, 560))
        sizes = win.splitter.sizes()
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)
    state_file = home / desktop_app.WINDOW_STATE_FILE
    assert state_file.exists()
    assert QSettings(str(state_file), QSettings.Format.IniFormat).value("window/geometry") is not None
    win = arun(qtbot, desktop_app.start(home))
    try:
        assert (win.width(), win.height()) == (760, 560)
        assert win.splitter.sizes() == sizes
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)


def test_revealing_an_old_style_loads_pages_until_it_is_there(qtbot, aloop, home, monkeypatch):
    from desktop.ui import styles_model

    monkeypatch.setattr(styles_model, "PAGE_SIZE", 4)
    open_runtime(home, watch_external=False).close()
    ids = add_styles(home, 11, previews=1)
    win = arun(qtbot, desktop_app.start(home))
    try:
        gallery = win.findChild(QListView, "galleryView")
        wait_until(lambda: win.styles_model.ever_loaded)
        assert arun(qtbot, win.reveal_style(ids[0]))  # the oldest: the last page
        assert gallery.currentIndex().data(StyleIdRole) == ids[0]
        assert gallery.model().rowCount() == 11
    finally:
        arun(qtbot, desktop_app.stop(win), timeout=30)


def test_an_empty_library_says_so_once_with_one_new_style_button(qtbot, window):
    """Issue 21 §5: not two "empty" messages and two New style buttons."""
    wait_until(lambda: window.styles_model.ever_loaded)
    wait_until(lambda: window.gallery.currentWidget() is window.gallery.empty)
    buttons = [b for b in window.findChildren(QPushButton) if b.isVisible() and b.text().replace("&", "") == "New style…"]
    assert [b.objectName() for b in buttons] == ["emptyNewStyleButton"]
    texts = [label.text() for label in window.findChildren(QLabel) if label.isVisible()]
    assert sum("empty" in t.lower() for t in texts) == 1, texts
