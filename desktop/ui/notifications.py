"""Telling the user a background job ended: a tray message where there is a tray, else the
status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon


class Notifier(QObject):
    fallback = Signal(str)  # shown in the status bar where no tray exists
    sent = Signal(str, str)  # title, text (for tests and logs)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            icon = QApplication.windowIcon()
            if icon.isNull():
                icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_DesktopIcon)
            self.tray = QSystemTrayIcon(QIcon(icon), self)
            self.tray.setToolTip("Style Studio")
            self.tray.show()

    def notify(self, title: str, text: str, *, error: bool = False) -> None:
        self.sent.emit(title, text)
        if self.tray is not None and self.tray.supportsMessages():
            icon = QSystemTrayIcon.MessageIcon.Warning if error else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage(title, text, icon, 6000)
        else:
            self.fallback.emit(f"{title}: {text}")

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None
