"""The main window for people who do not use it the way its author does: every control has a
name a screen reader can say and every button a tooltip (a walk over the whole widget tree),
secondary text stays readable when the system palette turns dark while the app runs, and a new
library's empty jobs panel does not eat a quarter of the window.

(The dialogs' own controls are covered by tests/ui/test_dialogs_polish.py.)"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QAccessible, QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

from desktop.ui.styles_model import StyleIdRole
from tests.ui.conftest import wait_until
from tests.ui.sample_library import add_styles

CONTROLS = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit)


@pytest.fixture
def styled_home(home):
    from desktop.runtime import open_runtime

    open_runtime(home, watch_external=False).close()  # migrate
    add_styles(home, 3, previews=2)
    return home


def controls_of(window: QWidget) -> list[QWidget]:
    """The visible controls of the window itself (not of its dialogs, which are windows too).
    Scroll bars belong to their scroll area, which carries the name."""
    return [
        w
        for w in window.findChildren(QWidget)
        if isinstance(w, CONTROLS) and not isinstance(w, QScrollBar) and w.window() is window and w.isVisibleTo(window)
    ]


def spoken_name(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__} '{widget.objectName()}' in {type(widget.parentWidget()).__name__}"


def populated(qtbot, window) -> None:
    """A window with something in every pane: styles, a selected style's detail, a job row."""
    gallery = window.findChild(QListView, "galleryView")
    wait_until(lambda: gallery.model() is not None and gallery.model().rowCount() == 3)
    first = gallery.model().index(0, 0)
    gallery.setCurrentIndex(first)
    wait_until(lambda: window.detail.style is not None and window.detail.style.id == first.data(StyleIdRole))
    engine = window.runtime.engine
    job = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1})
    wait_until(lambda: engine.get(job).status == "succeeded")
    jobs = window.findChild(QListView, "jobsView")
    wait_until(lambda: jobs.isVisibleTo(window) and jobs.model().rowCount() == 1)


def test_every_control_of_the_main_window_has_a_spoken_name_and_every_button_a_tooltip(qtbot, styled_home, window):
    populated(qtbot, window)
    controls = controls_of(window)
    names = {type(w).__name__ for w in controls}
    assert {"GalleryView", "JobsView", "QLineEdit", "QToolButton", "QPushButton"} <= names  # the walk saw them
    unnamed = [describe(w) for w in controls if not spoken_name(w)]
    assert unnamed == [], f"controls a screen reader cannot name: {unnamed}"
    no_tip = [describe(w) for w in controls if isinstance(w, QAbstractButton) and not w.toolTip().strip()]
    assert no_tip == [], f"buttons without a tooltip: {no_tip}"
    for action in window.menuBar().actions():
        for item in action.menu().actions():
            assert item.isSeparator() or item.text().replace("&", "").strip(), "a menu item without text"


def test_the_empty_state_button_and_search_field_are_named(qtbot, window):
    """A new library: the controls on show then (the empty state's button, the search)."""
    wait_until(lambda: window.gallery.empty.button.isVisible())
    controls = controls_of(window)
    assert window.gallery.empty.button in controls
    assert [describe(w) for w in controls if not spoken_name(w)] == []
    assert window.gallery.empty.button.toolTip()


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def painted_contrast(label: QLabel) -> float:
    """Render the label's part of its window and compare the background (the most common
    colour) with the colour furthest from it (the text)."""
    window = label.window()
    image: QImage = window.grab().toImage()
    rect: QRect = label.rect().translated(label.mapTo(window, label.rect().topLeft()))
    ratio = image.devicePixelRatio()
    counts: dict[int, int] = {}
    pixels = []
    for y in range(int(rect.top() * ratio), int(rect.bottom() * ratio)):
        for x in range(int(rect.left() * ratio), int(rect.right() * ratio)):
            rgb = image.pixel(x, y)
            counts[rgb] = counts.get(rgb, 0) + 1
            pixels.append(rgb)
    background = QColor.fromRgb(max(counts, key=counts.__getitem__))
    return max(contrast(QColor.fromRgb(p), background) for p in pixels)


def dark_palette() -> QPalette:
    """What a desktop switching to dark hands the app (only the main roles: a hand-made dark
    palette often leaves the rest, such as PlaceholderText, at their light values)."""
    pal = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e8e8e8"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.Text, "#e8e8e8"),
        (QPalette.ColorRole.Button, "#353535"),
        (QPalette.ColorRole.ButtonText, "#e8e8e8"),
    ):
        pal.setColor(role, QColor(color))
    return pal


def test_secondary_text_stays_readable_when_the_palette_turns_dark(qtbot, window):
    label = window.jobs_panel.summary
    wait_until(lambda: label.text() == "No jobs yet" and label.isVisible())
    empty_body = window.gallery.empty.body
    wait_until(lambda: empty_body.isVisible() and empty_body.text())
    app = QApplication.instance()
    light = QPalette(app.palette())
    before = label.palette().color(QPalette.ColorRole.WindowText)
    assert painted_contrast(label) >= 4.5
    try:
        app.setPalette(dark_palette())
        # the label follows the change: light text on the dark window, as painted
        wait_until(lambda: label.palette().color(QPalette.ColorRole.WindowText) != before)
        for widget in (label, empty_body):
            text = widget.palette().color(QPalette.ColorRole.WindowText)
            back = widget.palette().color(QPalette.ColorRole.Window)
            assert luminance(back) < 0.1
            assert contrast(text, back) >= 4.5, f"{widget.text()!r}: {text.name()} on {back.name()}"
            assert painted_contrast(widget) >= 4.5
    finally:
        app.setPalette(light)
    wait_until(lambda: label.palette().color(QPalette.ColorRole.WindowText) == before)  # and back


def test_a_new_librarys_empty_jobs_panel_is_one_line_high_until_a_job_comes(qtbot, window):
    panel = window.jobs_panel
    wait_until(lambda: window.jobs_model is not None and panel.summary.text() == "No jobs yet")
    wait_until(lambda: panel.isVisible() and panel.height() > 0)
    assert panel.height() < window.height() / 8, f"the empty jobs panel is {panel.height()} of {window.height()} px"
    engine = window.runtime.engine
    job = engine.enqueue("diagnostics.sleep", {"seconds": 0, "steps": 1})
    wait_until(lambda: engine.get(job).status == "succeeded")
    view = window.findChild(QListView, "jobsView")
    # room for the row now (one row whole, not a quarter of the window: test_jobs_panel has the rest)
    wait_until(lambda: view.isVisible() and panel.height() == panel.fitted_height(1))
    assert view.height() >= view.sizeHintForRow(0)
