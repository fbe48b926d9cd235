"""The whole flow: drop a reference, describe, Generate, watch the progress dialog, find the
new style selected in the gallery. And the drops the dialog must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QListView,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
)

from desktop.resources import sample_photos
from desktop.ui import progress_dialog
from desktop.ui.drop_zone import DropZone
from desktop.ui.new_style_dialog import NewStyleDialog
from desktop.ui.progress_dialog import JobProgressDialog
from desktop.ui.styles_model import StyleIdRole
from tests.ui.conftest import alive, drop_files, shown, wait_until
from tests.ui.sample_library import add_styles


@pytest.fixture
def home_with_styles(home):
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    add_styles(home, 3, previews=1)
    return home


def open_dialog(qtbot, window) -> NewStyleDialog:
    window.findChild(type(window.new_style_action), "newStyleAction").trigger()
    dialog = window.findChild(NewStyleDialog, "newStyleDialog")
    assert dialog is not None
    wait_until(dialog.isVisible)
    return dialog


def test_drop_describe_generate_then_the_new_style_is_selected(qtbot, home_with_styles, window, monkeypatch, tmp_path):
    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.05)  # this job takes about a second
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == 3)

    dialog = open_dialog(qtbot, window)
    zone = dialog.findChild(DropZone, "referenceDropZone")
    reference = tmp_path / "my reference.png"
    reference.write_bytes(sample_photos()[2].read_bytes())
    assert drop_files(zone, reference)
    wait_until(lambda: zone.reference is not None)
    assert "my reference.png" in zone.title.text()
    assert "×" in zone.detail.text()  # the image size is shown

    qtbot.keyClicks(dialog.findChild(QPlainTextEdit, "descriptionEdit"), "warm faded film, teal shadows, soft grain")
    assert dialog.findChild(QComboBox, "backendCombo").currentData() == "local"
    dialog.findChild(QSpinBox, "previewCountSpin").setValue(4)
    # big previews: rendering must outlast the 0.2 s between progress writes, or its messages
    # are never written (a fast machine rendered 4 previews at 768 px in less)
    window.runtime.settings.preview_size = 1536
    generate = dialog.findChild(QPushButton, "generateButton")
    assert generate.isEnabled()
    qtbot.mouseClick(generate, Qt.MouseButton.LeftButton)

    wait_until(lambda: bool(window.following.progress_dialogs))
    (job_id, progress) = next(iter(window.following.progress_dialogs.items()))
    assert progress.objectName() == "jobProgressDialog"
    assert not shown(dialog)  # the new-style dialog closed once the job was queued

    label = progress.findChild(QLabel, "jobMessageLabel")
    bar = progress.findChild(QProgressBar, "jobProgressBar")
    messages: list[str] = []  # what the dialog showed after each row it applied (none missed)
    bars: list[tuple[int, int]] = []
    closed = []
    progress.finished.connect(lambda _r: closed.append(True))
    original_apply = progress.apply

    def recording_apply(row) -> None:
        original_apply(row)
        if alive(progress):
            if not messages or messages[-1] != label.text():
                messages.append(label.text())
            bars.append((bar.value(), bar.maximum()))

    progress.apply = recording_apply
    wait_until(lambda: bool(closed), timeout=60)
    row = window.runtime.engine.get(job_id)
    assert row.status == "succeeded", row.error
    assert len(set(messages)) >= 2, messages  # the message changed while we watched
    assert any("preview" in m.lower() for m in messages), messages
    assert all(0 <= value <= 1000 or maximum == 0 for value, maximum in bars), bars
    assert not shown(progress)

    new_id = row.result_dict()["id"]
    wait_until(lambda: gallery.model().rowCount() == 4)
    wait_until(lambda: gallery.currentIndex().data(StyleIdRole) == new_id)
    assert gallery.selectionModel().isSelected(gallery.currentIndex())
    assert gallery.currentIndex().row() == 0  # newest first
    assert gallery.visualRect(gallery.currentIndex()).intersects(gallery.viewport().rect())
    detail = window.findChild(type(window.detail), "styleDetail")
    wait_until(lambda: detail.style is not None and detail.style.id == new_id)


def test_non_image_drops_are_refused_and_start_no_job(qtbot, window, tmp_path):
    dialog = open_dialog(qtbot, window)
    zone = dialog.findChild(DropZone, "referenceDropZone")
    error = dialog.findChild(QLabel, "newStyleErrorLabel")

    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture at all, just words\n" * 20)
    assert drop_files(zone, notes)
    wait_until(error.isVisible)
    assert error.text().startswith('Can\'t open "notes.txt"'), error.text()
    assert zone.reference is None

    folder = tmp_path / "holiday photos"
    folder.mkdir()
    assert drop_files(zone, folder)
    wait_until(lambda: "folder" in error.text())

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(sample_photos()[-1].read_bytes()[:3000])  # a truncated JPEG
    assert drop_files(zone, broken)
    wait_until(lambda: "broken.jpg" in error.text())
    assert zone.reference is None

    # the dialog stays usable: a good image is taken and the error goes away
    assert drop_files(zone, sample_photos()[0])
    wait_until(lambda: zone.reference is not None)
    assert not error.isVisible()
    assert dialog.isVisible()
    assert window.runtime.engine.list() == []  # no job was made by any of it


def test_dropping_an_image_on_the_main_window_opens_the_dialog_with_it(qtbot, window):
    photo = sample_photos()[1]
    assert drop_files(window, photo)
    dialog = window.findChild(NewStyleDialog, "newStyleDialog")
    assert dialog is not None and dialog.isVisible()
    zone = dialog.findChild(DropZone, "referenceDropZone")
    wait_until(lambda: zone.reference is not None)
    assert zone.reference.name == Path(photo).name


def test_pasting_an_image_uses_it_as_the_reference(qtbot, window):
    from PySide6.QtGui import QColor, QImage

    dialog = open_dialog(qtbot, window)
    zone = dialog.findChild(DropZone, "referenceDropZone")
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    mime = QMimeData()
    mime.setImageData(image)
    assert zone.take_mime(mime)
    wait_until(lambda: zone.reference is not None)
    assert zone.reference.size == (64, 48)
    assert isinstance(zone.reference.source, bytes)


def test_generate_needs_a_description(qtbot, window):
    dialog = open_dialog(qtbot, window)
    generate = dialog.findChild(QPushButton, "generateButton")
    assert not generate.isEnabled()
    qtbot.keyClicks(dialog.findChild(QPlainTextEdit, "descriptionEdit"), "   ")
    assert not generate.isEnabled()


def test_a_job_that_ends_quickly_never_flashes_a_dialog(qtbot, window, monkeypatch):
    # "quickly" is: before the dialog's delay; a long delay keeps that true on a loaded machine
    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 10.0)
    engine = window.runtime.engine
    job_id = engine.enqueue("diagnostics.sleep", {"seconds": 0.05, "steps": 1})
    progress = window.following.follow_job(job_id)
    assert isinstance(progress, JobProgressDialog)
    seen_visible = []
    done = []
    progress.finished.connect(lambda _r: done.append(True))
    wait_until(lambda: seen_visible.append(shown(progress)) or bool(done))
    assert engine.get(job_id).status == "succeeded"
    assert not any(seen_visible)


def test_an_original_dropped_beside_the_edited_photo_makes_a_style_learned_from_the_edit(qtbot, window, tmp_path):
    from PIL import ImageOps

    dialog = open_dialog(qtbot, window)
    reference = dialog.findChild(DropZone, "referenceDropZone")
    original_zone = dialog.findChild(DropZone, "originalDropZone")
    assert original_zone is not None and "before the edit" in original_zone.title.text()
    original = tmp_path / "before.png"
    original.write_bytes(sample_photos()[1].read_bytes())
    edited = tmp_path / "after.png"
    ImageOps.posterize(ImageOps.grayscale(Image.open(original)), 6).convert("RGB").save(edited)
    generate = dialog.findChild(QPushButton, "generateButton")

    assert drop_files(original_zone, original)
    wait_until(lambda: original_zone.reference is not None)
    assert reference.reference is None and not generate.isEnabled()  # no description, no edit yet
    assert drop_files(reference, edited)
    wait_until(lambda: reference.reference is not None and generate.isEnabled())  # words optional now
    qtbot.mouseClick(generate, Qt.MouseButton.LeftButton)
    wait_until(lambda: not shown(dialog))

    (row,) = [r for r in window.runtime.engine.list() if r.type == "style.generate"]
    payload = row.payload_dict()
    assert payload["original"].startswith("uploads/") and payload["reference"].startswith("uploads/")
    assert payload["original"] != payload["reference"] and payload["backend"] == "local"
    assert payload["description"] == "The look of after"
