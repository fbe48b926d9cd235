"""Applying a style to photos from the window: drop a folder on a card, the apply dialog (its
inputs, strength and before/after, bad output folders), the progress dialog with the latest
output as a thumbnail, "Drop location", the "Open folder" notice, and a batch with a damaged photo that stays
open with its failed files and retries only those."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QPushButton,
    QSlider,
    QWidget,
)

from desktop.jobs.items import ItemStore
from desktop.ui import progress_dialog
from desktop.ui.apply_dialog import ApplyDialog
from desktop.ui.before_after import BeforeAfterView
from desktop.ui.styles_model import StyleIdRole
from tests.helpers import hold_the_end
from tests.ui.conftest import alive, shown, wait_until
from tests.ui.sample_library import add_styles

# a strong grade: every colour inverted (so the strength visibly changes the result)
INVERT_CUBE = "LUT_3D_SIZE 2\n" + "".join(
    f"{1 - r} {1 - g} {1 - b}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1)
)


@pytest.fixture
def home_with_styles(home):
    from desktop.config import resolve_paths
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    ids = add_styles(home, 3, previews=1)
    paths = resolve_paths(home)
    for style_id in ids:
        (paths.home / "styles" / f"{style_id:06d}" / "style.cube").write_text(INVERT_CUBE)
    return home


def photo(path: Path, size: tuple[int, int] = (320, 240), seed: int = 1) -> Path:
    """A real photo-like image (a colour gradient with some texture)."""
    w, h = size
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    rnd = random.Random(seed)
    overlay = Image.new("RGB", (w, h), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    img = Image.blend(img, overlay, 0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, quality=90) if path.suffix.lower() in (".jpg", ".jpeg") else img.save(path)
    return path


def slow_photo(path: Path) -> Path:
    """A big noisy PNG: long enough to style that the batch is caught halfway."""
    Image.effect_noise((2400, 1800), 90).convert("RGB").save(path, compress_level=9)
    return path


def drop_on(view: QListView, index: QModelIndex, *paths: Path) -> bool:
    """Drag files over the card at ``index`` and drop them there, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    viewport = view.viewport()
    pos: QPoint = view.visualRect(index).center()
    action, button, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, mime, button, mods)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(viewport, QDragMoveEvent(pos, action, mime, button, mods))
    drop = QDropEvent(QPointF(pos), action, mime, button, mods)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def card(window, style_id: int) -> tuple[QListView, QModelIndex]:
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().row_of(style_id) >= 0)
    return gallery, gallery.model().index_of(style_id)


def open_by_drop(window, style_id: int, *paths: Path) -> ApplyDialog:
    gallery, index = card(window, style_id)
    assert drop_on(gallery, index, *paths)
    wait_until(lambda: shown(window.findChild(ApplyDialog, "applyDialog")))
    dialog = window.findChild(ApplyDialog, "applyDialog")
    assert dialog.style_id == style_id
    return dialog


def ready_to_start(dialog: ApplyDialog) -> bool:
    return dialog.findChild(QPushButton, "applyStartButton").isEnabled()


