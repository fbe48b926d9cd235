"""How an item's input and output paths are stored: losslessly, whatever bytes a file name holds.

On POSIX a file name is bytes; Python gives a name that is not valid UTF-8 as text holding
"surrogate escapes" (``bad\\udcff.jpg`` for the byte 0xff). Neither SQLite nor PostgreSQL text
can hold those, so such a path is stored in a form no stored path has otherwise: ``\\fs:``, then
the path with each backslash doubled and each odd byte written ``\\xff`` (any other lone
surrogate ``\\udxxx``). A stored path is either absolute (``/...``, or a drive on Windows) or
relative to the library folder, which never holds a backslash (``config.is_library_relative``),
so the mark cannot be mistaken; a path that happens to start with the mark is encoded as well,
so reading is always exact. Everything else is stored as it is.
"""

from __future__ import annotations

MARK = "\\fs:"


def _needs_escape(text: str) -> bool:
    if text.startswith(MARK):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def to_stored(path: str | None) -> str | None:
    """``path`` as a text column can hold it (None stays None)."""
    if path is None or not _needs_escape(path):
        return path
    out = [MARK]
    for ch in path:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # any other lone surrogate (a Windows name)
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def from_stored(text: str | None) -> str | None:
    """The path ``to_stored`` stored (None stays None; anything without the mark as it is)."""
    if text is None or not text.startswith(MARK):
        return text
    body = text[len(MARK) :]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        kind = body[i + 1 : i + 2]
        if kind == "\\":
            out.append("\\")
            i += 2
        elif kind == "x" and _is_hex(body[i + 2 : i + 4], 2):
            out.append(chr(0xDC00 + int(body[i + 2 : i + 4], 16)))
            i += 4
        elif kind == "u" and _is_hex(body[i + 2 : i + 6], 4):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:  # not written by to_stored: kept as it is
            out.append(ch)
            i += 1
    return "".join(out)


def storable(text: str) -> str:
    """A sentence a text column can hold: a lone surrogate (an odd byte of a file name it
    quotes) written as a visible escape (``\\xff``), like ``desktop.text.printable`` does."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _is_hex(text: str, n: int) -> bool:
    return len(text) == n and all(c in "0123456789abcdefABCDEF" for c in text)
