"""The QApplication for the window, and the message box shown when start-up is refused."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QIcon
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
    if app.windowIcon().isNull():
        app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    """The app's icon (files are read lazily, at the size a window or tray asks for)."""
    from desktop.resources import resources_dir

    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in (16, 24, 32, 48, 64, 128, 256):
        path = folder / f"stylestudio-{size}.png"
        icon.addFile(str(path), QSize(size, size))
    return icon


async def show_startup_error(text: str) -> None:
    """One sentence in a message box (awaited with open(), never exec())."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Style Studio cannot start", text)
    await open_and_wait(box)


def on_interrupt(callback: Callable[[], None]) -> None:
    """Call ``callback`` on the GUI thread when the terminal sends Ctrl+C (SIGINT). A light
    timer lets Python notice the signal while Qt's loop is idle."""
    app = QApplication.instance()

    def handler(_signum: int, _frame: object) -> None:
        QTimer.singleShot(0, callback)

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        return
    wake = QTimer(app)
    wake.setInterval(300)
    wake.timeout.connect(lambda: None)
    wake.start()
