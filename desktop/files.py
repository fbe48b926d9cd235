"""Writing a file that appears whole or not at all, and only where it was meant to go.

Every file Style Studio writes (styled photos, packs, LUTs, previews, thumbnails, ``.cube``
files) goes through ``OutputFile``:

* the bytes go to a temporary file in the target's folder whose name is unpredictable (random)
  and which is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``: a file or symbolic link planted
  at a guessable name is never followed, opened or overwritten;
* the writer handed out has no ``fileno``, so encoders (Pillow's among them) write through
  Python's buffered writer, which retries partial writes and raises on errors; the furthest
  byte written is remembered;
* ``commit`` flushes, ``fsync``s and checks that the size on disk is the size written: a short
  write on a nearly full disk is a ``DiskFullError``, never a cut-off file with a final name;
  only then is the file linked into place (never over an existing file unless asked) and the
  folder synced;
* on any error, cancel or ``discard`` the temporary file is removed.
"""

from __future__ import annotations

import errno
import io
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from desktop.config import DiskFullError, disk_full_error, is_disk_full
from desktop.errors import UserError

TEMP_MARK = ".stylestudio-"
TEMP_SUFFIX = ".part"
NAME_MAX = 255  # bytes in one path component (ext4, APFS, NTFS in UTF-16 units)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def name_bytes(name: str) -> int:
    """How many bytes ``name`` takes on disk (undecodable bytes kept as they were)."""
    return len(os.fsencode(name))


def fit_name(stem: str, suffix: str = "", limit: int = NAME_MAX) -> str:
    """``stem + suffix`` cut (at a character, never inside one) so the name fits ``limit`` bytes."""
    room = limit - name_bytes(suffix)
    if room <= 0:
        raise ValueError("the suffix alone is too long")
    while name_bytes(stem) > room:
        stem = stem[:-1]
    return stem + suffix


def temp_path(folder: Path, prefix: str = "") -> Path:
    """A new, unpredictable temporary name in ``folder``: ``.<prefix>.stylestudio-<random>.part``
    (``prefix`` cut to fit)."""
    token = secrets.token_hex(8)
    tail = f"{TEMP_MARK}{token}{TEMP_SUFFIX}"
    head = fit_name("." + prefix.lstrip(".") if prefix else "", "", NAME_MAX - name_bytes(tail))
    return folder / f"{head}{tail}"


def is_temp_name(name: str) -> bool:
    return TEMP_MARK in name and name.endswith(TEMP_SUFFIX)


def create_exclusive(path: Path, mode: int = 0o600) -> int:
    """Create ``path`` for writing; fails when anything (a file, a link) is there already."""
    return os.open(path, _FLAGS, mode)


