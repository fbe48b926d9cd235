"""Before/after previews of a style on one photo, for the apply dialog, rendered in the worker
processes on a small proxy.

``desktop.pipelines.preview.request.render_style_preview(..., applied=True)`` decodes the photo
once (cached per worker) at about ``PROXY_EDGE`` pixels on its long edge and applies the
style's whole look, exactly as a batch does, at a strength; the PNG pair it returns is decoded
into ``QImage`` on a worker thread. ``ProxyPreview`` drives it for a dialog:
``set_edge`` switches to the photo's full size for the dialog's 1:1 zoom.
``request(strength)`` may be called on every slider step; one render runs at a time and, when
it ends, only the latest strength asked for in the meantime is rendered next (rapid changes
coalesce: the latest wins).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from desktop.errors import UserError
from desktop.pipelines.preview.request import render_style_preview
from desktop.text import shown_path
from desktop.ui.async_utils import run_blocking, spawn
from desktop.ui.before_after import decode_pair

log = logging.getLogger(__name__)

PROXY_EDGE = 480
FULL_EDGE = 4096  # the 1:1 zoom: the photo at its own size, up to this long edge


async def render_applied(style: Any, path: str, strength: float, edge: int = PROXY_EDGE) -> tuple[QImage, QImage]:
    """``(before, after)`` of ``style`` (a ``StyleInfo``) on the photo at ``path`` as a batch
    applies it, strength 0..100, on a proxy of about ``edge`` pixels (rendered in a worker
    process; started and decoded on worker threads)."""
    future = await run_blocking(render_style_preview, style, path, strength, edge, applied=True)
    pngs = await asyncio.wrap_future(future)
    return await run_blocking(decode_pair, pngs)


class ProxyPreview(QObject):
    """Renders before/after for one style and photo whenever the strength changes, off the GUI
    thread, one render at a time, the latest request winning."""

    ready = Signal(QImage, QImage, float)  # before, after, the strength it shows
    failed = Signal(str)  # a sentence for a person

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._style: Any = None
        self._path: str | None = None
        self._wanted: float | None = None
        self.edge = PROXY_EDGE
        self._task: asyncio.Task[Any] | None = None
        self.renders = 0  # how many renders ran (tests: rapid requests coalesce)
        self.shown: float | None = None  # the strength of the last image sent

    def set_source(self, style: Any, path: str | None) -> None:
        """The style (a ``StyleInfo``) and the photo to preview; clears what was shown."""
        self._style = style
        self._path = path
        self.shown = None

    def set_edge(self, edge: int) -> None:
        """The long edge to render at (``PROXY_EDGE``, or ``FULL_EDGE`` for the 1:1 zoom); a
        render still running at the other size is not shown."""
        self.edge = edge
        self.shown = None

    def source_path(self) -> str | None:
        return self._path

    def request(self, strength: float) -> None:
        if self._style is None or not self._path:
            return
        self._wanted = float(strength)
        if self._task is None or self._task.done():
            self._task = spawn(self._pump(), name="apply-preview")

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _pump(self) -> None:
        while self._wanted is not None:
            strength, self._wanted = self._wanted, None
            style, path, edge = self._style, self._path, self.edge
            if style is None or not path:
                return
            try:
                before, after = await render_applied(style, path, strength, edge)
            except UserError as exc:
                self.failed.emit(str(exc))
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bug: the log has it, the dialog a sentence
                log.exception("The before/after preview of %s failed", shown_path(path))
                self.failed.emit("The preview could not be made; the details are in the log file.")
                return
            self.renders += 1
            if style is self._style and path == self._path and edge == self.edge:
                self.shown = strength
                self.ready.emit(before, after, strength)

    def stop(self) -> None:
        self._wanted = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
