"""The QApplication for the window, and the message box shown when start-up is refused."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.ui.async_utils import open_and_wait


def has_application() -> bool:
    return QApplication.instance() is not None


def ensure_application() -> QApplication:
    from desktop import __version__

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Style Studio")
    app.setApplicationDisplayName("Style Studio")
    app.setOrganizationName("StyleStudio")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    return app


async def show_startup_error(text: str) -> None:
    """One sentence in a message box (awaited with open(), never exec())."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Style Studio cannot start", text)
    await open_and_wait(box)