def test_drop_a_folder_on_a_card_apply_and_open_the_folder(qtbot, home_with_styles, window, tmp_path, monkeypatch):
    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.05)
    shoot = tmp_path / "shoot"
    for n, name in enumerate(("a.jpg", "b.png", "c.jpg")):
        photo(shoot / name, seed=n)
    slow_photo(shoot / "z_big.png")  # styled last: the batch is still going when the others are done
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 0.0)})  # a GPS position, dropped below
    with Image.open(shoot / "a.jpg") as im:
        im.save(shoot / "a.jpg", exif=exif.tobytes())
    (shoot / "notes.txt").write_text("not a photo\n")
    photo(shoot / "nested" / "d.jpg", seed=9)

    dialog = open_by_drop(window, 1, shoot)
    inputs = dialog.findChild(QLabel, "applyInputsLabel")
    wait_until(lambda: "4 photos" in inputs.text())
    assert "1 file skipped: not images" in inputs.text()
    details = dialog.findChild(QPushButton, "applySkippedButton")
    assert details.isVisible()
    details.click()
    assert "notes.txt" in dialog.skipped_list.toPlainText() and dialog.skipped_list.isVisible()

    # include subfolders: the nested photo is planned too
    dialog.subfolders_check.setChecked(True)
    wait_until(lambda: "5 photos" in inputs.text())

    # the default output folder: named after the style, beside the dropped folder
    out = dialog.findChild(QLineEdit, "applyOutputEdit")
    assert out.text() == str(tmp_path / "Teal Dusk")
    assert not (tmp_path / "Teal Dusk").exists()  # nothing is made before Start

    # the before/after view follows the strength
    view = dialog.findChild(BeforeAfterView, "beforeAfterView")
    slider = dialog.findChild(QSlider, "applyStrengthSlider")
    assert slider.value() == 100  # the style's own strength
    wait_until(lambda: view.has_images() and dialog.preview.shown == 100)
    before, full = view.before_image(), view.after_image()
    assert before != full  # the style changes the photo
    slider.setValue(20)
    wait_until(lambda: dialog.preview.shown == 20)
    assert view.after_image() != full
    assert view.before_image() == before
    # a rapid series of changes ends showing the last one
    for value in (30, 40, 50, 60):
        slider.setValue(value)
    wait_until(lambda: dialog.preview.shown == 60 and not dialog.preview.busy)

    # "Drop location" needs "Keep metadata", and leaves the GPS position out (below)
    location = dialog.findChild(QCheckBox, "applyLocationCheck")
    dialog.metadata_check.setChecked(False)
    assert not location.isEnabled()
    dialog.metadata_check.setChecked(True)
    location.setChecked(True)

    wait_until(lambda: ready_to_start(dialog))
    # Hold the batch's end (every photo styled, the row still running) until the dialog has
    # shown a styled photo: shown while the batch runs, whatever the machine's speed (a fast
    # one could style the big photo before the dialog next reads the items).
    release = hold_the_end(monkeypatch, "style.apply")
    previews: list[tuple[str, bool]] = []
    start = dialog.findChild(QPushButton, "applyStartButton")
    qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
    wait_until(lambda: bool(window.following.progress_dialogs))
    job_id, progress = next(iter(window.following.progress_dialogs.items()))
    assert not shown(dialog)
    image = progress.findChild(QLabel, "jobPreviewImage")
    progress.previewShown.connect(lambda path: previews.append((path, not image.pixmap().isNull())))
    closed: list[bool] = []
    progress.finished.connect(lambda _r: closed.append(True))
    offered: list[tuple[str, str, str]] = []
    window.notifier.offered.connect(lambda *args: offered.append(args))

    try:
        wait_until(lambda: bool(previews), timeout=60)  # a finished photo shows while the batch runs
        assert window.runtime.engine.get(job_id).status == "running"
    finally:
        release.set()
    path, has_pixmap = previews[0]
    assert has_pixmap and Path(path).parent == tmp_path / "Teal Dusk"
    wait_until(lambda: bool(closed), timeout=120)
    row = window.runtime.engine.get(job_id)
    assert row.status == "succeeded", row.error
    assert row.result_dict()["done"] == 5

    outputs = sorted(p.name for p in (tmp_path / "Teal Dusk").iterdir())
    assert outputs == ["a.jpg", "b.png", "c.jpg", "d.jpg", "z_big.png"]
    with Image.open(tmp_path / "Teal Dusk" / "a.jpg") as styled, Image.open(shoot / "a.jpg") as original:
        assert styled.size == original.size
        assert styled.getexif().get(0x010F) == "TestCam" and not styled.getexif().get_ifd(0x8825)
        assert original.getexif().get_ifd(0x8825)

    # the notice offers the folder, and its button opens it
    wait_until(lambda: bool(offered))
    bar = window.findChild(QWidget, "noticeBar")
    assert bar.isVisible()
    assert str(tmp_path / "Teal Dusk") in window.findChild(QLabel, "noticeText").text()
    opened: list[QUrl] = []
    monkeypatch.setattr(window, "url_opener", lambda url: opened.append(url) or True)
    button = window.findChild(QPushButton, "noticeActionButton")
    assert button.text() == "Open folder"
    button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "Teal Dusk"))]
    assert not bar.isVisible()