class _Counted(io.RawIOBase):
    """A raw file over ``fd`` that remembers the furthest byte written and has no ``fileno``
    (so encoders write through Python, which handles short writes)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.pos = 0
        self.high = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        n = os.write(self.fd, data)
        self.pos += n
        self.high = max(self.high, self.pos)
        return n

    def readinto(self, buffer: Any) -> int:
        data = os.read(self.fd, len(buffer))
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.pos = os.lseek(self.fd, offset, whence)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def truncate(self, size: int | None = None) -> int:
        size = self.pos if size is None else size
        os.ftruncate(self.fd, size)
        self.high = size
        return size

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def close(self) -> None:  # the fd belongs to OutputFile
        super().close()


class OutputFile:
    """One file being written: ``with OutputFile(final) as out: out.file.write(...); out.commit()``.

    ``overwrite``: ``commit`` replaces an existing ``final`` (else it refuses, see
    ``TargetExists``). ``mode``: the permissions asked for (the umask applies): 0o600 for the
    library's own files, 0o666 for what a person exports or styles. ``prefix`` starts the
    temporary name (after a dot), so a folder's owner can tell whose it is."""

    def __init__(
        self,
        final: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        mode: int = 0o600,
        prefix: str = "",
        temp: str | os.PathLike[str] | None = None,
    ) -> None:
        self.final = Path(final)
        self.overwrite = overwrite
        # ``temp``: a temporary name chosen by the caller (a batch names its own, see
        # ``seal``); created exclusively all the same, never followed
        self.fixed_temp = temp is not None
        self.temp = Path(temp) if temp is not None else temp_path(self.final.parent, prefix or self.final.name)
        self._fd: int | None = None
        self._raw: _Counted | None = None
        self.file: IO[bytes] = None  # type: ignore[assignment]
        self.committed = False
        self.mode = mode

    def open(self) -> OutputFile:
        for _ in range(5):
            try:
                self._fd = create_exclusive(self.temp, self.mode)
                break
            except FileExistsError:  # astronomically unlikely with a random name: take another
                if self.fixed_temp:
                    raise
                self.temp = temp_path(self.final.parent, self.final.name)
        else:  # pragma: no cover
            raise UserError(f"No temporary name was free in {self.final.parent}; clean the folder and try again.")
        self._raw = _Counted(self._fd)
        self.file = io.BufferedRandom(self._raw, buffer_size=1 << 20)
        return self

    def __enter__(self) -> OutputFile:
        return self.open()

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if not self.committed:
            self.discard()
        if exc is not None:
            full = as_disk_full(exc, self.final.parent)
            if full is not exc:  # a write failed because the disk is full: say so
                raise full from exc

    @property
    def size(self) -> int:
        return self._raw.high if self._raw is not None else 0

    def _sync(self) -> None:
        assert self._fd is not None and self._raw is not None
        self.file.flush()
        os.fsync(self._fd)
        on_disk = os.fstat(self._fd).st_size
        if on_disk != self._raw.high:
            raise OSError(errno.ENOSPC, f"only {on_disk} of {self._raw.high} bytes reached the disk")

    def commit(self) -> Path:
        """Flush, sync and check the file, then give it its final name; returns it. Raises
        ``DiskFullError`` (nothing left behind) when the disk could not take it all, and
        ``TargetExists`` when ``final`` appeared meanwhile (without ``overwrite``)."""
        with self._discarded_on_failure():
            self._sync()
            self._close_fd()
            place(self.temp, self.final, overwrite=self.overwrite)
            sync_folder(self.final.parent)
        self.committed = True
        return self.final

    def seal(self) -> Path:
        """Flush, sync and check the temporary file and close it, but leave it under its
        temporary name (for a caller that gives it its name later, like a batch that reserves
        names in its table first); returns the temporary path. Raises like ``commit``."""
        with self._discarded_on_failure():
            self._sync()
            self._close_fd()
        self.committed = True
        return self.temp

    @contextmanager
    def _discarded_on_failure(self) -> Iterator[None]:
        """What ``commit`` and ``seal`` do when a step fails: the temporary file is removed and
        the error raised (as the disk-full sentence when it means that)."""
        try:
            yield
        except BaseException as exc:
            self.discard()
            raise as_disk_full(exc, self.final.parent) from exc

    def _close_fd(self) -> None:
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def discard(self) -> None:
        """Close and remove the temporary file (what a failure or a cancel leaves)."""
        self._close_fd()
        try:
            os.unlink(self.temp)
        except OSError:
            pass


class TargetExists(UserError):
    """The final name was taken while the file was being written."""


def place(temp: Path, final: Path, *, overwrite: bool = False) -> None:
    """Give ``temp`` the name ``final``. Without ``overwrite`` never over an existing name (a
    hard link fails when the name exists; where links are not supported, the name is checked
    just before the rename); raises ``TargetExists``."""
    if overwrite:
        os.replace(temp, final)
        return
    try:
        os.link(temp, final, follow_symlinks=False)
    except FileExistsError:
        raise TargetExists(f"{final} appeared while it was being written; choose another name, or delete it first.") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG):
            raise
        if os.path.lexists(final):  # no hard links here (FAT, some network shares)
            raise TargetExists(f"{final} appeared while it was being written; choose another name, or delete it first.") from None
        os.replace(temp, final)
        return
    os.unlink(temp)


def sync_folder(folder: Path) -> None:
    """Make a new name in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def as_disk_full(exc: BaseException, folder: Path) -> BaseException:
    """``exc``, or the one disk-full sentence when it means the disk is full."""
    if isinstance(exc, DiskFullError) or not isinstance(exc, OSError):
        return exc
    if is_disk_full(exc):
        return DiskFullError(f"The disk holding {folder} is full; free some space and try again.")
    return disk_full_error(folder, exc) or exc


def write_output(
    final: str | os.PathLike[str],
    content: bytes | Callable[[IO[bytes]], Any],
    *,
    overwrite: bool = False,
    mode: int = 0o600,
    prefix: str = "",
) -> Path:
    """Write ``content`` (bytes, or a function that writes to the file it is given) to
    ``final`` through an ``OutputFile``; returns the final path."""
    with OutputFile(final, overwrite=overwrite, mode=mode, prefix=prefix) as out:
        if isinstance(content, bytes | bytearray | memoryview):
            out.file.write(content)
        else:
            content(out.file)
        return out.commit()


def save_image(img: Any, final: str | os.PathLike[str], fmt: str, *, overwrite: bool = False, mode: int = 0o600, **params: Any) -> Path:
    """``img.save`` (Pillow) into ``final`` through an ``OutputFile``."""
    return write_output(final, lambda fh: img.save(fh, fmt, **params), overwrite=overwrite, mode=mode)
