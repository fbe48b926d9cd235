"""A dock above or below the window's main area kept as tall as its list's rows, up to a few
(``DockFit``): past them, and past one row never more than a share of the window's height, the
list scrolls instead of the dock taking room from the main area. A floating dock, or one at a
side, takes any height. (The jobs panel: one job does not take a quarter of a 1024×640 window.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QDockWidget, QStyle

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
FLAT_AREAS = (Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea)


class DockFit(QObject):
    """Fits ``dock`` (whose widget's layout holds a header, then ``view``) to ``rows()`` rows of
    ``row_height``: up to ``most`` rows, and past one row at most 1/``share`` of the window."""

    def __init__(
        self, dock: QDockWidget, view: QAbstractScrollArea, row_height: int, rows: Callable[[], int], most: int, share: int
    ) -> None:
        super().__init__(dock)
        self.dock, self.view, self.row_height, self.rows = dock, view, row_height, rows
        self.most, self.share = most, share
        dock.topLevelChanged.connect(lambda _floating: self.fit())
        dock.dockLocationChanged.connect(lambda _area: self.fit())
        window = dock.parentWidget()
        if window is not None:
            window.installEventFilter(self)  # the window's height bounds the dock's

    def title_height(self) -> int:
        """The dock's title bar, as Qt's dock layout sizes it: a line of text with the style's
        margins, or its buttons when they are taller."""
        dock = self.dock
        if dock.titleBarWidget() is not None:
            return dock.titleBarWidget().sizeHint().height()
        margin = dock.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetTitleMargin, None, dock)
        buttons = [b.sizeHint().height() for b in dock.findChildren(QAbstractButton) if b.objectName().startswith("qt_dockwidget_")]
        return max([dock.fontMetrics().height() + 2 * margin, *buttons])

    def fitted_height(self, rows: int) -> int:
        """The docked height showing ``rows`` rows whole (0: the header alone)."""
        lay = self.dock.widget().layout()
        margins = lay.contentsMargins()
        height = self.title_height() + margins.top() + margins.bottom() + lay.itemAt(0).sizeHint().height()
        if rows:
            height += lay.spacing() + rows * self.row_height + 2 * self.view.frameWidth()
        return height

    def _area(self) -> Any:
        window = self.dock.parentWidget()
        area = getattr(window, "dockWidgetArea", None)
        return area(self.dock) if callable(area) else None

    def fit(self, resize: bool = False) -> None:
        """Bound the dock's height to its rows (see the class). ``resize``: take that height now
        (the rows changed), after whatever else the window does with its docks meanwhile."""
        dock, window = self.dock, self.dock.parentWidget()
        if window is None or dock.isFloating() or self._area() not in FLAT_AREAS:
            dock.setMaximumHeight(QWIDGETSIZE_MAX)
            return
        rows = self.rows()
        cap = max(self.fitted_height(min(rows, 1)), window.height() // self.share)
        height = min(self.fitted_height(min(rows, self.most)), cap)
        dock.setMaximumHeight(height)
        if resize and rows and callable(getattr(window, "resizeDocks", None)):
            QTimer.singleShot(0, lambda: self._take(height))

    def _take(self, height: int) -> None:
        window = self.dock.parentWidget()
        if window is not None and self.dock.maximumHeight() == height and self.dock.height() != height:
            window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self.dock.parentWidget() and event.type() == QEvent.Type.Resize:
            self.fit()
        return super().eventFilter(watched, event)