def test_a_damaged_photo_stays_listed_and_retry_failed_redoes_only_it(qtbot, home_with_styles, window, tmp_path, monkeypatch):
    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.05)
    shoot = tmp_path / "shoot"
    for n, name in enumerate(("one.jpg", "two.jpg", "three.png")):
        photo(shoot / name, seed=n)
    good = photo(tmp_path / "spare.jpg", seed=7).read_bytes()
    broken = shoot / os.fsdecode(b"broken\xff.jpg")  # a name that is not UTF-8: shown escaped
    broken.write_bytes(good[: len(good) // 3])  # a half-copied JPEG

    dialog = open_by_drop(window, 2, shoot)
    wait_until(lambda: "4 photos" in dialog.inputs_label.text())
    dialog.set_output(str(tmp_path / "styled"))
    wait_until(lambda: ready_to_start(dialog))
    dialog.start_button.click()
    wait_until(lambda: bool(window.following.progress_dialogs))
    job_id, progress = next(iter(window.following.progress_dialogs.items()))

    failed_list = progress.findChild(QListWidget, "jobFailedItemsList")
    # a success with a problem: done, the styled photos there to use, the failed one listed
    wait_until(lambda: progress.finished_status == "succeeded" and failed_list.count() == 1, timeout=90)
    assert shown(progress)  # stays open
    assert progress.findChild(QLabel, "jobErrorLabel").text().startswith("Done · 3 of 4 photos · 1 could not be styled")
    assert failed_list.isVisible()
    opened: list[QUrl] = []
    monkeypatch.setattr(window, "url_opener", lambda url: opened.append(url) or True)
    open_folder = progress.findChild(QPushButton, "jobOpenFolderButton")
    assert open_folder.isVisible()
    open_folder.click()
    assert [u.toLocalFile() for u in opened] == [str(tmp_path / "styled")]
    from desktop.ui.jobs_panel import actions_for

    assert ("retry", "Retry failed") in actions_for(window.runtime.engine.get(job_id)), "the jobs panel offers it too"
    assert failed_list.item(0).text().startswith("broken\\xff.jpg: ")
    assert len(failed_list.item(0).text()) > len("broken\\xff.jpg: ") + 10  # with its reason
    retry_failed = progress.findChild(QPushButton, "jobRetryFailedButton")
    assert retry_failed.isVisible() and not progress.findChild(QPushButton, "jobRetryButton").isVisible()

    store = ItemStore(window.runtime.db)
    done_before = {i.input: i.output for i in store.items(job_id) if i.status == "done"}
    assert len(done_before) == 3
    stamps = {out: (os.stat(out).st_ino, os.stat(out).st_mtime_ns) for out in done_before.values()}

    broken.write_bytes(good)  # fixed
    closed: list[bool] = []
    progress.finished.connect(lambda _r: closed.append(True))
    retry_failed.click()
    wait_until(lambda: bool(closed), timeout=90)  # kept following it to success
    row = window.runtime.engine.get(job_id)
    assert row.status == "succeeded", row.error
    items = store.items(job_id)
    assert [i.status for i in items] == ["done"] * 4
    fixed = next(i for i in items if i.input == str(broken))
    assert fixed.output == str(tmp_path / "styled" / broken.name) and Path(fixed.output).is_file()
    for out, stamp in stamps.items():  # the finished photos were not written again
        assert (os.stat(out).st_ino, os.stat(out).st_mtime_ns) == stamp
    assert sorted(p.name for p in (tmp_path / "styled").iterdir()) == [broken.name, "one.jpg", "three.png", "two.jpg"]
    wait_until(lambda: window.notice_bar.isVisible())


def test_the_menu_action_needs_a_selected_style(qtbot, home_with_styles, window):
    action = window.findChild(QAction, "applyAction")
    gallery, index = card(window, 3)
    assert not gallery.currentIndex().isValid()
    assert not action.isEnabled()
    assert action.shortcut().toString() == "Ctrl+Shift+A"
    gallery.setCurrentIndex(index)
    wait_until(action.isEnabled)
    action.trigger()
    wait_until(lambda: shown(window.findChild(ApplyDialog, "applyDialog")))
    dialog = window.findChild(ApplyDialog, "applyDialog")
    assert dialog.style_id == gallery.currentIndex().data(StyleIdRole) == 3
    wait_until(lambda: dialog.style is not None)
    wait_until(lambda: "No photos yet" in dialog.inputs_label.text())  # after "Looking at the photos…"
    assert not dialog.start_button.isEnabled()
    dialog.reject()
    wait_until(lambda: not alive(dialog) or not dialog.isVisible())


def unwritable_folder(tmp_path: Path) -> Path:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if not os.access(locked, os.W_OK):
        return locked / "out"
    # root writes anywhere it may: a folder the system itself refuses to root
    if os.path.isdir("/proc/1") and not os.access("/proc/1", os.W_OK):
        return Path("/proc/1/stylestudio-out")
    pytest.skip("no folder here is unwritable for this user")


def test_an_unwritable_or_file_output_gets_one_sentence_and_no_start(qtbot, home_with_styles, window, tmp_path):
    shoot = tmp_path / "shoot"
    photo(shoot / "a.jpg")
    dialog = open_by_drop(window, 1, shoot / "a.jpg")
    wait_until(lambda: ready_to_start(dialog))
    error = dialog.findChild(QLabel, "applyErrorLabel")
    assert not error.isVisible()

    bad = unwritable_folder(tmp_path)
    dialog.set_output(str(bad))
    wait_until(lambda: error.isVisible())
    assert "cannot be written to" in error.text() and error.text().count(".") >= 1
    assert error.text().strip().endswith(".") and "\n" not in error.text()
    assert not dialog.start_button.isEnabled()
    assert not bad.exists()

    a_file = tmp_path / "taken.txt"
    a_file.write_text("x")
    dialog.set_output(str(a_file))
    wait_until(lambda: "is a file" in error.text())
    assert not dialog.start_button.isEnabled()

    dialog.set_output(str(tmp_path / "fine"))  # a good choice enables Start again
    wait_until(lambda: ready_to_start(dialog))
    assert not error.isVisible()
    assert not (tmp_path / "fine").exists()


def test_a_drop_between_cards_still_starts_a_new_style(qtbot, home_with_styles, window, tmp_path):
    from desktop.ui.new_style_dialog import NewStyleDialog

    gallery, _index = card(window, 1)
    reference = photo(tmp_path / "ref.png")
    empty_spot = QPoint(gallery.viewport().width() - 3, gallery.viewport().height() - 3)
    assert not gallery.indexAt(empty_spot).isValid()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(reference))])
    viewport = gallery.viewport()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, QDragEnterEvent(empty_spot, *args))
    drop = QDropEvent(QPointF(empty_spot), *args)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()
    wait_until(lambda: shown(window.findChild(NewStyleDialog, "newStyleDialog")))
    assert window.findChild(ApplyDialog, "applyDialog") is None


