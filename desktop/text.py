"""Text that came from elsewhere (a file name, a ``.cube`` TITLE, a pack's style name) made safe
to store and to show.

``clean_name`` is applied at the door, before a name is stored: control characters (ESC, BEL,
the C1 range...), Unicode format characters such as right-to-left overrides, and line or
paragraph separators are removed, whitespace runs become one space, and the name is cut to
``limit`` characters. ``printable`` is for output: whatever a stored text holds (older rows,
names written by other programs), a terminal gets no control character from it, only a visible
escape (``\\x1b``). ``shown_path`` shows a path whose name is not valid UTF-8 with its odd bytes
escaped (``bad\\xff.jpg``), while the path itself stays byte for byte what the disk holds.
"""

from __future__ import annotations

import os
import unicodedata

_KEEP_FORMAT = {"\u200c", "\u200d"}  # zero-width (non-)joiners: part of emoji and some scripts


def _unsafe(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if cat == "Cf":
        return ch not in _KEEP_FORMAT
    return cat in ("Cc", "Zl", "Zp", "Cs", "Co", "Cn") and ch not in "\t\n\r"


def clean_name(text: str, limit: int = 200) -> str:
    """``text`` without control, format or unassigned characters, its whitespace collapsed,
    at most ``limit`` characters; may be empty (the caller picks a default then)."""
    kept = "".join(" " if ch in "\t\n\r" else ch for ch in str(text) if not _unsafe(ch))
    return " ".join(kept.split())[:limit].strip()


def printable(text: object) -> str:
    """``text`` for a terminal or a log line: every control or format character (and an
    undecodable byte kept as a surrogate) becomes a visible escape; newlines and tabs too."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _unsafe(ch) or ch in "\t\n\r":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path for a sentence: as the disk names it, odd bytes and control characters escaped."""
    return printable(os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path))
