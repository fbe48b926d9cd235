"""Telling the user a background job ended: a tray message where there is a tray, else the
status bar. ``offer`` adds a notice inside the window (``noticeBar``) with one action, such as
*Open folder* after a batch: a tray message cannot carry a button everywhere."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QWidget,
)

from desktop.ui.buttons import push_button
from desktop.ui.tones import reading_label

NOTICE_SECONDS = 60.0  # a notice goes by itself after this


class NoticeBar(QFrame):
    """A one-line notice at the top of the window: text, one action button, and Close. It goes
    by itself after ``NOTICE_SECONDS`` (a minute) and as soon as new work starts in the window,
    so an old "Exported…" never stands above a later import."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, pal.color(QPalette.ColorRole.AlternateBase))
        self.setPalette(pal)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 8, 6)
        lay.setSpacing(8)
        self.text = reading_label("noticeText", text_format=Qt.TextFormat.RichText)
        self.action_button = QPushButton()
        self.action_button.setObjectName("noticeActionButton")
        self.close_button = push_button("Close", "noticeCloseButton", "Hide this notice", self.hide)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.action_button)
        lay.addWidget(self.close_button)
        self._callback: Callable[[], object] | None = None
        self.action_button.clicked.connect(self._act)
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self.hide)
        self.hide()

    def show_notice(self, text: str, action: str, callback: Callable[[], object]) -> None:
        self.text.setText(text)
        self.action_button.setText(action)
        self.action_button.setAccessibleName(action)
        self._callback = callback
        self.show()
        self._expiry.start(int(NOTICE_SECONDS * 1000))

    def _act(self) -> None:
        if self._callback is not None:
            self._callback()
        self.hide()


class Notifier(QObject):
    fallback = Signal(str)  # shown in the status bar where no tray exists
    sent = Signal(str, str)  # title, text (for tests and logs)
    offered = Signal(str, str, str)  # title, text, action (a notice with a button in the window)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray: QSystemTrayIcon | None = None
        self.bar: NoticeBar | None = None  # set by the window
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

    def offer(self, title: str, text: str, action: str, callback: Callable[[], object], *, tray: bool = False) -> None:
        """A notice in the window with one action (``callback``); with ``tray``, a tray message
        too (the window may be in the background)."""
        self.offered.emit(title, text, action)
        if self.bar is not None:
            self.bar.show_notice(f"<b>{html.escape(title)}</b> · {html.escape(text)}", action, callback)
        else:
            self.fallback.emit(f"{title}: {text}")
        if tray and self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 6000)

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None
