"""Small painting pieces the picture widgets share: a rounded outline, a caption tag (white text
on a dark rounded box, readable on any photo) and the line a widget shows before it has a picture."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette

TAG_PADDING = (12, 4)  # extra width and height of a caption tag around its text, in pixels


def rounded_path(box: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(box, radius, radius)
    return path


def tag_size(painter: QPainter, text: str) -> QSizeF:
    """The size of a caption tag holding ``text`` in the painter's font."""
    fm = painter.fontMetrics()
    return QSizeF(fm.horizontalAdvance(text) + TAG_PADDING[0], fm.height() + TAG_PADDING[1])


def paint_tag(painter: QPainter, box: QRectF, text: str, *, alpha: int = 140) -> None:
    """``text`` centred in white on a dark rounded ``box`` (``alpha``: how dark, 0..255)."""
    painter.fillPath(rounded_path(box, 4), QColor(0, 0, 0, alpha))
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def paint_placeholder(painter: QPainter, rect: QRect, palette: QPalette, text: str) -> None:
    """The widget's background, and ``text`` in the placeholder colour centred (wrapped) in ``rect``."""
    painter.fillRect(rect, palette.color(QPalette.ColorRole.Base))
    painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
