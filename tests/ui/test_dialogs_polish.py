"""The dialogs as a person finds them: nothing clipped or drawn over, one message said once,
every setting there, paste that does what it says, a failed job that says it failed, a new
library that says what to do, colours that follow a dark palette, and names for every control."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible, QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollBar,
    QSpinBox,
    QTextEdit,
    QWidget,
)

from desktop import config
from desktop.jobs.model import JobRow
from desktop.ui.drop_zone import DropZone
from desktop.ui.new_style_dialog import NewStyleDialog
from desktop.ui.progress_dialog import DialogState, JobProgressDialog
from desktop.ui.progress_text import (
    MORE_IN_THE_LOG,
    describe_time,
    distinct_log_records,
    readable_log,
)
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.style_detail import StyleDetail
from tests.ui.conftest import shown, wait_until

# --- helpers -----------------------------------------------------------------------------------


def open_settings(window) -> SettingsDialog:
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert dialog is not None and dialog.isVisible()
    wait_until(lambda: dialog.key_note.text() != "")
    return dialog


def open_new_style(window) -> NewStyleDialog:
    dialog = window.new_style_flow.open()
    assert dialog is not None
    wait_until(dialog.isVisible)
    return dialog


def follow(window, job_type: str, payload: dict) -> JobProgressDialog:
    job_id = window.runtime.engine.enqueue(job_type, payload)
    dialog = window.following.follow_job(job_id, job_type)
    assert dialog is not None
    return dialog


def overlapping_siblings(root: QWidget) -> list[tuple[str, str, int]]:
    """Pairs of visible widgets with the same parent whose rectangles cross (and by how many
    pixels of height)."""
    found = []
    for parent in [root, *root.findChildren(QWidget)]:
        kids = [
            w
            for w in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if w.isVisible() and not w.isWindow()
        ]
        for i, a in enumerate(kids):
            for b in kids[i + 1 :]:
                cross = a.geometry().intersected(b.geometry())
                if not cross.isEmpty():
                    found.append((a.objectName() or type(a).__name__, b.objectName() or type(b).__name__, cross.height()))
    return found


def fully_shown(label: QLabel) -> bool:
    """The label has the height its wrapped text needs at its width, inside its parent."""
    need = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
    inside = label.parentWidget().rect().contains(label.geometry())
    return label.isVisible() and label.height() >= need and inside


def visible_texts(root: QWidget) -> list[str]:
    return [w.text() for w in root.findChildren(QLabel) if w.isVisible() and w.text()]


def luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def low_contrast_labels(root: QWidget) -> list[tuple[str, str, str, float]]:
    """Visible labels whose text colour reads poorly on the window behind them (under WCAG AA)."""
    bad = []
    background = root.palette().color(QPalette.ColorRole.Window)
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.text() or label.pixmap() is not None and not label.pixmap().isNull():
            continue
        fg = label.palette().color(QPalette.ColorRole.WindowText)
        ratio = contrast(fg, background)
        if ratio < 4.5:
            bad.append((label.objectName() or label.text()[:30], fg.name(), background.name(), round(ratio, 2)))
    return bad


CONTROL_TYPES = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider, QTextEdit, QPlainTextEdit, DropZone)


def controls(root: QWidget) -> list[QWidget]:
    """Every control a person can reach in ``root`` (not the parts inside a spin box or combo)."""
    found = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, CONTROL_TYPES) or isinstance(w, QScrollBar):
            continue
        p = w.parentWidget()
        inner = False
        while p is not None and p is not root:
            if isinstance(p, (QAbstractSpinBox, QComboBox)):
                inner = True
            p = p.parentWidget()
        if not inner:
            found.append(w)
    return found


def unnamed_controls(root: QWidget) -> list[str]:
    """Controls that a screen reader would announce without a name, and buttons without a tooltip."""
    problems = []
    for w in controls(root):
        iface = QAccessible.queryAccessibleInterface(w)
        name = iface.text(QAccessible.Text.Name).strip() if iface is not None else ""
        if not name and not w.accessibleName().strip():
            problems.append(f"{type(w).__name__} {w.objectName()!r} has no accessible name")
        if isinstance(w, QAbstractButton) and not w.toolTip().strip():
            problems.append(f"button {w.objectName() or w.text()!r} has no tooltip")
    return problems


@pytest.fixture
def dark_palette(qapp):
    """The system switching to a dark palette while the app runs; restored afterwards."""
    before = QPalette(qapp.palette())
    dark = QPalette(QColor(53, 53, 53), QColor(43, 43, 43))
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        dark.setColor(group, QPalette.ColorRole.WindowText, QColor(232, 232, 232))
        dark.setColor(group, QPalette.ColorRole.Text, QColor(232, 232, 232))
        dark.setColor(group, QPalette.ColorRole.ButtonText, QColor(232, 232, 232))
        dark.setColor(group, QPalette.ColorRole.Base, QColor(30, 30, 30))

    def switch() -> None:
        qapp.setPalette(dark)
        QApplication.processEvents()

    yield switch
    qapp.setPalette(before)
    QApplication.processEvents()


# --- settings ----------------------------------------------------------------------------------


def test_without_a_keyring_the_whole_note_is_visible(qtbot, window, monkeypatch):
    monkeypatch.setattr(config, "usable_keyring", lambda: None)
    dialog = open_settings(window)
    note = dialog.findChild(QLabel, "falKeyNoteLabel")
    assert "Set the FAL_KEY environment variable" in note.text()
    wait_until(lambda: fully_shown(note))
    assert note.height() >= note.heightForWidth(note.width())
    assert note.fontMetrics().lineSpacing() * 2 <= note.height()  # it does take two lines or more
    assert overlapping_siblings(dialog) == []


def test_settings_show_and_save_preview_count_and_size(qtbot, window, home):
    dialog = open_settings(window)
    count = dialog.findChild(QSpinBox, "settingsPreviewCountSpin")
    size = dialog.findChild(QSpinBox, "settingsPreviewSizeSpin")
    assert count.isVisible() and size.isVisible()
    assert (count.value(), size.value()) == (window.runtime.settings.preview_count, window.runtime.settings.preview_size)
    count.setValue(6)
    size.setValue(1024)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    wait_until(lambda: not shown(dialog))
    saved = json.loads((home / "settings.json").read_text())
    assert (saved["preview_count"], saved["preview_size"]) == (6, 1024)
    assert (window.runtime.settings.preview_count, window.runtime.settings.preview_size) == (6, 1024)
    new_style = open_new_style(window)  # a new style starts with the new count
    assert new_style.previews.value() == 6
    new_style.reject()


def test_settings_fields_line_up_across_groups(qtbot, window):
    dialog = open_settings(window)
    lefts = set()
    for form in dialog.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            field = item.widget() if item is not None else None
            if field is None and item is not None and item.layout() is not None:
                field = item.layout().itemAt(0).widget()
            if field is not None and field.isVisible():
                lefts.add(field.mapTo(dialog, QPoint(0, 0)).x())
    assert len(lefts) == 1, f"fields start at x = {sorted(lefts)}"


# --- new style -----------------------------------------------------------------------------------


def test_fal_without_a_key_says_it_once_and_nothing_overlaps(qtbot, window):
    dialog = open_new_style(window)
    dialog.backend.setCurrentIndex(dialog.backend.findData("fal"))
    hint = dialog.findChild(QLabel, "newStyleHintLabel")
    error = dialog.findChild(QLabel, "newStyleErrorLabel")
    wait_until(hint.isVisible)
    assert "FAL_KEY" in hint.text()
    assert overlapping_siblings(dialog) == []
    assert fully_shown(hint)

    dialog.description.setPlainText("warm faded film")
    dialog.findChild(QPushButton, "generateButton").click()
    wait_until(error.isVisible)
    assert "FAL_KEY" in error.text()
    assert [t for t in visible_texts(dialog) if "FAL_KEY" in t] == [error.text()]  # said once
    assert overlapping_siblings(dialog) == []
    assert fully_shown(error)
    assert window.runtime.engine.list() == []

    dialog.backend.setCurrentIndex(dialog.backend.findData("local"))  # no hint for local
    assert not hint.isVisible()


def test_ctrl_v_with_an_image_while_typing_the_description_takes_it_as_reference(qtbot, window):
    dialog = open_new_style(window)
    zone = dialog.findChild(DropZone, "referenceDropZone")
    edit = dialog.findChild(QPlainTextEdit, "descriptionEdit")
    qtbot.keyClicks(edit, "teal shadows")
    image = QImage(80, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    QGuiApplication.clipboard().setImage(image)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_until(lambda: zone.reference is not None)
    assert zone.reference.size == (80, 60)
    assert edit.toPlainText() == "teal shadows"  # the text is left as it was

    QGuiApplication.clipboard().setText(" and grain")  # text still pastes as text
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_until(lambda: edit.toPlainText() == "teal shadows and grain")
    assert zone.reference.size == (80, 60)


# --- progress --------------------------------------------------------------------------------------


def test_a_failed_style_says_so_once(qtbot, window):
    dialog = follow(
        window,
        "style.generate",
        {"description": "dusky blues", "backend": "local", "previews": 1, "size": 64, "reference": "uploads/gone.jpg"},
    )
    error = dialog.findChild(QLabel, "jobErrorLabel")
    wait_until(lambda: shown(dialog) and error.isVisible())
    assert dialog.state is DialogState.FAILED and dialog.finished_status == "failed"
    assert dialog.windowTitle() == "Style not created"
    assert dialog.title.text() == "Style not created"
    when = dialog.findChild(QLabel, "jobTimeLabel").text()
    assert when.startswith("Failed after ") and "attempt" not in when
    assert fully_shown(error)
    assert overlapping_siblings(dialog) == []

    dialog.findChild(QPushButton, "jobDetailsButton").click()
    details = dialog.findChild(QPlainTextEdit, "jobDetailsText")
    wait_until(lambda: "started" in details.toPlainText())
    assert details.toPlainText().count(error.text()) == 1


def test_failed_time_names_attempts_only_after_retries():
    now = time.time()
    row = JobRow(1, "style.generate", "failed", "Failed", None, "{}", None, "x", 1, 3, False, now - 5, now - 5, now, now, 0.0, None, None)
    assert describe_time(row, now) == "Failed after 0:05"
    assert describe_time(replace(row, attempts=3), now) == "Failed after 3 attempts (the last ran 0:05)"


def test_details_drop_a_record_repeated_right_after_itself():
    lines = [
        "2026-01-01 10:00:00,000 INFO desktop.jobs.run: [job 2] style.generate started (attempt 1 of 3)",
        "2026-01-01 10:00:00,100 WARNING desktop.jobs.run: [job 2] failed: The image is gone.",
        "2026-01-01 10:00:00,200 INFO desktop.jobs.run: [job 2] failed: The image is gone.",
        "2026-01-01 10:00:01,000 INFO desktop.jobs.run: [job 2] style.generate started (attempt 2 of 3)",
        "2026-01-01 10:00:01,100 ERROR desktop.jobs.run: [job 2] failed with an unexpected error",
        "Traceback (most recent call last):",
        "ValueError: boom",
    ]
    kept = distinct_log_records(lines)
    assert sum("The image is gone" in line for line in kept) == 1
    assert kept[-2:] == lines[-2:]  # a traceback stays with its record
    assert len(kept) == len(lines) - 1


def test_the_dialog_state_follows_cancel_to_the_end(qtbot, window, monkeypatch):
    from desktop.ui import progress_dialog

    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.0)
    dialog = follow(window, "diagnostics.sleep", {"seconds": 60, "steps": 600})
    wait_until(lambda: shown(dialog) and "step" in dialog.message.text())
    assert dialog.state is DialogState.FOLLOWING and dialog.finished_status is None
    ended: list[str] = []
    dialog.ended.connect(lambda _id, status: ended.append(status))
    dialog.cancel_button.click()
    assert dialog.state is DialogState.CANCELING
    wait_until(lambda: bool(ended))
    assert ended == ["canceled"]


# --- the detail pane with nothing to show ------------------------------------------------------------


def test_a_new_library_shows_an_empty_state_with_a_new_style_button(qtbot):
    detail = StyleDetail()
    qtbot.addWidget(detail)
    detail.resize(360, 600)
    detail.show()
    requested: list[bool] = []
    detail.newStyleRequested.connect(lambda: requested.append(True))

    detail.show_library_state(0)
    texts = " ".join(visible_texts(detail))
    assert "library is empty" in texts and "Select a style" not in texts
    button = detail.findChild(QPushButton, "detailNewStyleButton")
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert requested == [True]

    detail.show_library_state(0, searching=True)
    assert "No style matches" in " ".join(visible_texts(detail))
    detail.show_library_state(3)
    texts = " ".join(visible_texts(detail))
    assert "Select a style" in texts and "empty" not in texts
    assert unnamed_controls(detail) == []


# --- dark palette while running --------------------------------------------------------------------


def test_dialogs_recolour_when_the_palette_turns_dark(qtbot, window, dark_palette, monkeypatch):
    monkeypatch.setattr(config, "usable_keyring", lambda: None)
    settings = open_settings(window)
    settings.reject()
    new_style = open_new_style(window)
    new_style.backend.setCurrentIndex(new_style.backend.findData("fal"))
    wait_until(lambda: new_style.findChild(QLabel, "newStyleHintLabel").isVisible())
    failed = follow(window, "diagnostics.sleep", {"seconds": 0, "steps": 1, "fail_at_step": 1})
    wait_until(lambda: shown(failed) and failed.error.isVisible())
    settings = open_settings(window)
    detail = window.detail
    detail.show_library_state(0)
    for widget in (settings, new_style, failed, detail):
        assert low_contrast_labels(widget) == [], widget.objectName()

    dark_palette()
    for widget in (settings, new_style, failed, detail):
        wait_until(lambda widget=widget: low_contrast_labels(widget) == [])
    assert settings.palette().color(QPalette.ColorRole.Window).lightness() < 80  # it did turn dark


# --- names and tooltips -------------------------------------------------------------------------------


def test_every_control_in_the_dialogs_has_a_name_and_every_button_a_tooltip(qtbot, window, monkeypatch):
    from desktop.ui import progress_dialog

    settings = open_settings(window)
    assert unnamed_controls(settings) == []
    assert len(controls(settings)) >= 12
    settings.reject()

    new_style = open_new_style(window)
    assert unnamed_controls(new_style) == []
    assert len(controls(new_style)) >= 6
    new_style.reject()

    monkeypatch.setattr(progress_dialog, "SHOW_DELAY", 0.0)
    running = follow(window, "diagnostics.sleep", {"seconds": 30, "steps": 300})
    wait_until(lambda: shown(running))
    assert unnamed_controls(running) == []  # the failed state's buttons are there (hidden) too
    running.cancel_job()


def test_history_days_read_as_people_write_them(qtbot, window):
    dialog = open_settings(window)
    days = dialog.findChild(QDoubleSpinBox, "retentionSpin")
    days.setValue(7)
    assert days.text() == "7 days", "no '7.0 days'"
    days.setValue(0.5)
    assert days.text() == "0.5 days"
    days.lineEdit().setText("12 days")
    days.interpretText()
    assert days.value() == 12
    dialog.reject()


def test_details_read_as_sentences_and_keep_tracebacks_in_the_log_file():
    lines = [
        "2026-01-01 10:00:00,000 INFO desktop.jobs.run: [job 2] style.generate started (attempt 1 of 3)",
        "2026-01-01 10:00:01,100 ERROR desktop.jobs.run: [job 2] failed with an unexpected error",
        "Traceback (most recent call last):",
        "ValueError: boom",
    ]
    shown = readable_log(lines, {"style.generate": "Generate style"}.get)
    assert shown == [
        "10:00:00  Generate style started (attempt 1 of 3)",
        "10:00:01  Failed with an unexpected error",
        MORE_IN_THE_LOG,
    ]


def test_fal_queue_and_models_wait_under_advanced(qtbot, window):
    dialog = open_settings(window)
    model = dialog.findChild(QLineEdit, "falModelTextEdit")
    advanced = dialog.findChild(QAbstractButton, "settingsAdvancedButton")
    assert advanced.isVisible() and not model.isVisible(), "rarely changed: out of the way"
    height = dialog.height()
    advanced.click()
    wait_until(model.isVisible)
    assert dialog.findChild(QLineEdit, "falQueueUrlEdit").isVisible()
    wait_until(lambda: dialog.height() > height)  # the dialog grew to show them
    assert overlapping_siblings(dialog) == []
    dialog.reject()
