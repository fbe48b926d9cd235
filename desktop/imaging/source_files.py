"""Opening a picture's file: once, for reading, and only when it is a regular file.

Every picture Style Studio reads from a path is opened here, once; everything read afterwards
(the header, EXIF, the alpha channel, the pixels) comes from that one descriptor, so a file
swapped for something else in the meantime changes nothing.

* The name is looked at first (``stat``): a folder, a pipe (FIFO), a device or a socket is
  refused without being opened (opening some devices does something), and so is a file over
  the size limit.
* A link a person named still works: its real path is resolved once, and that path is opened
  with ``O_NOFOLLOW``, so a link put there in between is refused, never followed.
* The open is ``O_NONBLOCK``: a FIFO or a device swapped in after the look cannot block (a
  FIFO with no writer would wait forever). ``fstat`` of the descriptor must say "regular
  file" (within the size limit) or it is refused; only then is ``O_NONBLOCK`` cleared.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from desktop.imaging.refusals import check_byte_count, not_regular, os_refusal, refuse

try:
    import fcntl
except ImportError:  # Windows: no FIFOs to block on, no fcntl
    fcntl = None  # type: ignore[assignment]

O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
READ_FLAGS = (
    os.O_RDONLY
    | O_NONBLOCK
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def open_picture(path: str | os.PathLike[str], label: str) -> BinaryIO:
    """``path`` opened for reading (binary, buffered), after the checks above; raises
    ``ImageRefused`` with one sentence (``label`` names the file in it)."""
    name = os.fspath(path)
    try:
        before = os.stat(name)
    except OSError as exc:
        raise os_refusal(exc, label, name) from exc
    _check(before, label)
    real = os.path.realpath(name)
    try:
        fd = os.open(real, READ_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a link (Linux, BSD)
            raise refuse(
                label, "it was replaced by a link while it was being opened; choose the photo again"
            ) from exc
        if exc.errno == errno.ENXIO:  # a socket (or a device with nothing behind it)
            raise not_regular(label, stat.S_IFSOCK) from exc
        raise os_refusal(exc, label, name) from exc
    try:
        _check(os.fstat(fd), label)  # what was opened, not what the name said a moment ago
        if O_NONBLOCK and fcntl is not None:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check(st: os.stat_result, label: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(label, st.st_mode)
    check_byte_count(st.st_size, label)
