"""What ``stylestudio self-test`` asks of the widgets: the self-test itself lives outside the
UI layer, so the widget look-ups (by the stable object names) are made here."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import QApplication, QListView, QWidget

from desktop.ui.styles_model import StyleIdRole


def application() -> Any:
    """The app's QApplication (created once, as ``stylestudio`` itself does). Qt's own warnings
    ("This plugin does not support propagateSizeHints()") go to the log file, so the self-test
    prints only its own lines."""
    from PySide6.QtCore import qInstallMessageHandler

    from desktop.ui.application import ensure_application

    qInstallMessageHandler(_qt_to_log)
    return ensure_application()


def _qt_to_log(kind: Any, _context: Any, message: str) -> None:
    logging.getLogger("qt").info("%s: %s", getattr(kind, "name", kind), message)


def platform_name() -> str:
    """The Qt platform plugin in use: offscreen, xcb, wayland, windows, cocoa."""
    return QApplication.platformName()


def window_shown(window: QWidget) -> bool:
    return window.objectName() == "mainWindow" and window.isVisible()


def gallery_view(window: QWidget) -> QListView | None:
    return window.findChild(QListView, "galleryView")


def gallery_row_count(window: QWidget) -> int:
    view = gallery_view(window)
    model = view.model() if view is not None else None
    return model.rowCount() if model is not None else -1


def gallery_style_ids(window: QWidget) -> list[int]:
    """The style ids the gallery's model holds, in display order."""
    view = gallery_view(window)
    model = view.model() if view is not None else None
    if model is None:
        return []
    return [model.index(row, 0).data(StyleIdRole) for row in range(model.rowCount())]


def process_events() -> None:
    QApplication.processEvents()
