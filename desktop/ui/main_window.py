"""The main window (``mainWindow``): toolbar, gallery, style detail and the jobs panel.

The window is shown before the library is open (``attach`` connects it once the runtime is
ready on a worker thread), so the first paint never waits for the database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QWidget,
)

from desktop.config import APP_NAME
from desktop.jobs import registry
from desktop.jobs.model import FAILED, SUCCEEDED, JobRow
from desktop.jobs.pool import PoolThread
from desktop.library import Library
from desktop.runtime import Runtime
from desktop.ui.async_utils import signal_future, spawn
from desktop.ui.bridge import JobBridge
from desktop.ui.gallery import GalleryPane
from desktop.ui.jobs_model import JobsModel
from desktop.ui.jobs_panel import JobsPanel
from desktop.ui.new_style_dialog import NewStyleDialog
from desktop.ui.notifications import Notifier
from desktop.ui.progress_dialog import JobProgressDialog
from desktop.ui.responsiveness import Responsiveness
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.style_detail import StyleDetail
from desktop.ui.styles_model import StyleIdRole, StylesModel

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 200


class MainWindow(QMainWindow):
    closeRequested = Signal()  # the user closed the window: the app should stop()

    def __init__(self, settings_file: str | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("")
        self.setAcceptDrops(True)
        self.resize(1180, 760)
        self.runtime: Runtime | None = None
        self.pool_thread: PoolThread | None = None
        self.bridge: JobBridge | None = None
        self.library: Library | None = None
        self.styles_model: StylesModel | None = None
        self.jobs_model: JobsModel | None = None
        self.progress_dialogs: dict[int, JobProgressDialog] = {}
        self.new_style_dialog: NewStyleDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._shutting_down = False
        self.stopped = False  # set by desktop.app.stop()
        self._qsettings = (
            QSettings(settings_file, QSettings.Format.IniFormat, self) if settings_file else None
        )

        # toolbar
        bar = QToolBar("Main")
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.setIconSize(QSize(18, 18))
        self.addToolBar(bar)
        self.new_style_action = QAction("New style", self)
        self.new_style_action.setObjectName("newStyleAction")
        self.new_style_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_style_action.setToolTip("Describe a new style (Ctrl+N)")
        self.new_style_action.triggered.connect(lambda: self.new_style())
        bar.addAction(self.new_style_action)
        bar.addSeparator()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setPlaceholderText("Search styles by name or description  (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self.search_edit.setMaximumWidth(420)
        bar.addWidget(self.search_edit)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.find_action = QAction("Find", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._focus_search)
        self.addAction(self.find_action)
        self.settings_action = QAction("Settings", self)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(lambda: self.open_settings())
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())

        # centre: gallery | detail
        self.gallery = GalleryPane()
        self.gallery.empty.newStyleClicked.connect(lambda: self.new_style())
        self.detail = StyleDetail()
        self.detail.status.connect(self.show_status)
        self.detail.deleted.connect(lambda _id: self.refresh_gallery())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.gallery)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 360])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        # jobs dock
        self.jobs_panel = JobsPanel(self)
        self.jobs_panel.status.connect(self.show_status)
        self.jobs_panel.openResult.connect(self.open_result)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_panel)
        self.resizeDocks([self.jobs_panel], [190], Qt.Orientation.Vertical)
        jobs_toggle = self.jobs_panel.toggleViewAction()
        jobs_toggle.setText("Jobs")
        jobs_toggle.setShortcut(QKeySequence("Ctrl+J"))
        bar.addAction(jobs_toggle)
        bar.addAction(self.settings_action)

        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self.statusBar().setSizeGripEnabled(True)
        self.notifier = Notifier(self)
        self.responsiveness = Responsiveness(self)
        self.notifier.fallback.connect(lambda text: self.show_status(text, 10000))

        for action in (self.new_style_action, self.settings_action):
            action.setEnabled(False)
        self.search_edit.setEnabled(False)
        self.restore_layout()

    # --- start-up -----------------------------------------------------------------------------
    def attach(self, runtime: Runtime, pool_thread: PoolThread | None) -> None:
        """Connect the window to an open library (called on the GUI thread once it is ready)."""
        self.runtime = runtime
        self.pool_thread = pool_thread
        self.bridge = JobBridge(runtime.engine, self)
        self.library = Library(runtime.db, runtime.paths)
        self.styles_model = StylesModel(self.library, self)
        self.gallery.set_model(self.styles_model)
        self.gallery.view.selectionModel().currentChanged.connect(self._current_changed)
        self.styles_model.refreshed.connect(self._update_counts)
        self.detail.set_library(self.library)
        self.jobs_model = JobsModel(runtime.engine, self.bridge, self)
        self.jobs_model.jobEnded.connect(self._job_ended)
        self.jobs_panel.set_model(runtime.engine, self.jobs_model)
        self.bridge.rowsStale.connect(self.styles_model.check_for_changes)
        for action in (self.new_style_action, self.settings_action):
            action.setEnabled(True)
        self.search_edit.setEnabled(True)
        self.styles_model.refresh()
        self.jobs_model.reload()
        self.responsiveness.start()
        # Qt adds the application's display name ("Style Studio") to the title itself
        default = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        self.setWindowTitle("" if runtime.paths.home == default else str(runtime.paths.home))

    # --- layout persistence ---------------------------------------------------------------------
    def restore_layout(self) -> None:
        s = self._qsettings
        if s is None:
            return
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        s = self._qsettings
        if s is None:
            return
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.sync()

    # --- gallery ------------------------------------------------------------------------------
    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _apply_search(self) -> None:
        if self.styles_model is not None:
            self.styles_model.set_search(self.search_edit.text())

    def refresh_gallery(self) -> None:
        if self.styles_model is not None:
            self.styles_model.refresh()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        style_id = current.data(StyleIdRole) if current.isValid() else None
        if style_id != (self.detail.style.id if self.detail.style else None) or style_id is None:
            self.detail.show_style(style_id)

    def selected_style_id(self) -> int | None:
        index = self.gallery.view.currentIndex()
        return index.data(StyleIdRole) if index.isValid() else None

    def _update_counts(self) -> None:
        model = self.styles_model
        if model is None:
            return
        n = model.total
        what = f"{n} style{'s' if n != 1 else ''}"
        self.status_label.setText(f"{what} matching" if model.search else what)

    async def reveal_style(self, style_id: int) -> bool:
        """Select and scroll to a style, refreshing (and clearing the search) if needed."""
        model = self.styles_model
        if model is None:
            return False
        while model.taking(style_id):  # being added on its own: wait for that, not a re-read
            try:
                await asyncio.wait_for(signal_future(model.taken), 10)
            except TimeoutError:
                break
        for attempt in range(4):
            if model.row_of(style_id) >= 0:
                break
            if attempt == 1 and model.search:
                self.search_edit.blockSignals(True)
                self.search_edit.clear()
                self.search_edit.blockSignals(False)
                model.set_search("")
            else:
                model.refresh()
            try:
                await asyncio.wait_for(signal_future(model.refreshed), 10)
            except TimeoutError:
                return False
        for _page in range(100):  # an older style: load pages until it is there
            if model.row_of(style_id) >= 0 or not model.canFetchMore(QModelIndex()):
                break
            loaded = signal_future(model.pageLoaded)
            model.fetchMore(QModelIndex())
            try:
                await asyncio.wait_for(loaded, 10)
            except TimeoutError:
                return False
        index = model.index_of(style_id)
        if not index.isValid():
            self.show_status("That style is no longer in the library.")
            return False
        view = self.gallery.view
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        view.scrollTo(index, view.ScrollHint.PositionAtCenter)
        return True

    def open_result(self, result: Any) -> None:
        if isinstance(result, dict) and result.get("table") == "styles" and result.get("id") is not None:
            spawn(self.reveal_style(int(result["id"])), name="reveal-style")

    # --- new style ------------------------------------------------------------------------------
    def new_style(self, reference: Any = None) -> NewStyleDialog | None:
        if self.runtime is None:
            return None
        dialog = self.new_style_dialog
        if dialog is None:
            dialog = NewStyleDialog(self.runtime, self)
            dialog.jobStarted.connect(lambda job_id: self.follow_job(job_id, "style.generate"))
            dialog.finished.connect(lambda _r: self._new_style_closed(dialog))
            self.new_style_dialog = dialog
        if reference is not None:
            dialog.set_reference(reference)
        dialog.open()
        dialog.raise_()
        dialog.description.setFocus()
        return dialog

    def _new_style_closed(self, dialog: NewStyleDialog) -> None:
        if self.new_style_dialog is dialog:
            self.new_style_dialog = None
        dialog.deleteLater()

    # --- following a job ------------------------------------------------------------------------
    def follow_job(self, job_id: int, job_type: str | None = None) -> JobProgressDialog | None:
        if self.runtime is None or self.bridge is None:
            return None
        existing = self.progress_dialogs.get(job_id)
        if existing is not None:
            return existing
        dialog = JobProgressDialog(
            self.runtime.engine,
            self.bridge,
            job_id,
            log_file=self.runtime.paths.log_file,
            job_type=job_type,
            parent=self,
        )
        dialog.succeeded.connect(self._job_succeeded)
        dialog.ended.connect(self._dialog_ended)
        dialog.finished.connect(lambda _r, job_id=job_id: self._dialog_closed(job_id))
        self.progress_dialogs[job_id] = dialog
        dialog.start()
        return dialog

    def _job_succeeded(self, job_id: int, result: Any) -> None:
        self._style_made(result)
        self.open_result(result)

    def _style_made(self, result: Any) -> None:
        """A job made a style: the gallery takes that one in (or re-reads, if it must)."""
        if self.styles_model is None:
            return
        if isinstance(result, dict) and result.get("table") == "styles" and isinstance(result.get("id"), int):
            self.styles_model.take_new(result["id"])
        else:
            self.styles_model.refresh()

    def _dialog_ended(self, job_id: int, status: str) -> None:
        if status == "removed":
            self.refresh_gallery()
        elif status == "background":
            self.jobs_panel.show()
            self.show_status("The job goes on in the background; see Jobs.")

    def _dialog_closed(self, job_id: int) -> None:
        self.progress_dialogs.pop(job_id, None)

    def _job_ended(self, row: JobRow) -> None:
        """A job the jobs list saw running has ended (any process)."""
        result = row.result_dict() if row.result else None
        if row.status == SUCCEEDED and result and result.get("table") == "styles":
            self._style_made(result)
        dialog = self.progress_dialogs.get(row.id)
        followed = dialog is not None and not dialog.backgrounded and dialog.isVisible()
        if followed or self.isActiveWindow() or row.status not in (SUCCEEDED, FAILED):
            return
        title = registry.title(row.type)
        if row.status == SUCCEEDED:
            self.notifier.notify(f"{title} finished", row.message or "Done")
        else:
            self.notifier.notify(f"{title} failed", row.error or "See the jobs panel.", error=True)

    # --- settings -------------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog | None:
        if self.runtime is None:
            return None
        if self.settings_dialog is None:
            dialog = SettingsDialog(self.runtime.paths, self.runtime.settings, self)
            dialog.saved.connect(self._settings_saved)
            dialog.finished.connect(lambda _r: self._settings_closed(dialog))
            self.settings_dialog = dialog
        self.settings_dialog.open()
        return self.settings_dialog

    def _settings_closed(self, dialog: SettingsDialog) -> None:
        if self.settings_dialog is dialog:
            self.settings_dialog = None
        dialog.deleteLater()

    def _settings_saved(self, settings: Any) -> None:
        if self.runtime is None:
            return
        # update in place: the engine's handlers hold the same Settings object
        current = self.runtime.settings
        for f in dataclasses.fields(current):
            setattr(current, f.name, getattr(settings, f.name))
        engine = self.runtime.engine
        engine.max_attempts = current.max_attempts
        engine.retention_days = current.retention_days
        if self.pool_thread is not None:
            self.pool_thread.pool.max_parallel = max(1, current.max_parallel)  # read on its next fill
        self.show_status("Settings saved")

    # --- misc -----------------------------------------------------------------------------------
    def show_status(self, text: str, timeout_ms: int = 5000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if self.runtime is not None and (mime.hasUrls() or mime.hasImage()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.runtime is None:
            return
        mime = event.mimeData()
        dialog = self.new_style(None)
        if dialog is not None and dialog.drop_zone.take_mime(mime):
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shutting_down:
            event.accept()
            return
        event.ignore()
        self.closeRequested.emit()

    def shutdown(self) -> None:
        """Save the layout, close dialogs and stop listening (GUI thread; blocking parts are in
        ``desktop.app.stop``)."""
        self._shutting_down = True
        self.responsiveness.stop()
        self.save_layout()
        self._search_timer.stop()
        for dialog in list(self.progress_dialogs.values()):
            dialog.finished_status = dialog.finished_status or "closed"
            dialog.close_now()
        self.progress_dialogs.clear()
        for dialog in (self.new_style_dialog, self.settings_dialog):
            if dialog is not None:
                dialog.reject()
        if self.bridge is not None:
            self.bridge.close()
        if self.styles_model is not None:
            self.styles_model.thumbnails.shutdown()
        self.notifier.close()

    def join_threads(self, timeout: float) -> bool:
        """Blocking, after ``shutdown``: wait for the window's own threads (thumbnail decodes)
        to finish what they are doing; False if one was still busy after ``timeout``."""
        if self.styles_model is None:
            return True
        return self.styles_model.thumbnails.join(timeout)
