"""A zip's central directory, sized up before ``zipfile`` reads it.

``zipfile.ZipFile`` reads the whole central directory into memory and makes an object per
entry before anyone can look at the count: a pack listing 3,000,000 entries took 1.5 GB and
23 s before it could be refused. ``check_directory`` finds the end-of-central-directory record
the way ``zipfile`` does (the last one in the final 64 KiB, and the zip64 record its locator
points to), refuses from the counts and sizes it declares, then walks the directory's fixed
headers (46 bytes each, nothing decoded) to count what is really there, all within
``MAX_DIRECTORY_BYTES``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import IO

from desktop.exchange import limits

_EOCD = struct.Struct("<4s4H2LH")  # signature, disk, cd disk, entries here, entries, cd size, cd offset, comment length
_EOCD_SIG = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")  # signature, disk of the zip64 record, its offset, disks
_LOCATOR_SIG = b"PK\x06\x07"
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # signature, size, versions, disks, entries here, entries, cd size, cd offset
_EOCD64_SIG = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # one central directory header (46 bytes)
_CENTRAL_SIG = b"PK\x01\x02"
_COMMENT_MAX = 1 << 16


class Directory:
    """What the end records declare: entries, and where the directory is (``start``, ``size``)."""

    def __init__(self, entries: int, start: int, size: int) -> None:
        self.entries = entries
        self.start = start
        self.size = size


def find_directory(fh: IO[bytes]) -> Directory | None:
    """The central directory a zip's end records declare, found as ``zipfile`` finds it; None
    when there is no end record (``zipfile`` then says it is not a zip file)."""
    fh.seek(0, 2)
    file_size = fh.tell()
    if file_size < _EOCD.size:
        return None
    fh.seek(file_size - _EOCD.size)
    data = fh.read(_EOCD.size)
    if data[:4] == _EOCD_SIG and data[-2:] == b"\0\0":
        location = file_size - _EOCD.size
    else:
        begin = max(file_size - _COMMENT_MAX - _EOCD.size, 0)
        fh.seek(begin)
        tail = fh.read()
        at = tail.rfind(_EOCD_SIG)
        if at < 0 or len(tail) - at < _EOCD.size:
            return None
        data = tail[at:at + _EOCD.size]
        location = begin + at
    _sig, _disk, _cd_disk, _here, entries, size, offset, _comment = _EOCD.unpack(data)
    start = location - size
    if location >= _LOCATOR.size + _EOCD64.size:
        fh.seek(location - _LOCATOR.size)
        locator = fh.read(_LOCATOR.size)
        if len(locator) == _LOCATOR.size and locator[:4] == _LOCATOR_SIG:
            fh.seek(location - _LOCATOR.size - _EOCD64.size)
            record = fh.read(_EOCD64.size)
            if len(record) == _EOCD64.size and record[:4] == _EOCD64_SIG:
                fields = _EOCD64.unpack(record)
                entries, size = fields[7], fields[8]
                start = location - _LOCATOR.size - _EOCD64.size - size
    del offset  # zipfile places the directory just before its end records, whatever it says
    return Directory(entries, start, size)


def count_entries(fh: IO[bytes], directory: Directory, most: int) -> int:
    """How many entry headers the directory really holds (stops counting past ``most``)."""
    if directory.start < 0:
        return 0
    fh.seek(directory.start)
    data = fh.read(directory.size)
    at = count = 0
    while at + _CENTRAL.size <= len(data) and count <= most:
        header = _CENTRAL.unpack_from(data, at)
        if header[0] != _CENTRAL_SIG:
            break  # zipfile says the directory is damaged
        name_len, extra_len, comment_len = header[12], header[13], header[14]
        at += _CENTRAL.size + name_len + extra_len + comment_len
        count += 1
    return count


def check_directory(fh: IO[bytes], bad: Callable[[str, str], Exception]) -> None:
    """Refuse (``bad(problem, fix)``) a zip whose directory lists more entries than a pack may
    have, or is bigger than a pack's could be, before ``zipfile`` reads any of it."""
    directory = find_directory(fh)
    if directory is None:
        return
    fewer = "export fewer styles per pack"
    if directory.entries > limits.MAX_ENTRIES:
        raise bad(f"it lists {directory.entries:,} entries, over the {limits.MAX_ENTRIES:,} a pack may have", fewer)
    if directory.size > limits.MAX_DIRECTORY_BYTES:
        raise bad(
            f"its list of entries takes {directory.size / 1024**2:,.0f} MB, over the {limits.MAX_DIRECTORY_BYTES // 1024**2} MB a pack's may",
            fewer,
        )
    found = count_entries(fh, directory, limits.MAX_ENTRIES)
    if found > limits.MAX_ENTRIES:
        raise bad(f"it holds over {limits.MAX_ENTRIES:,} entries, the most a pack may have", fewer)