def test_start_waits_for_a_newly_chosen_output_folder_to_be_checked(qtbot, home_with_styles, window, tmp_path):
    """A folder chosen with Browse… is checked before Start is offered again: a Start that looked
    enabled but did nothing (the check of the new folder was still running) was a dead click."""
    shoot = tmp_path / "shoot"
    photo(shoot / "a.jpg", seed=1)
    dialog = open_by_drop(window, 2, shoot)
    wait_until(lambda: "1 photo" in dialog.inputs_label.text())
    wait_until(lambda: ready_to_start(dialog))
    dialog.set_output(str(tmp_path / "chosen"))
    assert not ready_to_start(dialog)  # at once: the new folder is not checked yet
    wait_until(lambda: ready_to_start(dialog))
    dialog.reject()
    wait_until(lambda: not alive(dialog) or not dialog.isVisible())


def test_a_long_style_name_wraps_in_the_heading_and_is_whole_in_its_tooltip(qtbot, home_with_styles, window, tmp_path):
    from desktop.library.writing import rename_style

    gallery, index = card(window, 1)
    long_name = "Cool teal and orange cinematic, high contrast, for the harbour photos of last summer's trip"
    rename_style(window.runtime.db, 1, long_name)
    dialog = open_by_drop(window, 1, photo(tmp_path / "in" / "a.jpg"))
    title = dialog.findChild(QLabel, "applyTitleLabel")
    wait_until(lambda: title.toolTip() == long_name)
    assert title.wordWrap() and title.text().startswith("Apply “Cool teal") and "…”" in title.text()
    assert title.width() <= dialog.width() and title.heightForWidth(title.width()) <= title.height() + 1, "nothing is cut"
    dialog.reject()
