"""The gallery: a grid of style cards (``galleryView``) with a friendly empty state.

Keys on the grid: the arrows move the selection, Return (or a double click) opens the selected
style in the detail pane; Delete is the window's Edit > Delete (Undo brings it back).

Selection is extended: Ctrl-click and Shift-click add cards, Ctrl+A (the window's Edit >
Select all) takes every loaded card; the current card (the last clicked) is the one the detail
pane shows, and ``selected_style_ids`` are the ones File > Export… packs.

Drops: photos and/or folders dropped on a card are for applying that style
(``photosDropped(style id, paths)``); anything dropped elsewhere on the grid, or on the empty
state, (or an image that is not a file) is ``referenceDropped(mime)``. The window sorts both:
style packs and LUTs (a ``.stylepack``, a ``.cube``, a HaldCLUT ``.png``) are imported, the
rest is photos to apply or a new style's reference.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop.library.reading import StyleCard
from desktop.ui.dim_label import DIM, DimLabel, dim_text_color
from desktop.ui.styles_model import THUMB_SIZE, StyleIdRole, StyleRole, StylesModel

THUMB_HEIGHT = THUMB_SIZE.height()
CARD = QSize(THUMB_SIZE.width() + 24, THUMB_HEIGHT + 62)
CARD_CACHE = 96  # rendered cards kept (about four screenfuls; ~140 KB each)


class StyleCardDelegate(QStyledItemDelegate):
    """Paints a card: the thumbnail on a soft tile, the name under it, the description below.

    A card is drawn once into a pixmap and then blitted: a paint costs one ``drawPixmap``
    instead of some twenty Qt calls from Python. That matters while jobs run: every call into
    Python from the GUI thread may wait for the GIL behind a job thread, so the less Python a
    frame runs, the less it can be held up (see ``benchmarks/bench_ui_stall.py``). The cache is
    keyed on everything the picture depends on and holds a few screenfuls.
    """

    def __init__(self, parent: QWidget | None = None, capacity: int = CARD_CACHE) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._cards: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        model = index.model()
        if isinstance(model, StylesModel):  # the fast path: no trip through data() per role
            style = model.item(index.row())
            pixmap = model.decoration(style) if style is not None else None
        else:
            style = index.data(StyleRole)
            pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if style is None:
            return
        state = option.state
        look = 2 if state & QStyle.StateFlag.State_Selected else 1 if state & QStyle.StateFlag.State_MouseOver else 0
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        size = option.rect.size()
        key = (
            style.id,
            style.name,
            style.description,
            pixmap.cacheKey() if pixmap is not None else 0,
            size.width(),
            size.height(),
            look,
            option.palette.cacheKey(),
            option.font.key(),
            ratio,
        )
        card = self._cards.get(key)
        if card is None:
            card = self._render(style, pixmap, option, look, ratio)
            self._cards[key] = card
            while len(self._cards) > self.capacity:
                self._cards.popitem(last=False)
        else:
            self._cards.move_to_end(key)
        painter.drawPixmap(option.rect.topLeft(), card)

    def clear_cache(self) -> None:
        self._cards.clear()

    def _render(self, style: StyleCard, pixmap: QPixmap | None, option: QStyleOptionViewItem, look: int, ratio: float) -> QPixmap:
        size = option.rect.size()
        card = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
        card.setDevicePixelRatio(ratio)
        card.fill(Qt.GlobalColor.transparent)
        painter = QPainter(card)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        pal = option.palette
        rect = QRect(0, 0, size.width(), size.height()).adjusted(4, 4, -4, -4)

        path = QPainterPath()
        path.addRoundedRect(rect, 10, 10)
        painter.fillPath(path, pal.color(QPalette.ColorRole.Base))
        if look == 2:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2.5))
        elif look == 1:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1.5))
        else:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Midlight), 1))
        painter.drawPath(path)

        thumb_area = QRect(rect.left() + 8, rect.top() + 8, rect.width() - 16, THUMB_HEIGHT)
        clip = QPainterPath()
        clip.addRoundedRect(thumb_area, 6, 6)
        painter.setClipPath(clip)
        if pixmap is not None and not pixmap.isNull():
            # cover the tile (crop the overflow) so every card in the grid lines up
            scaled = pixmap.size().scaled(thumb_area.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_area.center())
            painter.drawPixmap(target, pixmap)
        painter.setClipping(False)

        text_rect = QRect(rect.left() + 10, thumb_area.bottom() + 6, rect.width() - 20, 20)
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        name = painter.fontMetrics().elidedText(style.name, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)

        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1.5))
        painter.setFont(small)
        painter.setPen(dim_text_color(pal, DIM, QPalette.ColorRole.Text, QPalette.ColorRole.Base))
        sub_rect = QRect(text_rect.left(), text_rect.bottom() + 1, text_rect.width(), 18)
        sub = painter.fontMetrics().elidedText(style.description, Qt.TextElideMode.ElideRight, sub_rect.width())
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sub)
        painter.end()
        return card


def dropped_paths(mime: QMimeData) -> list[str]:
    """The local files and folders a drop carries."""
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class GalleryView(QListView):
    photosDropped = Signal(int, list)  # style id, the dropped files and folders
    referenceDropped = Signal(QMimeData)  # a drop not on a card: a new style's reference

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryView")
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(False)
        self._drop_index = QPersistentModelIndex()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(120)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setSpacing(6)
        self.setGridSize(QSize(CARD.width() + 8, CARD.height() + 8))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setMouseTracking(True)
        self.setItemDelegate(StyleCardDelegate(self))
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setAccessibleName("Style gallery")
        self.setAccessibleDescription(
            "Return opens the selected style; Delete deletes it (Ctrl+Z brings it back), Ctrl+D duplicates it. Ctrl-click or Ctrl+A selects several to export. "
            "Drop photos or folders on a style to apply it; drop a style pack or a LUT to import it."
        )
        # drops arrive on the viewport (the cards' area); after setMovement(), which resets it
        self.viewport().setAcceptDrops(True)

    def selected_style_ids(self) -> list[int]:
        """The selected cards' style ids, in gallery order; the current card when none is
        selected."""
        model = self.selectionModel()
        rows = sorted(i.row() for i in model.selectedIndexes()) if model is not None else []
        ids = [self.model().index(r, 0).data(StyleIdRole) for r in rows]
        if not ids and self.currentIndex().isValid():
            ids = [self.currentIndex().data(StyleIdRole)]
        return [int(i) for i in ids if i is not None]

    # --- drops ------------------------------------------------------------------------------
    def card_at(self, pos: object) -> QModelIndex:
        """The card under a viewport position (an invalid index between cards)."""
        index = self.indexAt(pos)  # type: ignore[arg-type]
        return index if index.isValid() and index.data(StyleIdRole) is not None else QModelIndex()

    def _set_drop_index(self, index: QModelIndex) -> None:
        if QModelIndex(self._drop_index) != index:
            self._drop_index = QPersistentModelIndex(index)
            self.viewport().update()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
            self.dragMoveEvent(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt naming
        mime = event.mimeData()
        on_card = self.card_at(event.position().toPoint()) if dropped_paths(mime) else QModelIndex()
        self._set_drop_index(on_card)
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 - Qt naming
        self._set_drop_index(QModelIndex())
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        mime = event.mimeData()
        self._set_drop_index(QModelIndex())
        paths = dropped_paths(mime)
        card = self.card_at(event.position().toPoint()) if paths else QModelIndex()
        event.acceptProposedAction()
        if card.isValid():
            self.photosDropped.emit(int(card.data(StyleIdRole)), paths)
        else:
            self.referenceDropped.emit(mime)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt naming
        super().paintEvent(event)
        if not self._drop_index.isValid():
            return
        rect = self.visualRect(QModelIndex(self._drop_index)).adjusted(2, 2, -2, -2)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 3, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(QRectF(rect), 10, 10)
        painter.end()


class EmptyArt(QWidget):
    """Three fanned cards in sample grades: a hint of what the gallery will hold."""

    COLORS = (("#0f3b47", "#f3c38b"), ("#1d2a5b", "#f2a3b8"), ("#1f2d1c", "#d9dcb0"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(240, 150)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        center = QPointF(self.width() / 2, self.height() / 2)
        for i, (dark, light) in enumerate(self.COLORS):
            painter.save()
            painter.translate(center)
            painter.rotate((i - 1) * 12)
            painter.translate((i - 1) * 46, abs(i - 1) * 6)
            card = QRectF(-40, -46, 80, 92)
            grad = QLinearGradient(card.topLeft(), card.bottomRight())
            grad.setColorAt(0, QColor(light))
            grad.setColorAt(1, QColor(dark))
            painter.setPen(QPen(QColor(255, 255, 255), 3))
            painter.setBrush(grad)
            painter.drawRoundedRect(card, 8, 8)
            painter.restore()
        painter.end()


class EmptyState(QWidget):
    """What a new library (or a search that finds nothing) shows instead of an empty grid."""

    newStyleClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryEmptyState")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.setSpacing(12)
        layout.addStretch(2)
        self.art = EmptyArt()
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title_font = self.title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.body = DimLabel()
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        self.button = QPushButton("New style…")
        self.button.setObjectName("emptyNewStyleButton")
        self.button.setToolTip("Describe a new style (Ctrl+N)")
        self.button.setDefault(True)
        self.button.clicked.connect(self.newStyleClicked)
        layout.addWidget(self.art, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addSpacing(6)
        for w in (self.title, self.body):
            layout.addWidget(w)
        layout.addSpacing(8)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        self.show_loading()

    def show_loading(self) -> None:
        self.art.hide()
        self.title.setText("Opening your library…")
        self.body.setText("")
        self.button.hide()

    def show_empty(self) -> None:
        self.art.show()
        self.title.setText("Your style library is empty")
        self.body.setText(
            "Drop a reference image anywhere on this window, or start with a description.\n"
            "Each style you make lands here, ready to apply and export."
        )
        self.button.show()

    def show_no_match(self, search: str) -> None:
        self.art.hide()
        self.title.setText("No styles match your search")
        self.body.setText(f"Nothing is named or described like “{search}”. Try fewer words.")
        self.button.hide()


class GalleryPane(QStackedWidget):
    """The grid, or the empty state when there is nothing to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = GalleryView()
        self.empty = EmptyState()
        self.addWidget(self.empty)
        self.addWidget(self.view)
        self.setCurrentWidget(self.empty)
        self.model: StylesModel | None = None
        self.setAcceptDrops(True)  # a drop on the empty state is a drop on the gallery

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        event.acceptProposedAction()
        self.view.referenceDropped.emit(event.mimeData())

    def set_model(self, model: StylesModel) -> None:
        self.model = model
        self.view.setModel(model)
        for sig in (model.refreshed, model.rowsInserted, model.rowsRemoved, model.modelReset):
            sig.connect(self.update_state)

    def update_state(self, *_args: object) -> None:
        model = self.model
        if model is None or not model.ever_loaded:
            self.empty.show_loading()
            self.setCurrentWidget(self.empty)
        elif model.rowCount() > 0:
            self.setCurrentWidget(self.view)
        elif model.search:
            self.empty.show_no_match(model.search)
            self.setCurrentWidget(self.empty)
        else:
            self.empty.show_empty()
            self.setCurrentWidget(self.empty)

