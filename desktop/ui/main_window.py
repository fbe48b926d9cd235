"""The main window (``mainWindow``): menu bar, toolbar, gallery, style detail and the jobs panel.

The window is shown before the library is open (``attach`` connects it once the runtime is
ready on a worker thread), so the first paint never waits for the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSettings,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.config import APP_NAME, from_library
from desktop.errors import UserError
from desktop.ui import job_kinds
from desktop.ui.application import GEOMETRY_KEY, WINDOW_SIZE
from desktop.ui.apply_flow import ApplyFlow
from desktop.ui.async_utils import signal_future, spawn
from desktop.ui.bridge import JobBridge
from desktop.ui.export_flow import ExportFlow
from desktop.ui.gallery import GalleryPane, dropped_paths
from desktop.ui.import_drop import is_import_name
from desktop.ui.import_flow import ImportFlow
from desktop.ui.job_following import JobFollowing
from desktop.ui.jobs_model import JobsModel
from desktop.ui.jobs_panel import JobsPanel
from desktop.ui.new_style_flow import NewStyleFlow
from desktop.ui.notifications import NoticeBar, Notifier
from desktop.ui.quit_dialog import Quitting
from desktop.ui.responsiveness import Responsiveness
from desktop.ui.settings_flow import SettingsFlow
from desktop.ui.style_actions import StyleActions
from desktop.ui.style_detail import StyleDetail
from desktop.ui.styles_model import StyleIdRole, StylesModel
from desktop.ui.window_menus import install_menus, platform_keys, show_about, show_shortcuts

if TYPE_CHECKING:  # the library's modules (SQLAlchemy) are imported once the window is shown
    from desktop.jobs.pool_thread import PoolThread
    from desktop.library.reading import Library
    from desktop.runtime import Runtime

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 200
JOBS_PANEL_HEIGHT = 190  # the jobs dock's height once it lists jobs (empty, it is one line)


class MainWindow(QMainWindow):
    closeRequested = Signal()  # the user closed the window: the app should stop()
    # the library's server went away / is back (message, connected): from any thread, queued
    libraryState = Signal(str, bool)

    def __init__(self, settings_file: str | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("")
        self.setAcceptDrops(True)
        self.resize(WINDOW_SIZE)
        self.runtime: Runtime | None = None
        self.pool_thread: PoolThread | None = None
        self.bridge: JobBridge | None = None
        self.library: Library | None = None
        self.styles_model: StylesModel | None = None
        self.jobs_model: JobsModel | None = None
        # opens a folder or file in the desktop's own app; tests put a recorder here
        self.url_opener: Callable[[QUrl], bool] = QDesktopServices.openUrl
        # the flows the window starts (each opens its dialog and follows its jobs)
        self.following = JobFollowing(self)
        self.new_style_flow = NewStyleFlow(self)
        self.apply_flow = ApplyFlow(self)
        self.export_flow = ExportFlow(self)
        self.import_flow = ImportFlow(self)
        self.settings_flow = SettingsFlow(self)
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
        self.new_style_action = QAction("&New style…", self)
        self.new_style_action.setIconText("New style")
        self.new_style_action.setObjectName("newStyleAction")
        self.new_style_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_style_action.setToolTip("Describe a new style (Ctrl+N)")
        self.new_style_action.setStatusTip("Describe a new style")
        self.new_style_action.triggered.connect(lambda: self.new_style_flow.open())
        bar.addAction(self.new_style_action)
        bar.addSeparator()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setPlaceholderText("Search styles by name or description  (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self.search_edit.setMaximumWidth(420)
        self.search_edit.setAccessibleName("Search styles")
        self.search_edit.setToolTip("Search styles by name or description (Ctrl+F; Escape clears)")
        self.search_edit.installEventFilter(self)
        bar.addWidget(self.search_edit)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.find_action = QAction("&Search styles", self)
        self.find_action.setObjectName("searchAction")
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.setToolTip("Search styles by name or description (Ctrl+F)")
        self.find_action.triggered.connect(self._focus_search)
        self.addAction(self.find_action)
        self.settings_action = QAction("Se&ttings…", self)
        self.settings_action.setIconText("Settings")
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.setShortcuts(platform_keys(QKeySequence.StandardKey.Preferences))
        self.settings_action.setToolTip(
            f"Generator, previews, jobs and keys ({self.settings_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        )
        self.settings_action.triggered.connect(lambda: self.settings_flow.open())
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())

        # centre: gallery | detail
        self.gallery = GalleryPane()
        self.gallery.empty.newStyleClicked.connect(lambda: self.new_style_flow.open())
        self.gallery.view.activated.connect(self.open_style)  # Return, or a double click
        self.gallery.view.photosDropped.connect(self.import_flow.photos_dropped)
        self.gallery.view.referenceDropped.connect(self.import_flow.gallery_dropped)
        self.detail = StyleDetail()
        self.detail.leave_the_empty_library_to_the_gallery()
        self.detail.status.connect(self.show_status)
        self.detail.newStyleRequested.connect(lambda: self.new_style_flow.open())
        self.detail.applyRequested.connect(lambda style_id: self.apply_flow.open(style_id, []))
        self.detail.photosDropped.connect(self.import_flow.photos_dropped)
        self.detail.exportRequested.connect(self.export_flow.export_from_detail)
        self.detail.jobStarted.connect(lambda job_id: self.following.follow_job(job_id, job_kinds.STRENGTH))
        self.detail.styleChanged.connect(self.style_changed)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.gallery)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 360])
        self.splitter.setChildrenCollapsible(False)
        self.notice_bar = NoticeBar()
        central = QWidget()
        central.setObjectName("centralArea")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notice_bar)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        # jobs dock
        self.jobs_panel = JobsPanel(self)
        self.jobs_panel.status.connect(self.show_status)
        self.jobs_panel.openResult.connect(self.open_result)
        self.jobs_panel.emptyChanged.connect(self._fit_jobs_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_panel)
        self.jobs_action = self.jobs_panel.toggleViewAction()
        self.jobs_action.setText("&Jobs")
        self.jobs_action.setIconText("Jobs")
        self.jobs_action.setObjectName("jobsAction")
        self.jobs_action.setShortcut(QKeySequence("Ctrl+J"))
        self.jobs_action.setToolTip("Show or hide the jobs list (Ctrl+J)")
        self.jobs_action.triggered.connect(self._jobs_toggled)
        bar.addAction(self.jobs_action)
        bar.addAction(self.settings_action)
        self.style_actions = StyleActions(self)  # before the menus: they hold its actions
        self.window_actions = install_menus(self)
        self.quitting = Quitting(self, self.window_actions.quit.shortcuts())  # asks, then closeRequested

        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self.statusBar().setSizeGripEnabled(True)
        self.notifier = Notifier(self)
        self.notifier.bar = self.notice_bar
        self.responsiveness = Responsiveness(self)
        self.notifier.fallback.connect(lambda text: self.show_status(text, 10000))

        for action in (self.new_style_action, self.settings_action):
            action.setEnabled(False)
        self.search_edit.setEnabled(False)
        self.restore_layout()
        self._fit_jobs_panel(self.jobs_panel.empty)

    # --- start-up -----------------------------------------------------------------------------
    def attach(self, runtime: Runtime, pool_thread: PoolThread | None) -> None:
        """Connect the window to an open library (called on the GUI thread once it is ready)."""
        self.runtime = runtime
        self.pool_thread = pool_thread
        self.bridge = JobBridge(runtime.engine, self)
        self.libraryState.connect(self._show_library_state)
        self._unwatch_library = runtime.engine.watch(self._on_library_event)
        from desktop.library.reading import Library

        self.library = Library(runtime.db, runtime.paths)
        self.styles_model = StylesModel(self.library, self)
        self.gallery.set_model(self.styles_model)
        self.gallery.view.selectionModel().currentChanged.connect(self._current_changed)
        self.gallery.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_style_actions())
        self.styles_model.refreshed.connect(self._update_counts)
        self.detail.set_library(self.library)
        self.detail.set_runtime(runtime)
        self.jobs_model = JobsModel(runtime.engine, self.bridge, self)
        self.jobs_model.jobEnded.connect(self.following.job_ended)
        self.detail.set_jobs(self.jobs_model)
        self.jobs_panel.set_model(runtime.engine, self.jobs_model)
        self.bridge.rowsStale.connect(self.styles_model.check_for_changes)
        for action in (self.new_style_action, self.settings_action, self.window_actions.log_folder, self.window_actions.import_):
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
        geometry = s.value(GEOMETRY_KEY)
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
        s.setValue(GEOMETRY_KEY, self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.sync()

    # --- gallery ------------------------------------------------------------------------------
    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if (
            watched is self.search_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            if self.search_edit.text():
                self.search_edit.clear()
                self._search_timer.stop()
                self._apply_search()  # at once: Escape is not typing
            else:
                self.gallery.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return super().eventFilter(watched, event)

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
        acts = self.window_actions
        for action in (acts.copy_prompt, acts.rename, acts.duplicate, acts.delete, acts.apply):
            action.setEnabled(style_id is not None)
        self._update_style_actions()

    def _update_style_actions(self) -> None:
        self.window_actions.export.setEnabled(bool(self.gallery.view.selected_style_ids()))

    def open_style(self, index: QModelIndex) -> None:
        """Return or a double click on a card: show it in the detail pane and go there."""
        style_id = index.data(StyleIdRole) if index.isValid() else None
        if style_id is None:
            return
        if self.detail.style is None or self.detail.style.id != style_id:
            self.detail.show_style(style_id)
        page = self.detail.currentWidget() or self.detail
        for child in page.findChildren(QWidget):
            if child.isVisibleTo(self) and child.isEnabled() and child.focusPolicy() & Qt.FocusPolicy.TabFocus:
                child.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        self.detail.setFocus(Qt.FocusReason.OtherFocusReason)

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
        # an empty library or search says so in the detail pane, with a way on
        self.detail.show_library_state(n, bool(model.search))

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
            if model.row_of(style_id) >= 0:
                break
            # a page (or a re-read) the view asked for may be on its way: wait for it
            waits = [signal_future(model.pageLoaded), signal_future(model.refreshed)]
            if not model.busy:
                if not model.canFetchMore(QModelIndex()):
                    break
                model.fetchMore(QModelIndex())
            done, pending = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
            for future in pending:
                future.cancel()
            if not done:
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
        if isinstance(result, dict) and result.get("out"):  # a batch: its photos are in a folder
            self.open_folder(self.local_folder(str(result["out"])))
        elif isinstance(result, dict) and result.get("table") == "styles" and result.get("id") is not None:
            spawn(self.reveal_style(int(result["id"])), name="reveal-style")

    def style_made(self, result: Any) -> None:
        """A job made a style: the gallery takes that one in (or re-reads, if it must)."""
        if self.styles_model is None:
            return
        if isinstance(result, dict) and result.get("table") == "styles" and isinstance(result.get("id"), int):
            self.styles_model.take_new(result["id"])
        else:
            self.styles_model.refresh()

    def style_changed(self, style_id: int) -> None:
        """A style changed in place (a new strength: new .cube, previews, thumbnail)."""
        if self.styles_model is not None:
            self.styles_model.update_one(style_id)

    def local_folder(self, stored: str) -> str:
        """A batch's output folder on this machine: a folder stored relative to the library
        folder is read in this machine's (another machine may mount it elsewhere)."""
        if self.runtime is None or os.path.isabs(stored):
            return stored
        try:
            return str(from_library(stored, self.runtime.paths.library, "The output folder"))
        except UserError:
            return stored

    def open_folder(self, folder: str) -> None:
        if not self.url_opener(QUrl.fromLocalFile(folder)):
            self.show_status(f"The folder is {folder}")

    # --- menu actions -----------------------------------------------------------------------------
    def quit(self) -> None:
        """File > Quit (Ctrl+Q from any dialog too): as closing the window."""
        self.request_quit()

    def request_quit(self) -> None:
        """Close the window, asking first what becomes of unfinished work (``quit_dialog``)."""
        self.quitting.request()

    def copy_prompt(self) -> None:
        if self.selected_style_id() is None:
            self.show_status("Select a style first: its prompt is what gets copied.")
        elif self.detail.style is not None and self.detail.style.id == self.selected_style_id():
            self.detail.copy_prompt()

    def rename_selected_style(self) -> None:
        """Edit > Rename (F2): the detail pane's heading becomes a field holding the name."""

        async def begin() -> None:
            self.detail.name_field.begin()

        self._on_selected_style("rename", begin)

    def _on_selected_style(self, verb: str, then: Callable[[], Awaitable[None]]) -> None:
        style_id = self.selected_style_id()
        if style_id is None:
            self.show_status(f"Select a style to {verb} first.")
            return
        spawn(self._with_detail_of(style_id, then), name=f"{verb}-style")

    async def _with_detail_of(self, style_id: int, then: Callable[[], Awaitable[None]]) -> None:
        """Run ``then`` once the detail pane shows style ``style_id``."""
        if self.detail.style is None or self.detail.style.id != style_id:
            self.detail.show_style(style_id)
            for _ in range(250):  # the pane reads the style on a worker thread
                if self.detail.style is not None and self.detail.style.id == style_id:
                    break
                await asyncio.sleep(0.02)
            else:
                self.show_status("That style could not be read; try again.")
                return
        await then()

    def select_all(self) -> None:
        """Edit > Select all (Ctrl+A): the text of the focused field, else every loaded style
        (the gallery takes the keyboard)."""
        widget = self.focusWidget()
        if isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)):
            widget.selectAll()
        else:
            self.gallery.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.gallery.view.selectAll()

    def show_about(self) -> None:
        spawn(show_about(self), name="about-box")

    def show_shortcuts(self) -> None:
        menus = [a.menu() for a in self.menuBar().actions() if isinstance(a.menu(), QMenu)]
        spawn(show_shortcuts(self, menus), name="shortcuts-box")

    def open_log_folder(self) -> None:
        if self.runtime is None:
            return
        folder = self.runtime.paths.logs_dir
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.show_status(f"The log folder is {folder}")

    # --- jobs dock ------------------------------------------------------------------------------
    def _fit_jobs_panel(self, empty: bool) -> None:
        """An empty jobs list is one line high; the first job gives it room again."""
        panel = self.jobs_panel
        if empty:
            self.resizeDocks([panel], [panel.minimumSizeHint().height()], Qt.Orientation.Vertical)
        elif panel.height() < JOBS_PANEL_HEIGHT * 2 // 3:
            self.resizeDocks([panel], [JOBS_PANEL_HEIGHT], Qt.Orientation.Vertical)

    def _jobs_toggled(self, visible: bool) -> None:
        if visible and not self.jobs_panel.empty:  # View > Jobs takes the keyboard there too
            QTimer.singleShot(0, lambda: self.jobs_panel.view.setFocus(Qt.FocusReason.ShortcutFocusReason))

    # --- misc -----------------------------------------------------------------------------------
    def _on_library_event(self, event: Any) -> None:  # any thread
        if event.kind == "library_state" and event.message:
            try:
                self.libraryState.emit(event.message, event.connected)
            except RuntimeError:  # the window is gone
                pass

    def _show_library_state(self, message: str, connected: bool) -> None:
        """"Reconnecting to the library…" stays in the status bar until the library is back."""
        self.show_status(message, 5000 if connected else 0)

    def show_status(self, text: str, timeout_ms: int = 5000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if self.runtime is not None and (mime.hasUrls() or mime.hasImage()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """A drop not on the gallery nor on a style: style packs and .cube LUTs are imported,
        an image is a new style's reference (a HaldCLUT PNG too: only the gallery imports it)."""
        if self.runtime is None:
            return
        mime = event.mimeData()
        paths = dropped_paths(mime)
        imports = [p for p in paths if is_import_name(p)]
        if imports:
            event.acceptProposedAction()
            spawn(self.import_flow.start_import(imports, left_out=len(paths) - len(imports)), name="import-drop")
        elif self.new_style_flow.reference_dropped(mime):
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shutting_down:
            event.accept()
            return
        event.ignore()
        self.request_quit()

    def shutdown(self) -> None:
        """Save the layout, close dialogs and stop listening (GUI thread; blocking parts are in
        ``desktop.app.stop``)."""
        self._shutting_down = True
        self.quitting.close()
        self.responsiveness.stop()
        self.save_layout()
        self._search_timer.stop()
        self.following.close_all()
        for dialog in (self.new_style_flow.dialog, self.settings_flow.dialog, self.apply_flow.dialog, self.export_flow.dialog):
            if dialog is not None:
                dialog.reject()
        if self.bridge is not None:
            self.bridge.close()
            self._unwatch_library()
        if self.styles_model is not None:
            self.styles_model.thumbnails.shutdown()
        self.notifier.close()

    def join_threads(self, timeout: float) -> bool:
        """Blocking, after ``shutdown``: wait for the window's own threads (thumbnail decodes)
        to finish what they are doing; False if one was still busy after ``timeout``."""
        if self.styles_model is None:
            return True
        return self.styles_model.thumbnails.join(timeout)

