"""The main window's menu bar (File, Edit, View, Help) and the two boxes Help opens: About
(version, the sample photos' licences) and Keyboard shortcuts.

Shortcuts are the platform's standard keys (``QKeySequence.StandardKey``); where a platform
defines none (Quit and Preferences on Linux and Windows), the common one is used: Ctrl+Q and
Ctrl+, . The shortcuts box is built from the actions themselves, so it cannot drift from them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMenuBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.async_utils import open_and_wait, run_blocking, spawn

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

FALLBACK_KEYS = {
    QKeySequence.StandardKey.Quit: "Ctrl+Q",
    QKeySequence.StandardKey.Preferences: "Ctrl+,",
}

# keys handled by a widget rather than by a menu action: (where, key, what it does)
WIDGET_KEYS = (
    ("Gallery", "Return / double click", "Open the selected style in the detail pane"),
    ("Gallery", "Arrow keys", "Move between styles"),
    ("Gallery", "Drop photos on a style", "Apply that style to the photos (or folders)"),
    ("Gallery", "Ctrl+click / Shift+click", "Select several styles (to export them together)"),
    ("Window", "Drop a .stylepack, .cube or HaldCLUT .png", "Import it (a HaldCLUT on the gallery)"),
    ("Search field", "Escape", "Clear the search (again: back to the gallery)"),
    ("Jobs list", "Return", "Open the style a finished job made"),
    ("Jobs list", "Delete", "Cancel a running job, dismiss a finished one"),
    ("Jobs list", "Ctrl+R", "Retry a failed or canceled job"),
    ("Jobs list", "Menu / Shift+F10", "All actions of the selected job"),
    ("Anywhere", "Tab / Shift+Tab", "Move between the gallery, the detail pane and the jobs list"),
)


def platform_keys(standard: QKeySequence.StandardKey) -> list[QKeySequence]:
    """The platform's keys for a standard action, or the common fallback where it has none."""
    keys = QKeySequence.keyBindings(standard)
    if not keys and standard in FALLBACK_KEYS:
        keys = [QKeySequence(FALLBACK_KEYS[standard])]
    return keys


def action(
    parent: QWidget,
    text: str,
    slot: Callable[[], object],
    *,
    name: str,
    keys: QKeySequence.StandardKey | str | None = None,
    tip: str | None = None,
    role: QAction.MenuRole = QAction.MenuRole.NoRole,
) -> QAction:
    act = QAction(text, parent)
    act.setObjectName(name)
    if isinstance(keys, QKeySequence.StandardKey):
        act.setShortcuts(platform_keys(keys))
    elif keys:
        act.setShortcut(QKeySequence(keys))
    act.setMenuRole(role)
    shortcut = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    plain = text.replace("&", "").rstrip("…")
    act.setToolTip(tip or plain)
    act.setStatusTip(tip or plain)
    if shortcut:
        act.setToolTip(f"{act.toolTip()} ({shortcut})")
    act.triggered.connect(lambda _checked=False: slot())
    return act


@dataclass
class WindowActions:
    apply: QAction
    export: QAction
    import_: QAction
    quit: QAction
    copy_prompt: QAction
    paste: QAction
    delete: QAction
    rename: QAction
    duplicate: QAction
    undo: QAction
    select_all: QAction
    shortcuts: QAction
    log_folder: QAction
    about: QAction
    open_source: QAction


def install_menus(win: MainWindow) -> WindowActions:
    """Build the menu bar of ``win`` from its actions and slots."""
    bar: QMenuBar = win.menuBar()
    bar.setObjectName("mainMenuBar")
    acts = WindowActions(
        apply=action(win, "&Apply to photos…", win.apply_flow.apply_to_photos, name="applyAction", keys="Ctrl+Shift+A",
                     tip="Apply the selected style to photos or folders of photos"),
        export=action(win, "&Export…", win.export_flow.export_selected, name="exportAction", keys="Ctrl+E",
                      tip="Export the selected styles as a style pack, or one as a .cube or HaldCLUT"),
        import_=action(win, "&Import…", win.import_flow.import_files, name="importAction", keys="Ctrl+I",
                       tip="Import style packs, .cube LUTs or HaldCLUT PNGs as styles"),
        quit=action(win, "&Quit", win.quit, name="quitAction", keys=QKeySequence.StandardKey.Quit,
                    tip="Quit Style Studio (asks what becomes of unfinished work)", role=QAction.MenuRole.QuitRole),
        copy_prompt=action(win, "&Copy prompt", win.copy_prompt, name="copyPromptAction",
                           keys=QKeySequence.StandardKey.Copy, tip="Copy the selected style's prompt"),
        paste=action(win, "&Paste image as reference", win.new_style_flow.paste, name="pasteAction",
                     keys=QKeySequence.StandardKey.Paste,
                     tip="Start a new style from the image on the clipboard"),
        delete=action(win, "&Delete style", win.style_actions.delete_selected, name="deleteStyleAction",
                      keys=QKeySequence.StandardKey.Delete, tip="Delete the selected style (Undo brings it back)"),
        rename=action(win, "&Rename…", win.rename_selected_style, name="renameStyleAction", keys="F2",
                      tip="Rename the selected style"),
        duplicate=action(win, "D&uplicate", win.style_actions.duplicate_selected, name="duplicateAction", keys="Ctrl+D",
                         tip="Copy the selected style, files and all, as “Name copy”"),
        undo=action(win, "&Undo delete", win.style_actions.undo_delete, name="undoDeleteAction",
                    keys=QKeySequence.StandardKey.Undo, tip="Bring back the style just deleted"),
        select_all=action(win, "Select &all", win.select_all, name="selectAllAction",
                          keys=QKeySequence.StandardKey.SelectAll,
                          tip="Select all the text in the field, or every style in the gallery"),
        shortcuts=action(win, "&Keyboard shortcuts", win.show_shortcuts, name="shortcutsAction",
                         keys=QKeySequence.StandardKey.HelpContents, tip="List the keyboard shortcuts"),
        log_folder=action(win, "Open &log folder", win.open_log_folder, name="logFolderAction",
                          tip="Show the folder with Style Studio's log files"),
        about=action(win, "&About Style Studio", win.show_about, name="aboutAction",
                     tip="Version and licences", role=QAction.MenuRole.AboutRole),
        open_source=action(win, "Open-source &licences", lambda: spawn(show_open_source(win), name="licences-box"),
                           name="openSourceAction", tip="The open-source components inside Style Studio, and their licences"),
    )
    for a in (acts.apply, acts.export, acts.import_, acts.copy_prompt, acts.rename, acts.duplicate, acts.delete, acts.undo, acts.log_folder):
        a.setEnabled(False)

    # (None: a separator)
    add_menu(bar, "&File", "fileMenu", [win.new_style_action, acts.apply, None, acts.import_, acts.export, None, acts.quit])
    add_menu(
        bar,
        "&Edit",
        "editMenu",
        [acts.undo, None, acts.copy_prompt, acts.paste, None, acts.rename, acts.duplicate, acts.delete, None, acts.select_all, None,
         win.settings_action],
    )
    add_menu(bar, "&View", "viewMenu", [win.jobs_action, win.find_action])
    add_menu(bar, "&Help", "helpMenu", [acts.shortcuts, acts.log_folder, None, acts.open_source, acts.about])
    return acts


