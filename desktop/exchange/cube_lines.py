"""The lines of a ``.cube`` file, read in bounded pieces whatever the file holds.

A ``.cube`` line is a keyword or three numbers: a few dozen characters. ``line_chunks`` reads
the file in blocks of ``BLOCK_BYTES`` and hands out lists of lines (without their line ends;
``\\r\\n`` and a lone ``\\r`` end a line too), so memory stays a few blocks however the file is
made: a line longer than ``MAX_LINE_CHARS`` is refused as soon as it is seen (a 400 MB file of
one line never becomes one 400 MB string).

Text is UTF-8 (a byte order mark is skipped) or, with its byte order mark, UTF-16; bytes that
do not decode become U+FFFD (and so fail as "not three numbers"). A file with NUL bytes and no
UTF-16 byte order mark is binary; ``encoding_problem`` says which.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO

BLOCK_BYTES = 1024 * 1024
MAX_LINE_CHARS = 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, None),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class LineTooLong(Exception):
    """Line ``line_no`` (from 1) is longer than ``MAX_LINE_CHARS``."""

    def __init__(self, line_no: int) -> None:
        super().__init__(line_no)
        self.line_no = line_no


def encoding_of(head: bytes) -> tuple[str | None, int, str | None]:
    """(codec, bytes of byte order mark to skip, problem) for a file starting with ``head``:
    problem is a phrase ("it is a binary file, ...") when the file is not text we read."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if codec is None:
                return None, 0, "it is UTF-32 text; save it as UTF-8 (or plain ASCII) text"
            return codec, len(bom), None
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if head and (odd.count(0) > 0.4 * len(odd) or even.count(0) > 0.4 * len(even)) and head.count(0) < 0.6 * len(head):
            return None, 0, "it is UTF-16 text without a byte order mark; save it as UTF-8 (or plain ASCII) text"
        return None, 0, "it is a binary file, not a text .cube table"
    return "utf-8", 0, None


def line_chunks(raw: IO[bytes], codec: str, skip: int) -> Iterator[list[str]]:
    """Lists of lines (line ends removed), at most about ``BLOCK_BYTES`` of text each. Raises
    ``LineTooLong`` for a line over ``MAX_LINE_CHARS`` characters, at the latest one block
    after it began."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    if skip:
        raw.read(skip)
    carry = ""
    line_no = 0  # lines handed out so far
    while True:
        block = raw.read(BLOCK_BYTES)
        text = carry + decoder.decode(block, final=not block)
        if block and text.endswith("\r"):  # maybe the first half of \r\n: wait for the rest
            text, carry_cr = text[:-1], "\r"
        else:
            carry_cr = ""
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        carry = (lines.pop() if block else "") + carry_cr
        if not block and lines and lines[-1] == "" and len(lines) > 1:
            lines.pop()  # the file's last line end
        for i, line in enumerate(lines):
            if len(line) > MAX_LINE_CHARS:
                raise LineTooLong(line_no + i + 1)
        if len(carry) > MAX_LINE_CHARS:
            raise LineTooLong(line_no + len(lines) + 1)
        if lines:
            line_no += len(lines)
            yield lines
        if not block:
            return
