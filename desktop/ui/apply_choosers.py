"""What the Apply dialog asks the disk and the person: the inputs' plan and the output folder's
check (blocking: run on worker threads), and the file dialogs that add photos, add a folder or
choose the output folder (opened window-modal, never blocking the event loop)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.errors import UserError
from desktop.ui.photo_files import name_filter


def human_size(n: int) -> str:
    """A size for a person: 812 bytes, 3.4 MB."""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover


def plan_inputs(inputs: list[str], recursive: bool, style_name: str) -> tuple[Any, str]:
    """Blocking: the inputs' plan and the default output folder."""
    from desktop.pipelines.apply.request import default_output_folder, plan_apply

    plan = plan_apply(inputs, recursive=recursive)
    return plan, str(default_output_folder(style_name, inputs[0]))


def check_out(text: str) -> str:
    """Blocking: the output folder in full, or UserError (one sentence)."""
    from desktop.pipelines.apply.request import check_output_folder

    if not text.strip():
        raise UserError("Choose an output folder for the styled photos.")
    if not os.path.isabs(os.path.expanduser(text.strip())):
        raise UserError("The output folder must be a full path, like /home/me/Pictures/styled.")
    return str(check_output_folder(text.strip()))


def choose_output_folder(parent: QWidget, current: str, chosen: Callable[[str], Any]) -> None:
    dialog = QFileDialog(parent, "Choose the output folder")
    dialog.setObjectName("applyOutputFolderDialog")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    start = Path(current.strip()) if current.strip() else Path.home()
    while not start.exists() and start.parent != start:
        start = start.parent
    dialog.setDirectory(str(start))
    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()


def choose_photos(parent: QWidget, chosen: Callable[[list[str]], Any]) -> None:
    dialog = QFileDialog(parent, "Add photos")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setNameFilter(name_filter())
    dialog.filesSelected.connect(lambda files: chosen(list(files)))
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()


def choose_input_folder(parent: QWidget, chosen: Callable[[list[str]], Any]) -> None:
    dialog = QFileDialog(parent, "Add a folder of photos")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.fileSelected.connect(lambda folder: chosen([folder]))
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()


def local_paths(urls: list[QUrl]) -> list[str]:
    return [u.toLocalFile() for u in urls if u.isLocalFile() and u.toLocalFile()]
