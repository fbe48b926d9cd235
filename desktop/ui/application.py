"""The QApplication for the window, the start-up frame shown before anything else loads, and
the message box shown when start-up is refused."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEventLoop, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

WINDOW_SIZE = QSize(1180, 760)  # the main window's size until the person changes it
GEOMETRY_KEY = "window/geometry"  # where the main window keeps its size and place (window.ini)
FRAME_PAINT_ROUNDS = 40  # event-loop rounds of up to 25 ms each the start-up frame may take to be painted


class StartupFrame(QMainWindow):
    """The window's frame shown before anything else loads (``show_startup_frame``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ended = False  # closed (and deleted later): closing it again does nothing


def show_startup_frame(settings_file: str | None) -> StartupFrame:
    """The window's frame, shown and painted the moment Qt is up, before the window's modules,
    the database library and the event loop are loaded (a few hundred milliseconds): an empty
    main window at the main window's size and place, saying it is opening. ``desktop.app``
    closes it as the main window is shown in its place (``close_startup_frame``)."""
    app = QApplication.instance()
    frame = StartupFrame()
    frame.setObjectName("startupFrame")
    frame.setWindowTitle("")  # the application's name, as the main window's title
    frame.resize(WINDOW_SIZE)
    if settings_file:
        geometry = QSettings(settings_file, QSettings.Format.IniFormat).value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            frame.restoreGeometry(geometry)
    label = QLabel("Opening Style Studio…")
    label.setObjectName("startupLabel")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)  # the muted colour of the theme
    frame.setCentralWidget(label)
    frame.show()
    handle = frame.windowHandle()
    for _ in range(FRAME_PAINT_ROUNDS):  # until the window system shows it (no loop runs yet)
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 25)
        if handle is None or handle.isExposed():
            break
    app.processEvents()  # its first paint
    return frame


def close_startup_frame(frame: StartupFrame | None) -> None:
    """Close the start-up frame (again: nothing)."""
    if frame is not None and not frame.ended:
        frame.ended = True
        frame.close()
        frame.deleteLater()


def has_application() -> bool:
    return QApplication.instance() is not None


def ensure_application(*, version: bool = True) -> QApplication:
    """The QApplication, made and named; ``version=False`` leaves its version to be set later
    (``set_version``: reading it costs tens of milliseconds the first paint need not wait for)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Style Studio")
    app.setApplicationDisplayName("Style Studio")
    app.setOrganizationName("StyleStudio")
    if version:
        set_version(app)
    app.setQuitOnLastWindowClosed(False)
    if app.windowIcon().isNull():
        app.setWindowIcon(app_icon())
    return app


def set_version(app: QApplication) -> None:
    from desktop import __version__

    app.setApplicationVersion(__version__)


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
    from desktop.ui.async_utils import open_and_wait

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
