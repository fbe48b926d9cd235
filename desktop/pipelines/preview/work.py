"""What runs in the worker processes for a preview: decode a small copy of the photo (a
*proxy*, cached per worker by path and size), render the style on it and encode both as PNG.

Two renders, as the window has always shown them:
- ``render_look_pair``: the style's whole look rebuilt from its stored ``params`` at a strength
  (``render_look``: its grade at that strength, then its effects), the detail pane's live
  strength preview;
- ``render_applied_pair``: the style exactly as a batch applies it (the ``.cube`` file and its
  effects at a strength, ``recipe_for`` and ``apply_look``), the apply dialog's before/after.

A refusal leaves the worker as a plain ``UserError`` (its one sentence), so it always pickles.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Any

from PIL import Image

from desktop.errors import UserError

PROXY_CACHE = 4  # proxies kept per worker (the latest photos previewed)

_proxies: OrderedDict[str, Image.Image] = OrderedDict()
_proxies_lock = threading.Lock()


def _cached(key: str) -> Image.Image | None:
    with _proxies_lock:
        if key in _proxies:
            _proxies.move_to_end(key)
            return _proxies[key]
    return None


def _keep(key: str, img: Image.Image) -> Image.Image:
    with _proxies_lock:
        _proxies[key] = img
        while len(_proxies) > PROXY_CACHE:
            _proxies.popitem(last=False)
    return img


def look_proxy(path: str, edge: int) -> Image.Image:
    """The photo at ``edge`` long edge (RGB, sRGB), resized as the generator resizes, so the
    pixels match a style's previews."""
    from desktop.imaging.intake import load_image
    from desktop.pipelines.strength.work import fit_long_edge

    key = f"look:{edge}:{path}"
    img = _cached(key)
    if img is None:
        img = load_image(path, draft_size=(edge * 2, edge * 2)).image.convert("RGB")
        img = _keep(key, fit_long_edge(img, edge) if max(img.size) > edge else img)
    return img


def applied_proxy(path: str, edge: int) -> Image.Image:
    """The photo upright in sRGB, its long edge at most ``edge``. Raises UserError (one
    sentence) for a file that is not a usable image."""
    from desktop.imaging.intake import load_image

    key = f"{edge}:{path}"
    img = _cached(key)
    if img is not None:
        return img
    img = load_image(path, draft_size=(edge, edge)).image
    if max(img.size) > edge:
        img = img.copy()
        img.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return _keep(key, img)


def png_bytes(img: Image.Image) -> bytes:
    """``img`` as RGB PNG bytes (quick to write: the window decodes them at once)."""
    rgb = img.convert("RGB") if img.mode != "RGB" else img
    out = io.BytesIO()
    rgb.save(out, "PNG", compress_level=1)
    return out.getvalue()


def render_look_pair(params: dict[str, Any], path: str, strength: int, edge: int) -> tuple[bytes, bytes]:
    """(before, after) PNGs of a style's whole look (``params``) at ``strength`` (0..100) on
    the photo at ``path``. A photo that cannot be read raises UserError."""
    from desktop.imaging.apply import render_look

    try:
        proxy = look_proxy(path, edge)
    except Exception as exc:  # noqa: BLE001 - any unreadable photo: the preview says so
        raise UserError(f"The photo for this preview could not be read ({type(exc).__name__}: {exc}).") from None
    after = render_look(proxy, params, strength=strength, seed=int(params.get("seed") or 0))
    return png_bytes(proxy), png_bytes(after)


def render_applied_pair(style: Any, path: str, strength: float, edge: int) -> tuple[bytes, bytes]:
    """(before, after) PNGs of ``style`` (a ``StyleInfo``) as a batch applies it, strength
    0..100, on the photo at ``path``."""
    from desktop.imaging.apply import apply_look
    from desktop.pipelines.apply.recipe import recipe_for

    if style.lut_path is None or not style.lut_path.is_file():
        raise UserError("This style has no colour grade file; make the style again, then apply it.")
    try:
        proxy = applied_proxy(path, edge)
        after = apply_look(proxy, recipe_for(style, min(100.0, max(0.0, float(strength)))))
    except UserError as exc:
        raise UserError(str(exc)) from None  # (a subclass of its own may not pickle)
    return png_bytes(proxy), png_bytes(after)
