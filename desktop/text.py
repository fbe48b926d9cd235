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
import re
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


NAME_FROM_WORDS = 40  # characters at most of a name made from a description
# words a name made by cutting a description should not end on ("Warm film look with")
_CONNECTORS = frozenset(
    "a an and as at but by for from in into like of on or plus the to under with without".split()
)
_CLAUSE_END = re.compile(r"[,;:.!?()\[\]]")


def name_from_words(description: str, limit: int = NAME_FROM_WORDS) -> str:
    """A short name made from a description: its first clause, cut at a word (before a last
    "with", "and", ... when it had to be cut) to at most ``limit`` characters, first letter in
    capitals, never an ellipsis; "" when no word is left (the caller picks a default)."""
    text = clean_name(description, limit=len(description))
    clause = _CLAUSE_END.split(text, maxsplit=1)[0].strip() or text
    words = clause.split()
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    if not kept:  # one word longer than the limit
        kept = [words[0][:limit]] if words else []
    elif len(kept) < len(words):
        cut = max((i for i, w in enumerate(kept) if w.lower() in _CONNECTORS and i >= 2), default=None)
        kept = kept[:cut] if cut is not None else kept
        while len(kept) > 1 and kept[-1].lower() in _CONNECTORS:
            kept.pop()
    name = " ".join(kept).strip(" -")
    return name[:1].upper() + name[1:]


_FILE_CHARS = frozenset(" -_,()'&+")
_RESERVED_STEMS = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))})


def file_stem(name: str, fallback: str, limit: int = 80) -> str:
    """A readable file or folder name made from a style's name: letters and digits of any
    script, spaces and ``-_,()'&+`` kept, anything else (slashes, dots, quotes, control
    characters) dropped, cut at a word to ``limit`` characters; ``fallback`` when nothing is
    left or the name is one Windows keeps for itself."""
    kept = "".join(ch if ch.isalnum() or ch in _FILE_CHARS else " " for ch in clean_name(name, limit=len(name)))
    stem = " ".join(kept.split()).strip(" -,")
    if len(stem) > limit:
        cut = stem[: limit + 1].rsplit(" ", 1)[0]
        stem = (cut if len(cut) >= limit // 2 else stem[:limit]).strip(" -,")
    return fallback if not stem or stem.lower() in _RESERVED_STEMS else stem
