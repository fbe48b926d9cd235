"""Screenshots of the real window, rendered offscreen (``python -m desktop.tools.screenshots OUTDIR``).

Everything goes through the real start-up path (``desktop.app.start``/``stop``, handed in by
``desktop.tools.screenshots``: this module does not import the app above it) with a temporary
data folder, the real engine and the real local generator:

- ``main.png``: the main window over a library of ten styles made by real generation
  jobs (some from the bundled sample photos, some from words alone), one selected;
- ``export.png``: the export dialog for the selected style (a style pack, a .cube or a
  HaldCLUT PNG);
- ``new_style.png``: the new-style dialog with a reference image dropped in (a ``QDropEvent``
  with a file URL, as from a file manager) and a description typed;
- ``progress.png``: the progress dialog in the middle of a slow style job (big previews),
  captured while it says "Rendering preview 3 of 6", with the latest preview as its thumbnail;
- ``failed.png``: the progress dialog of a style job whose reference file is damaged;
- ``jobs.png``: the window with its jobs panel: a running job, a failed one, finished ones;
- ``apply.png``: the apply dialog for a folder of photos dropped on a card (one file skipped),
  its before/after view at 80 %;
- ``apply_progress.png``: the progress dialog of that batch halfway, with the latest styled
  photo as its thumbnail.

Widgets are captured with ``QWidget.grab()``. Every wait has a timeout; the tool never hangs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from desktop.jobs.model import JobStatus
from desktop.ui.async_utils import run_blocking
from desktop.ui.polling import poll_until

log = logging.getLogger(__name__)

StartWindow = Callable[[Path], Awaitable[Any]]  # desktop.app.start: a data folder -> the open window
StopWindow = Callable[[Any], Awaitable[None]]  # desktop.app.stop

WINDOW_SIZE = (1200, 800)
GALLERY_WIDTH = 850  # four cards a row
STEP_TIMEOUT = 150.0  # generous: a loaded machine (CI with the other core busy) is slow, not stuck
POLL = 0.02

# (name, description, sample photo or None, previews): varied, so the gallery looks real
LIBRARY = [
    ("Harbour Dusk", "teal shadows and warm highlights, soft film grain", "rocket.jpg", 4),
    ("Risograph Coffee", "risograph print in pink and navy, halftone dots", "coffee.png", 2),
    ("Moss Archive", "faded green archive photo with a gentle vignette", "chelsea.png", 2),
    ("Sodium Night", "orange street light against a deep blue night, grain", None, 2),
    ("Paper Sun", "sunlit sepia paper with a soft focus glow", "astronaut.png", 2),
    ("Deep Field", "cold violet duotone, posterized like an old poster", "hubble_deep_field.jpg", 2),
    ("Ink Sketch", "pencil sketch lines on warm paper", None, 2),
    ("Citrus Pop", "lime and tangerine, bright and vivid, pixel art", None, 2),
    ("Rocket Noir", "high contrast black and white with heavy grain", "rocket.jpg", 2),
    ("Glasshouse", "pale mint and cream, airy and bright, soft glow", "coffee.png", 2),
]
SELECTED = 0  # the style shown in the detail pane (index into LIBRARY)
LIBRARY_SIZE = 480  # preview size of the library's styles (small: quick to make)

NEW_STYLE_REFERENCE = "chelsea.png"
NEW_STYLE_DESCRIPTION = "warm faded film, soft grain, teal shadows and a gentle vignette"
SLOW_PREVIEWS = 8
SLOW_SIZE = 3072  # big previews: a job slow enough to be caught halfway
PROGRESS_MESSAGE = re.compile(r"Rendering preview (\d+) of (\d+)")
DAMAGED_NAME = "harbour-at-dusk.jpg"
APPLY_PHOTOS = ("rocket.jpg", "coffee.png", "chelsea.png", "astronaut.png")
APPLY_COPIES = 3  # of each: a batch of 12
APPLY_EDGE = 2400  # big enough that the batch is caught halfway
APPLY_STRENGTH = 80
APPLY_MESSAGE = re.compile(r"Applying (\d+) of (\d+)")


class ScreenshotError(RuntimeError):
    """A step could not reach the state it was to capture."""


async def until(check: Callable[[], Any], what: str, timeout: float = STEP_TIMEOUT) -> Any:
    return await poll_until(check, timeout=timeout, interval=POLL, failure=lambda: ScreenshotError(f"{what} (waited {timeout:.0f} s)"))


async def settle(seconds: float = 0.1) -> None:
    """Let pending layouts, paints and queued signals run. (Never ``processEvents()`` inside a
    coroutine: it would run other tasks' steps re-entrantly, and qasync loses their wake-ups.)"""
    await asyncio.sleep(seconds)


def save(widget: QWidget, path: Path) -> Path:
    pixmap = widget.grab()
    if pixmap.isNull() or not pixmap.save(str(path), "PNG"):
        raise ScreenshotError(f"could not save {path}")
    log.info("Saved %s (%dx%d)", path, pixmap.width(), pixmap.height())
    return path


def drop_files(widget: QWidget, *paths: str | Path, mime: QMimeData | None = None) -> bool:
    """Drop files on ``widget`` as a file manager would (drag-enter, then drop); returns
    whether the drop was accepted. The UI tests use it too."""
    from PySide6.QtGui import QDragEnterEvent

    if mime is None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = widget.rect().center()
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def sample(name: str) -> Path:
    from desktop.resources import resources_dir

    return resources_dir() / "samples" / name


async def wait_jobs(engine: Any, ids: list[int], timeout: float = STEP_TIMEOUT) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = [await run_blocking(engine.get, i) for i in ids]
        if all(r is not None and r.is_finished for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise ScreenshotError("the library's style jobs did not finish in time")
        await asyncio.sleep(0.1)


# --- the shots -----------------------------------------------------------------------------


async def make_library(window: Any) -> list[int]:
    """The styles made by real generation jobs; returns the style ids, oldest first."""
    from desktop.pipelines.generate.request import enqueue_style

    runtime = window.runtime
    job_ids = []
    for n, (name, description, photo, previews) in enumerate(LIBRARY):
        job_ids.append(
            await run_blocking(
                enqueue_style,
                runtime,
                description,
                reference=sample(photo) if photo else None,
                name=name,
                backend="local",
                previews=previews,
                size=LIBRARY_SIZE,
                seed=11 + n,
            )
        )
    rows = await wait_jobs(runtime.engine, job_ids)
    bad = [r for r in rows if r.status != JobStatus.SUCCEEDED]
    if bad:
        raise ScreenshotError(f"job {bad[0].id} ended {bad[0].status}: {bad[0].error}")
    return [int(r.result_dict()["id"]) for r in rows]


async def shot_main(window: Any, style_ids: list[int], out: Path) -> Path:
    from desktop.ui.styles_model import ThumbnailReadyRole

    model = window.styles_model
    selected = style_ids[SELECTED]
    if not await window.reveal_style(selected):
        raise ScreenshotError("the gallery did not show the new styles")
    await until(lambda: model.rowCount() == len(style_ids), "the gallery did not list every style")

    def thumbnails_ready() -> bool:
        return all(model.index(r, 0).data(ThumbnailReadyRole) for r in range(model.rowCount()))

    await until(thumbnails_ready, "the gallery's thumbnails did not load")
    detail = window.detail

    def detail_ready() -> bool:
        if detail.style is None or detail.style.id != selected:
            return False
        tiles = [detail.previews.itemAt(i).widget() for i in range(detail.previews.count())]
        return bool(tiles) and all(getattr(t, "_pixmap", None) is not None for t in tiles)

    await until(detail_ready, "the detail pane did not show the selected style")
    await until(lambda: detail.strength.shown() is not None, "the strength's before/after was not drawn")
    window.show_status("")
    window.jobs_panel.hide()  # the whole detail pane fits; jobs.png shows the panel
    window.gallery.view.setFocus()
    await settle()
    path = save(window, out / "main.png")
    window.jobs_panel.show()
    return path


async def shot_export(window: Any, style_id: int, out: Path) -> Path:
    """The export dialog for one style: every format it can be written as."""
    dialog = window.export_flow.open([style_id])
    if dialog is None:
        raise ScreenshotError("the export dialog did not open")
    await until(dialog.isVisible, "the export dialog did not show")
    dialog.start_button.setFocus()
    await settle()
    path = save(dialog, out / "export.png")
    dialog.reject()
    await settle()
    return path


async def shot_failed(window: Any, folder: Path, out: Path) -> tuple[Path, int]:
    """A style job whose reference is damaged (a half-copied JPEG) fails at its first stage."""
    from desktop.pipelines.generate.request import JOB_TYPE

    damaged = window.runtime.paths.uploads_dir / DAMAGED_NAME  # a damaged copy in the library
    damaged.parent.mkdir(parents=True, exist_ok=True)
    data = sample("rocket.jpg").read_bytes()
    damaged.write_bytes(data[: len(data) // 3])
    payload = {
        "description": "dusky harbour blues with a soft glow",
        "name": "Harbour at dusk",
        "backend": "local",
        "previews": 4,
        "size": 768,
        "seed": 5,
        "reference": f"uploads/{DAMAGED_NAME}",  # as the command line's `jobs enqueue` queues a generation
    }
    job_id = await run_blocking(window.runtime.engine.enqueue, JOB_TYPE, payload)
    dialog = window.following.follow_job(job_id, JOB_TYPE)
    await until(lambda: dialog.finished_status == "failed" and dialog.isVisible(), "the failed job's dialog did not show")
    await settle()
    dialog.adjustSize()
    await settle()
    path = save(dialog, out / "failed.png")
    dialog.close_now()
    await settle()
    return path, job_id


async def shot_new_style(window: Any, out: Path) -> tuple[Path, Any]:
    dialog = window.new_style_flow.open()
    if dialog is None:
        raise ScreenshotError("the new-style dialog did not open")
    if not drop_files(dialog.drop_zone, sample(NEW_STYLE_REFERENCE)):
        raise ScreenshotError("the drop zone refused the sample photo")
    dialog.description.setPlainText(NEW_STYLE_DESCRIPTION)
    dialog.previews.setValue(SLOW_PREVIEWS)
    await until(lambda: dialog.drop_zone.reference is not None and not dialog.drop_zone.busy, "the dropped reference was not shown")
    dialog.description.setFocus()
    await settle()
    dialog.adjustSize()
    await settle()
    return save(dialog, out / "new_style.png"), dialog


async def shot_progress(window: Any, dialog: Any, out: Path) -> tuple[Path, int]:
    """Generate from the open new-style dialog; capture the progress dialog at preview 3."""
    window.runtime.settings.preview_size = SLOW_SIZE  # in memory only: big previews, a slow job
    before = set(window.following.progress_dialogs)
    dialog.generate_button.click()
    progress = await until(
        lambda: next((d for i, d in window.following.progress_dialogs.items() if i not in before), None),
        "Generate did not start a job",
    )

    def at_preview(minimum: int) -> bool:
        m = PROGRESS_MESSAGE.search(progress.message.text())
        return progress.isVisible() and m is not None and int(m.group(1)) >= minimum

    try:
        await until(lambda: at_preview(3), "no progress message", timeout=30.0)
    except ScreenshotError:
        await until(lambda: at_preview(1), "the progress dialog never said which preview it renders")
    await settle()
    return save(progress, out / "progress.png"), progress.job_id


async def shot_jobs(window: Any, running_job: int, out: Path) -> Path:
    """The jobs panel while the slow job runs, under the failed one and the finished ones."""
    model = window.jobs_model
    await until(
        lambda: (row := model.find(running_job)) is not None and row.status == JobStatus.RUNNING,
        "the jobs panel did not show the running job",
    )
    panel = window.jobs_panel
    panel.show()
    window.resizeDocks([panel], [290], Qt.Orientation.Vertical)
    panel.view.scrollToTop()
    await settle()
    return save(window, out / "jobs.png")


def make_shoot(folder: Path) -> Path:
    """Blocking: a folder of photos (bigger copies of the samples) and a stray text file."""
    from PIL import Image

    shoot = folder / "Holiday"
    shoot.mkdir(parents=True, exist_ok=True)
    for n in range(APPLY_COPIES):
        for name in APPLY_PHOTOS:
            with Image.open(sample(name)) as im:
                rgb = im.convert("RGB")
            scale = APPLY_EDGE / max(rgb.size)
            big = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)))
            big.save(shoot / f"IMG_{n + 1}{APPLY_PHOTOS.index(name) + 1:03d}.jpg", quality=90)
    (shoot / "notes.txt").write_text("packing list\n")
    return shoot


async def shot_apply(window: Any, style_id: int, folder: Path, out: Path) -> tuple[Path, Any]:
    """The apply dialog for a folder dropped on the selected style's card."""
    shoot = await run_blocking(make_shoot, folder)
    view = window.gallery.view
    index = window.styles_model.index_of(style_id)
    if not index.isValid():
        raise ScreenshotError("the style to apply is not in the gallery")
    dialog = window.apply_flow.open(style_id, [str(shoot)])
    if dialog is None:
        raise ScreenshotError("the apply dialog did not open")
    view.scrollTo(index)
    await until(lambda: dialog.plan is not None, "the apply dialog did not list the photos")
    dialog.strength.setValue(APPLY_STRENGTH)
    await until(lambda: dialog.preview.shown == APPLY_STRENGTH and dialog.start_button.isEnabled(), "the before/after view was not drawn")
    dialog.before_after.set_split(0.45)
    dialog.resize(640, dialog.sizeHint().height() + 120)
    dialog.strength.setFocus()
    await settle(0.2)
    return save(dialog, out / "apply.png"), dialog


async def shot_apply_progress(window: Any, dialog: Any, out: Path) -> Path:
    before = set(window.following.progress_dialogs)
    dialog.start_button.click()
    progress = await until(
        lambda: next((d for i, d in window.following.progress_dialogs.items() if i not in before), None),
        "Start did not queue the batch",
    )

    def halfway() -> bool:
        m = APPLY_MESSAGE.search(progress.message.text())
        return progress.isVisible() and progress.preview_path is not None and m is not None and int(m.group(1)) >= 3

    await until(halfway, "the batch's progress dialog did not show a styled photo")
    await settle(0.3)
    path = save(progress, out / "apply_progress.png")
    progress.cancel_job()
    return path


async def capture(out: Path, home: Path, folder: Path, start: StartWindow, stop: StopWindow) -> list[Path]:
    window = await start(home)
    saved: list[Path] = []
    try:
        window.resize(*WINDOW_SIZE)
        window.splitter.setSizes([GALLERY_WIDTH, WINDOW_SIZE[0] - GALLERY_WIDTH])
        await until(lambda: window.styles_model is not None and window.styles_model.ever_loaded, "the library did not open")
        style_ids = await make_library(window)
        saved.append(await shot_main(window, style_ids, out))
        saved.append(await shot_export(window, style_ids[SELECTED], out))
        path, _failed = await shot_failed(window, folder, out)
        saved.append(path)
        path, dialog = await shot_new_style(window, out)
        saved.append(path)
        path, running = await shot_progress(window, dialog, out)
        saved.append(path)
        saved.append(await shot_jobs(window, running, out))
        progress = window.following.progress_dialogs.get(running)
        if progress is not None:
            progress.cancel_job()
        path, apply_dialog = await shot_apply(window, style_ids[SELECTED], folder, out)
        saved.append(path)
        saved.append(await shot_apply_progress(window, apply_dialog, out))
    finally:
        await stop(window)
    return saved


def take_screenshots(out: str | os.PathLike[str], start: StartWindow, stop: StopWindow, timeout: float = 420.0) -> list[Path]:
    """Render every screenshot into ``out`` of a window opened with ``start`` and closed with
    ``stop`` (the app's start-up and shut-down); returns the files written. Blocking: runs its
    own qasync loop (call it where no loop is running)."""
    import qasync

    from desktop.ui.application import ensure_application

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.pop("STYLESTUDIO_DATABASE_URL", None)  # never the user's library
    # never the user's keyring either (the new-style dialog asks whether a fal key is set)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    os.environ.pop("FAL_KEY", None)
    ensure_application()
    tmp = Path(tempfile.mkdtemp(prefix="stylestudio-shots-"))
    try:
        folder = tmp / "Pictures"
        folder.mkdir()

        async def run() -> list[Path]:
            return await asyncio.wait_for(capture(out_dir, tmp / "home", folder, start, stop), timeout)

        return qasync.run(run())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
