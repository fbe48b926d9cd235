"""The jobs panel (``jobsPanel``, a dock; the list is ``jobsView``).

Every active and recent job from the rows, including jobs started by another process: title,
message, a progress bar, elapsed time, and per row the actions that fit its status (Cancel,
Retry, Dismiss, Open result), painted as small buttons and hit-tested by the delegate. The same
actions are on the keyboard (``ROW_KEYS``, on the selected row) and in a context menu (right
click, the Menu key or Shift+F10). Every action works on the job id read from the row under the
click or the selection, never on a row number kept for later.

The queue is shared by every machine using the library: the header's Pause queue / Resume
queue (``queuePauseAction``) stops every machine from starting new jobs (running ones finish),
a waiting row says where it is in line (or "Paused"), its context menu moves it to the front,
and a running row names the machine that runs it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QListView,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import UserError
from desktop.jobs import registry
from desktop.jobs.engine import JobEngine
from desktop.jobs.model import JobRow
from desktop.jobs.queue import ALL
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.dim_label import DIM, DimLabel, dim_text_color
from desktop.ui.dock_fit import DockFit
from desktop.ui.job_kinds import done_with_problems
from desktop.ui.jobs_model import (
    STATUS_WORDS,
    JobHostRole,
    JobQueueRole,
    JobRole,
    JobsModel,
    elapsed,
    format_duration,
    job_heading,
)

log = logging.getLogger(__name__)

ROW_HEIGHT = 66
FIT_ROWS = 3  # docked, the panel grows with its rows up to this many (then its list scrolls) ...
FIT_SHARE = 4  # ... and past one row to at most this fraction (1/4) of the window's height
STATUS_COLORS = {
    "queued": QColor("#8a8f98"),
    "running": QColor("#2d7be5"),
    "succeeded": QColor("#2e9b5f"),
    "failed": QColor("#c0392b"),
    "canceled": QColor("#8a8f98"),
}


# the keys that act on the selected row (shown in its context menu too)
ROW_KEYS = {
    "open": QKeySequence(Qt.Key.Key_Return),
    "cancel": QKeySequence(Qt.Key.Key_Delete),
    "dismiss": QKeySequence(Qt.Key.Key_Delete),
    "retry": QKeySequence("Ctrl+R"),
}
ACTION_TIPS = {
    "open": "Select the style this job made (Return)",
    "cancel": "Stop this job (Delete)",
    "retry": "Run this job again (Ctrl+R)",
    "dismiss": "Remove this finished job from the list (Delete)",
    "front": "Start this job before every other waiting job, on whichever machine is free first",
}
# actions of the context menu only (not painted on the row): (action, label)
MENU_ONLY = {"front": "Move to front"}
PAUSE_TIP = "Start no new job on any machine using this library; running jobs finish"
RESUME_TIP = "Let every machine using this library start waiting jobs again"


def menu_actions_for(row: JobRow) -> list[tuple[str, str]]:
    """The row's actions in its context menu: the painted ones, then Move to front for a
    waiting job."""
    acts = actions_for(row)
    if row.status == "queued":
        acts = [("front", MENU_ONLY["front"]), *acts]
    return acts


def actions_for(row: JobRow) -> list[tuple[str, str]]:
    """(action, label) pairs that fit the row's status, in display order."""
    if row.status in ("queued", "running"):
        return [("cancel", "Canceling..." if row.cancel_requested else "Cancel")]
    acts: list[tuple[str, str]] = []
    result = row.result_dict() if row.result else None
    if row.status == "succeeded" and result and result.get("table") == "styles":
        acts.append(("open", "Open result"))
    if row.status in ("failed", "canceled"):
        acts.append(("retry", "Retry"))
    elif done_with_problems(row):
        acts.append(("retry", "Retry failed"))  # a batch done with some photos failed
    acts.append(("dismiss", "Dismiss"))
    return acts


