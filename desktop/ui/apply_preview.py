"""Before/after previews of a style on one photo, computed off the GUI thread on a small proxy.

``render_proxy`` (blocking, any thread) decodes the photo once at about ``PROXY_EDGE`` pixels on
its long edge and applies the style's whole look, exactly as a batch does (``Recipe`` and
``apply_look``), at a strength; it returns ``(before, after)`` as ``QImage`` (safe to make off
the GUI thread). ``ProxyPreview`` drives it for a dialog: ``request(strength)`` may be called
on every slider step; one render runs at a time and, when it ends, only the latest strength
asked for in the meantime is rendered next (rapid changes coalesce: the latest wins).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from typing import Any

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from desktop.errors import UserError
from desktop.ui.async_utils import run_blocking, spawn

log = logging.getLogger(__name__)

PROXY_EDGE = 480

_proxies: OrderedDict[str, Image.Image] = OrderedDict()  # a few decoded proxies, by path
_proxies_lock = threading.Lock()
_PROXY_CACHE = 4


def pil_to_qimage(img: Image.Image) -> QImage:
    """An RGB copy of a Pillow image as a QImage that owns its pixels."""
    rgb = img.convert("RGB") if img.mode != "RGB" else img
    data = rgb.tobytes("raw", "RGB")
    image = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # detach from ``data``


def load_proxy(path: str, edge: int = PROXY_EDGE) -> Image.Image:
    """Blocking: the photo upright in sRGB, its long edge at most ``edge`` (cached by path).
    Raises UserError (one sentence) for a file that is not a usable image."""
    from desktop.imaging.apply import RAW_SUFFIXES
    from desktop.imaging.intake import load_image

    key = f"{edge}:{path}"
    with _proxies_lock:
        if key in _proxies:
            _proxies.move_to_end(key)
            return _proxies[key]
    if path.lower().endswith(tuple(RAW_SUFFIXES)):
        raise UserError("This photo is a camera RAW file, which Style Studio cannot read yet.")
    img = load_image(path, draft_size=(edge, edge)).image
    if max(img.size) > edge:
        img = img.copy()
        img.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    with _proxies_lock:
        _proxies[key] = img
        while len(_proxies) > _PROXY_CACHE:
            _proxies.popitem(last=False)
    return img


def render_proxy(style: Any, path: str, strength: float, edge: int = PROXY_EDGE) -> tuple[QImage, QImage]:
    """Blocking (worker thread): ``(before, after)`` of ``style`` (a ``StyleInfo``) on the photo
    at ``path``, strength 0..100, on a proxy of about ``edge`` pixels."""
    from desktop.imaging.apply import apply_look
    from desktop.pipelines.apply.recipe import recipe_for

    if style.lut_path is None or not style.lut_path.is_file():
        raise UserError("This style has no colour grade file; make the style again, then apply it.")
    proxy = load_proxy(path, edge)
    after = apply_look(proxy, recipe_for(style, min(100.0, max(0.0, float(strength)))))
    return pil_to_qimage(proxy), pil_to_qimage(after)


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
        self._task: asyncio.Task[Any] | None = None
        self.renders = 0  # how many renders ran (tests: rapid requests coalesce)
        self.shown: float | None = None  # the strength of the last image sent

    def set_source(self, style: Any, path: str | None) -> None:
        """The style (a ``StyleInfo``) and the photo to preview; clears what was shown."""
        self._style = style
        self._path = path
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
            style, path = self._style, self._path
            if style is None or not path:
                return
            try:
                before, after = await run_blocking(render_proxy, style, path, strength)
            except UserError as exc:
                self.failed.emit(str(exc))
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bug: the log has it, the dialog a sentence
                log.exception("The before/after preview of %s failed", path)
                self.failed.emit("The preview could not be made; the details are in the log file.")
                return
            self.renders += 1
            if style is self._style and path == self._path:
                self.shown = strength
                self.ready.emit(before, after, strength)

    def stop(self) -> None:
        self._wanted = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
