"""Pillow's warnings about a picture ("Corrupt EXIF data", "Metadata Warning, tag ... had too
many entries", ...) go to the log, never to a terminal.

Decoding runs inside ``decoding(label)``: a warning raised on that thread meanwhile is logged
(at INFO, with the picture's name) and not shown. ``warnings.catch_warnings`` is not used: it
swaps process-wide state and is not safe while other threads decode too; this hook is
installed once and only looks at the thread it is called on. Warnings raised outside a decode
reach the hook that was there before. ``DecompressionBombWarning`` is an error (see
``intake``), so it never gets here.

Collected warnings are also kept for the caller (``decoding`` yields a list), so a worker
process, which has no log file of its own, can hand them back to the process that has.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from desktop.text import printable

log = logging.getLogger(__name__)
_local = threading.local()
_previous = warnings.showwarning


def _show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: str | None = None) -> None:
    seen: list[str] | None = getattr(_local, "seen", None)
    if seen is None:
        _previous(message, category, filename, lineno, file, line)
        return
    text = printable(" ".join(str(message).split()))
    seen.append(text)
    log.info("%s while reading %s: %s", category.__name__, getattr(_local, "label", "a picture"), text)


if getattr(warnings.showwarning, "__module__", None) != __name__:
    warnings.showwarning = _show
    # every picture's warning, not only the first from each line of Pillow (appended: an
    # earlier filter, like the one that makes DecompressionBombWarning an error, still wins)
    warnings.filterwarnings("always", category=UserWarning, module=r"PIL(\.|$)", append=True)


@contextmanager
def decoding(label: str) -> Iterator[list[str]]:
    """Warnings raised on this thread inside the block are logged, not shown; yields the list
    they are collected in. Nested blocks share the outer one's list."""
    outer = getattr(_local, "seen", None)
    if outer is not None:
        yield outer
        return
    seen: list[str] = []
    _local.seen, _local.label = seen, label
    try:
        yield seen
    finally:
        _local.seen = _local.label = None
