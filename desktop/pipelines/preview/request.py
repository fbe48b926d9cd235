"""Previews of a style for the window, the one module a widget imports for them: the pixels
are rendered in the worker processes (``desktop.jobs.processes``), never on the window's
threads, and come back as PNG bytes; reading a photo the person brings (a reference, a file
dropped to import) goes through the intake here, so no widget imports ``desktop.imaging``.

- ``render_style_preview(style, photo, strength, edge)`` starts a render and returns a
  concurrent future of ``(before, after)`` PNG bytes (await it with ``asyncio.wrap_future``);
  a refusal is a ``UserError`` with one sentence. ``applied=True`` renders the style exactly as
  a batch applies it (the apply dialog), else its whole look rebuilt at that strength (the
  detail pane's strength preview).
- ``sample_photo_for(style)``: the bundled sample photo the strength preview shows.
- ``read_thumbnail(source, name, edge)``: a picture validated by the intake, with a small RGB
  copy (the new-style dialog's reference).
- ``photo_size(path)``: the size in a picture's header, checked by the intake (a dropped PNG
  that may be a HaldCLUT).

Each function but the first is blocking: call them on a worker thread.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.pipelines.preview import work


def render_style_preview(
    style: Any, photo: str, strength: float, edge: int, *, applied: bool = False
) -> Future[tuple[bytes, bytes]]:
    """Start rendering ``style`` (a ``StyleInfo``) at ``strength`` (0..100) on a proxy of
    ``photo`` about ``edge`` pixels on its long edge, in a worker process. Returns the
    concurrent future of (before, after) PNG bytes. Blocking while the process pool starts:
    call it on a worker thread."""
    from desktop.jobs import processes

    if applied:
        pool, future = processes.submit(work.render_applied_pair, style, str(photo), float(strength), int(edge))
    else:
        pool, future = processes.submit(work.render_look_pair, dict(style.params), str(photo), int(strength), int(edge))

    def forget_broken(done: Future[Any]) -> None:  # a worker died: the next render gets a new pool
        if not done.cancelled() and isinstance(done.exception(), BrokenProcessPool):
            processes.discard_pool(pool)

    future.add_done_callback(forget_broken)
    return future


def sample_photo_for(style: Any) -> str | None:
    """Blocking: the sample photo the strength preview shows: the first of the style's sample
    previews that is not nearly black (so the preview matches a picture the pane shows, and a
    look can be judged on it)."""
    from desktop.pipelines.generate.previews import first_sample
    from desktop.pipelines.strength.sources import REFERENCE, preview_sources
    from desktop.resources import DARK_SAMPLES, sample_photos

    samples = sample_photos()
    if not samples:
        return None
    sources = preview_sources(style.params, max(1, len(style.images)), samples)
    for name in sources:
        if name != REFERENCE and name not in DARK_SAMPLES:
            for photo in samples:
                if photo.name == name:
                    return str(photo)
    return str(samples[first_sample(int(style.params.get("seed") or 0))])


@dataclass(frozen=True)
class Thumbnail:
    """A picture the intake accepted: its full size and format, and a small RGB copy."""

    size: tuple[int, int]
    format: str
    width: int
    height: int
    rgb: bytes  # width * height * 3 bytes, rows top to bottom


def read_thumbnail(source: str | bytes, name: str, edge: int) -> Thumbnail:
    """Blocking: validate a picture (a path, or a pasted image's bytes named ``name``) with the
    intake and make a copy at most ``edge`` pixels on its long edge. Raises UserError."""
    from desktop.imaging.intake import load_image

    loaded = load_image(source, draft_size=(edge, edge), name=name if isinstance(source, bytes) else None)
    image = loaded.image
    image.thumbnail((edge, edge))
    return Thumbnail(tuple(loaded.size), loaded.format, image.width, image.height, image.tobytes("raw", "RGB"))


def photo_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Blocking: (width, height) from a picture's header, as the intake checks it (raises
    UserError for a file it refuses)."""
    from desktop.imaging.intake import check_image_file

    return check_image_file(os.fspath(path), name=Path(path).name)