def add_menu(bar: QMenuBar, title: str, name: str, entries: list[QAction | None]) -> QMenu:
    """A menu named ``name`` at the end of ``bar``, holding ``entries`` in order (None: a separator)."""
    menu = bar.addMenu(title)
    menu.setObjectName(name)
    for entry in entries:
        if entry is None:
            menu.addSeparator()
        else:
            menu.addAction(entry)
    return menu


# --- Help boxes -------------------------------------------------------------------------------
def licences_markdown(file: Path) -> str:
    """The sample photos' licence table from the shipped LICENSES.md (blocking: a file read)."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return "The sample photos' licence file is missing from this installation."
    table = [line for line in lines if line.lstrip().startswith("|")]
    return "\n".join(table) if table else "\n".join(lines)


def about_markdown(version: str, licences: str) -> str:
    return (
        f"**Style Studio {version}**\n\n"
        "Turns a description and a reference image into a reusable visual style.\n\n"
        "**Sample photos** (previews are rendered over them), from scikit-image's data folder:\n\n"
        f"{licences}\n"
    )


class HelpBox(QDialog):
    """A read-only page of text with a Close button (the About and shortcuts boxes)."""

    def __init__(self, parent: QWidget, name: str, title: str, text: str, fmt: Qt.TextFormat) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        self.label = QLabel()
        self.label.setObjectName(f"{name}Text")
        self.label.setTextFormat(fmt)
        self.label.setText(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.label.setAccessibleName(title)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.label)
        scroll.setAccessibleName(title)
        layout.addWidget(scroll)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close this box (Escape)")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        height = min(self.label.heightForWidth(560) + 90, 640)
        self.resize(600, max(240, height))


async def show_about(parent: QWidget) -> None:
    from desktop import __version__
    from desktop.resources import resources_dir

    licences = await run_blocking(licences_markdown, resources_dir() / "samples" / "LICENSES.md")
    box = HelpBox(parent, "aboutBox", "About Style Studio", about_markdown(__version__, licences), Qt.TextFormat.MarkdownText)
    await open_and_wait(box)
    box.deleteLater()


async def show_open_source(parent: QWidget) -> None:
    """Help › Open-source licences: the shipped OPEN_SOURCE_LICENCES.md, as it is."""
    from desktop.resources import resources_dir

    def read(file: Path) -> str:
        try:
            return file.read_text(encoding="utf-8")
        except OSError:
            return "The open-source licence list is missing from this installation."

    text = await run_blocking(read, resources_dir() / "OPEN_SOURCE_LICENCES.md")
    box = HelpBox(parent, "openSourceBox", "Open-source licences", text, Qt.TextFormat.MarkdownText)
    box.resize(760, 640)
    await open_and_wait(box)
    box.deleteLater()


def shortcut_rows(menus: list[QMenu]) -> list[tuple[str, str, str]]:
    """(where, key, what) for every menu action with a key, then the widgets' own keys."""
    rows = []
    for menu in menus:
        where = menu.title().replace("&", "")
        for act in menu.actions():
            key = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if key:
                rows.append((where, key, act.text().replace("&", "").rstrip("…")))
    return rows + list(WIDGET_KEYS)


def shortcuts_html(rows: list[tuple[str, str, str]]) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(where)}</td><td><b>{html.escape(key)}</b></td><td>{html.escape(what)}</td></tr>"
        for where, key, what in rows
    )
    head = "<tr><th align='left'>Where</th><th align='left'>Key</th><th align='left'>Does</th></tr>"
    return f"<table cellspacing='0' cellpadding='3'>{head}{cells}</table>"


async def show_shortcuts(parent: QWidget, menus: list[QMenu]) -> None:
    text = shortcuts_html(shortcut_rows(menus))
    box = HelpBox(parent, "shortcutsBox", "Keyboard shortcuts", text, Qt.TextFormat.RichText)
    await open_and_wait(box)
    box.deleteLater()