class JobDelegate(QStyledItemDelegate):
    actionTriggered = Signal(str, int)  # action, job id

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(320, ROW_HEIGHT)

    def _button_rects(self, option_rect: QRect, row: JobRow, font: QFont) -> list[tuple[str, str, QRect]]:
        fm = QFontMetrics(font)
        x = option_rect.right() - 10
        out = []
        for action, label in reversed(actions_for(row)):
            w = fm.horizontalAdvance(label) + 18
            rect = QRect(x - w, option_rect.top() + 8, w, 24)
            out.append((action, label, rect))
            x -= w + 6
        return list(reversed(out))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        row: JobRow | None = index.data(JobRole)
        if row is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = option.palette
        rect = QRect(option.rect)
        if option.state & QStyle.StateFlag.State_Selected:
            sel = QColor(pal.color(QPalette.ColorRole.Highlight))
            sel.setAlpha(40)
            painter.fillRect(rect, sel)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Midlight), 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())

        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1))
        buttons = self._button_rects(rect, row, small)
        text_right = (buttons[0][2].left() - 10) if buttons else rect.right() - 10

        # status dot, title, status word
        color = STATUS_COLORS.get(row.status, QColor("#8a8f98"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QRect(rect.left() + 12, rect.top() + 15, 9, 9))
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        # what the job is about in bold, then (dim) what kind of job it is
        subject, kind = job_heading(row)
        title_rect = QRect(rect.left() + 30, rect.top() + 8, text_right - rect.left() - 30, 22)
        kind_text = f"  ·  {kind}"
        kind_w = QFontMetrics(option.font).horizontalAdvance(kind_text)
        subject_w = max(40, title_rect.width() - kind_w)
        subject_text = painter.fontMetrics().elidedText(subject, Qt.TextElideMode.ElideRight, subject_w)
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, subject_text)
        used = painter.fontMetrics().horizontalAdvance(subject_text)
        painter.setFont(option.font)
        painter.setPen(dim_text_color(pal, DIM, QPalette.ColorRole.Text, QPalette.ColorRole.Base))
        kind_rect = title_rect.adjusted(used, 0, 0, 0)
        painter.drawText(
            kind_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(kind_text, Qt.TextElideMode.ElideRight, kind_rect.width()),
        )

        # message (or error) and elapsed time; where a running job runs, where a waiting one is
        painter.setFont(small)
        spent = elapsed(row)
        status = STATUS_WORDS.get(row.status, row.status)
        host = index.data(JobHostRole)
        place = index.data(JobQueueRole)
        if host:
            status = f"{status} on {host}"
        elif place == "Paused":
            status = status if row.message == place else place  # (said once is enough)
        elif place:
            status = f"{status} · {place}"
        time_text = f"{status} · {format_duration(spent)}" if spent is not None else status
        fm = painter.fontMetrics()
        time_w = fm.horizontalAdvance(time_text)
        msg_rect = QRect(rect.left() + 30, rect.top() + 32, rect.width() - 30 - time_w - 24, 18)
        message = row.error if row.status == "failed" and row.error else (row.message or status)
        painter.setPen(color if row.status == "failed" else pal.color(QPalette.ColorRole.Text))
        painter.drawText(
            msg_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(message, Qt.TextElideMode.ElideRight, msg_rect.width()),
        )
        painter.setPen(dim_text_color(pal, DIM, QPalette.ColorRole.Text, QPalette.ColorRole.Base))
        painter.drawText(
            QRect(rect.right() - time_w - 12, rect.top() + 32, time_w + 2, 18),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            time_text,
        )

        # progress bar for active jobs
        if row.status in ("queued", "running"):
            bar = QStyleOptionProgressBar()
            bar.rect = QRect(rect.left() + 30, rect.top() + 53, rect.width() - 42, 6)
            bar.minimum = 0
            if row.progress is None and row.status == "running":
                bar.maximum = 0
                bar.progress = 0
            else:
                bar.maximum = 1000
                bar.progress = round((row.progress or 0.0) * 1000)
            bar.textVisible = False
            bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
            bar.palette = pal
            widget = option.widget
            style = widget.style() if widget is not None else QApplication.style()
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

        # action buttons
        for action, label, brect in buttons:
            disabled = action == "cancel" and row.cancel_requested
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
            painter.setBrush(pal.color(QPalette.ColorRole.Button))
            painter.drawRoundedRect(brect.adjusted(0, 0, -1, -1), 5, 5)
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText if disabled else QPalette.ColorRole.ButtonText))
            painter.drawText(brect, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()

    def action_at(self, option_rect: QRect, row: JobRow, pos: QPoint, font: QFont) -> str | None:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        for action, _label, rect in self._button_rects(option_rect, row, small):
            if rect.contains(pos):
                return action
        return None

    def editorEvent(self, event: QEvent, model: Any, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            row: JobRow | None = index.data(JobRole)
            if row is not None and event.button() == Qt.MouseButton.LeftButton:
                action = self.action_at(option.rect, row, event.position().toPoint(), option.font)
                if action is not None:
                    if not (action == "cancel" and row.cancel_requested):
                        self.actionTriggered.emit(action, row.id)
                    return True
        return super().editorEvent(event, model, option, index)


class JobsView(QListView):
    """The list of jobs: the selected row's actions work from the keyboard too. Keys the view
    acts on are claimed before the window's shortcuts (Delete here dismisses a job, it does not
    delete the selected style)."""

    actionRequested = Signal(str, int)  # action, job id
    menuRequested = Signal(QPoint)  # viewport position of a keyboard-opened context menu

    def current_row(self) -> JobRow | None:
        index = self.currentIndex()
        return index.data(JobRole) if index.isValid() else None

    def _action_for_key(self, event: QKeyEvent) -> str | None:
        row = self.current_row()
        if row is None:
            return None
        pressed = QKeySequence(event.keyCombination())
        if event.key() == Qt.Key.Key_Enter and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            pressed = ROW_KEYS["open"]
        if event.key() == Qt.Key.Key_Backspace and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            pressed = ROW_KEYS["dismiss"]
        for action, _label in actions_for(row):
            if ROW_KEYS[action].matches(pressed) == QKeySequence.SequenceMatch.ExactMatch:
                return action
        return None

    def _is_menu_key(self, event: QKeyEvent) -> bool:
        return event.key() == Qt.Key.Key_Menu or (
            event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        )

    def _is_row_key(self, event: QKeyEvent) -> bool:
        pressed = QKeySequence(event.keyCombination())
        if event.key() in (Qt.Key.Key_Enter, Qt.Key.Key_Backspace):
            return True
        return any(key.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch for key in ROW_KEYS.values())

    def event(self, event: QEvent) -> bool:
        # the list's keys are the list's, also with no row selected (then they do nothing)
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if self._is_row_key(event) or self._is_menu_key(event):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        row = self.current_row()
        action = self._action_for_key(event)
        if row is not None and action is not None:
            if not (action == "cancel" and row.cancel_requested):
                self.actionRequested.emit(action, row.id)
            event.accept()
            return
        if self._is_row_key(event):
            event.accept()  # no row, or nothing this key does to it
            return
        if self._is_menu_key(event):
            index = self.currentIndex()
            if index.isValid():
                self.scrollTo(index)
                rect = self.visualRect(index)
                self.menuRequested.emit(QPoint(rect.left() + 40, rect.center().y()))
            event.accept()
            return
        super().keyPressEvent(event)


class JobsPanel(QDockWidget):
    openResult = Signal(object)  # the result dict of a succeeded job
    status = Signal(str)
    emptyChanged = Signal(bool)  # the list became empty (True) or got its first row (False)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("jobsPanel")
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.engine: JobEngine | None = None
        self.model: JobsModel | None = None

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 4, 8, 8)
        lay.setSpacing(4)
        header = QHBoxLayout()
        self.summary = DimLabel("No jobs yet")
        self.summary.setObjectName("jobsSummaryLabel")
        header.addWidget(self.summary, 1)
        self.pause_action = QAction("Pause queue", self)
        self.pause_action.setObjectName("queuePauseAction")
        self.pause_action.setCheckable(True)
        self.pause_action.setToolTip(PAUSE_TIP)
        self.pause_action.setStatusTip(PAUSE_TIP)
        self.pause_action.setEnabled(False)  # until the model is set
        self.pause_action.triggered.connect(lambda checked: spawn(self.set_paused(checked), name="queue-pause"))
        self.addAction(self.pause_action)
        self.pause_button = QToolButton()
        self.pause_button.setObjectName("queuePauseButton")
        self.pause_button.setDefaultAction(self.pause_action)
        self.pause_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        header.addWidget(self.pause_button)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setObjectName("clearFinishedButton")
        self.clear_button.clicked.connect(lambda: spawn(self.clear_finished()))
        self.clear_button.setEnabled(False)
        self.clear_button.setToolTip("Remove every finished job from this list")
        header.addWidget(self.clear_button)
        lay.addLayout(header)

        self.view = JobsView()
        self.view.setObjectName("jobsView")
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setMouseTracking(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setAccessibleName("Jobs")
        self.view.setAccessibleDescription(
            "Return opens a finished job's style, Delete cancels or dismisses, Ctrl+R retries, "
            "the Menu key lists every action."
        )
        self.view.actionRequested.connect(self.trigger)
        self.view.menuRequested.connect(self._context_menu)
        self.delegate = JobDelegate(self.view)
        self.delegate.actionTriggered.connect(self.trigger)
        self.view.setItemDelegate(self.delegate)
        lay.addWidget(self.view)
        self.setWidget(body)
        self.empty = True
        self._told_empty = True
        self._fitted_rows = 0
        self.view.hide()  # until there is a row: a new library's panel is one line high
        # the dock's own title-bar buttons (Qt gives them no tooltip)
        for name, tip in (
            ("qt_dockwidget_closebutton", "Hide the jobs list (Ctrl+J shows it again)"),
            ("qt_dockwidget_floatbutton", "Detach the jobs list into its own window, or dock it again"),
        ):
            button = self.findChild(QAbstractButton, name)
            if button is not None:
                button.setToolTip(tip)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)
        # docked, as tall as its rows up to a few (then the list scrolls)
        self.fit = DockFit(self, self.view, ROW_HEIGHT, self._row_count, FIT_ROWS, FIT_SHARE)

    def fitted_height(self, rows: int) -> int:
        """The docked panel's height showing ``rows`` job rows whole (0: the header alone)."""
        return self.fit.fitted_height(rows)

    def set_model(self, engine: JobEngine, model: JobsModel) -> None:
        self.engine = engine
        self.model = model
        self.view.setModel(model)
        for sig in (model.rowsInserted, model.rowsRemoved, model.dataChanged, model.modelReset, model.loaded):
            sig.connect(self._update_summary)
        model.queueChanged.connect(self._update_queue)
        # pauses made on another machine show too (PostgreSQL's probe; SQLite sees every commit)
        engine.watch_table("queue_pauses", "paused_at")
        self.pause_action.setEnabled(True)
        self._tick.start()
        self._update_queue()

    def _row_count(self) -> int:
        return 0 if self.model is None or self.empty else self.model.rowCount()

    def _on_tick(self) -> None:
        if self.model is not None and self.isVisible():
            self.model.touch_active()

    def _update_summary(self, *_args: object) -> None:
        if self.model is None:
            return
        active = self.model.active_count()
        finished = len(self.model.finished_ids())
        if active:
            text = f"{active} running or waiting"
        elif finished:
            text = "Nothing running"
        else:
            text = "No jobs yet"
        pauses = self.model.pauses
        if ALL in pauses:
            text = f"Queue paused · {text}"
        elif pauses:
            names = ", ".join(registry.title(t) for t in sorted(pauses))
            text = f"Paused: {names} · {text}"
        if self.summary.text() != text:
            self.summary.setText(text)
        self.clear_button.setEnabled(finished > 0)
        empty = self.model.rowCount() == 0
        if empty != self.empty:
            self.empty = empty
            self.view.setVisible(not empty)
        if self.model.rowCount() != self._fitted_rows:
            self._fitted_rows = self.model.rowCount()
            self.fit.fit(resize=True)
        if empty != self._told_empty:
            self._told_empty = empty
            self.emptyChanged.emit(empty)

    def _update_queue(self) -> None:
        """The pause action and the summary after the queue's pauses changed."""
        if self.model is None:
            return
        paused = bool(self.model.pauses)
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume queue" if paused else "Pause queue")
        tip = RESUME_TIP if paused else PAUSE_TIP
        self.pause_action.setToolTip(tip)
        self.pause_action.setStatusTip(tip)
        self._update_summary()
        self.view.viewport().update()  # waiting rows say "Paused" or their place in line

    async def set_paused(self, paused: bool) -> None:
        """Pause the whole queue, or lift every pause (also one made for a single job type)."""
        engine = self.engine
        if engine is None:
            return
        try:
            if paused:
                await run_blocking(engine.pause)
                self.status.emit("Queue paused: running jobs finish, no new job starts on any machine")
            else:
                await run_blocking(engine.resume)
                self.status.emit("Queue resumed")
        except UserError as exc:
            self.status.emit(str(exc))
            self._update_queue()  # back to the state last read
        # else the model reads the pauses again (the engine reported the change) and the
        # action follows what it reads

    # --- actions (by job id) -------------------------------------------------------------------
    def trigger(self, action: str, job_id: int) -> None:
        spawn(self.run_action(action, job_id), name=f"job-{action}-{job_id}")

    async def run_action(self, action: str, job_id: int) -> None:
        engine = self.engine
        if engine is None:
            return
        try:
            if action == "cancel":
                await run_blocking(engine.cancel, job_id)
            elif action == "retry":
                await run_blocking(engine.retry, job_id)
            elif action == "dismiss":
                await run_blocking(engine.dismiss, job_id)
            elif action == "front":
                await run_blocking(engine.move_to_front, job_id)
                self.status.emit(f"Job {job_id} moved to the front of the queue")
            elif action == "open":
                row = await run_blocking(engine.get, job_id)
                if row is not None and row.result:
                    self.openResult.emit(row.result_dict())
        except UserError as exc:
            self.status.emit(str(exc))

    async def clear_finished(self) -> None:
        if self.model is None or self.engine is None:
            return
        ids = self.model.finished_ids()
        engine = self.engine

        def dismiss_all() -> int:
            done = 0
            for job_id in ids:
                try:
                    engine.dismiss(job_id)
                    done += 1
                except UserError:
                    pass  # it was retried meanwhile: keep it
            return done

        count = await run_blocking(dismiss_all)
        self.status.emit(f"Cleared {count} finished job{'s' if count != 1 else ''}")

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        row: JobRow | None = index.data(JobRole) if index.isValid() else None
        if row is None:
            return
        self.view.setCurrentIndex(index)
        self.context_menu(row).popup(self.view.viewport().mapToGlobal(pos))

    def context_menu(self, row: JobRow) -> QMenu:
        """The row's actions as a menu (deleted when it closes), each with its key."""
        job_id = row.id
        menu = QMenu(self.view)
        menu.setObjectName("jobContextMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action, label in menu_actions_for(row):
            act = menu.addAction(label)
            act.setObjectName(f"job{action.capitalize()}Action")
            if action in ROW_KEYS:
                act.setShortcut(ROW_KEYS[action])  # shown; the view handles the key itself
                act.setShortcutVisibleInContextMenu(True)
            act.setToolTip(ACTION_TIPS[action])
            act.setEnabled(not (action == "cancel" and row.cancel_requested))
            act.triggered.connect(lambda _c=False, a=action: self.trigger(a, job_id))
        return menu
