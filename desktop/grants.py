"""Proof that a person asked for a job's file access: grants signed with the library's key.

A job reads and writes files outside the library (the photos of a batch and its output folder,
an export's target, a file to import) only when its front door (the window or the command line)
checked that a person asked for exactly that. The front door signs what it checked with the
library's key, a random secret in the library folder (``library.key``, readable only by its
owner), and puts the signature in the payload as ``grant``; the job checks it before it opens
anything. A payload written by hand (``jobs enqueue``) or put in a shared database by someone
who can queue jobs but cannot read the library folder carries no valid grant and is refused:
it can neither overwrite a file nor read one.

The key also names the library (``library_id``): temporary files a library's jobs leave in a
folder shared with another library carry it, so each cleans up only its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from desktop.errors import UserError

KEY_FILE = "library.key"
_KEY_BYTES = 32
_cache: dict[str, bytes] = {}


class NotGranted(UserError):
    """A payload asks for file access no front door signed."""


def _read_key(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            text = fh.read(4 * _KEY_BYTES).strip()
    except FileNotFoundError:
        return None
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != _KEY_BYTES:
        raise UserError(f"The library's key file {path} is damaged; move it away (Style Studio makes a new one) and queue the work again.")
    return key


def library_key(library: str | os.PathLike[str]) -> bytes:
    """The library folder's key, made on first use (by whichever process comes first)."""
    folder = Path(library)
    path = folder / KEY_FILE
    cached = _cache.get(str(path))
    if cached is not None:
        return cached
    key = _read_key(path)
    if key is None:
        temp = folder / f".{KEY_FILE}.{secrets.token_hex(8)}.part"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_hex(_KEY_BYTES).encode("ascii") + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(temp, path)  # never over a key another process made meanwhile
            except FileExistsError:
                pass
        except OSError as exc:
            raise UserError(
                f"The library folder {folder} cannot be written ({exc.strerror or exc}); check that it is mounted for writing."
            ) from exc
        finally:
            try:
                os.unlink(temp)
            except OSError:
                pass
        key = _read_key(path)
        assert key is not None
    _cache[str(path)] = key
    return key


def library_id(library: str | os.PathLike[str]) -> str:
    """A short name for this library (shared by every machine that shares its folder)."""
    return hashlib.sha256(b"stylestudio-library-id\n" + library_key(library)).hexdigest()[:12]


def _message(purpose: str, fields: dict[str, Any]) -> bytes:
    return json.dumps({"purpose": purpose, **fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign(library: str | os.PathLike[str], purpose: str, **fields: Any) -> str:
    """The grant for ``purpose`` with exactly ``fields`` (JSON values), as hex."""
    return hmac.new(library_key(library), _message(purpose, fields), hashlib.sha256).hexdigest()


def is_granted(library: str | os.PathLike[str], token: object, purpose: str, **fields: Any) -> bool:
    if not isinstance(token, str) or len(token) != 64:
        return False
    return hmac.compare_digest(token, sign(library, purpose, **fields))


def digest(items: list[str]) -> str:
    """A short stand-in for a long list (a batch's photos) inside a grant."""
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode("utf-8", "surrogateescape") + b"\x00")
    return h.hexdigest()


def well_formed(token: object) -> bool:
    """What a payload's ``grant`` must look like before it is checked (64 hex digits)."""
    return isinstance(token, str) and len(token) == 64 and all(c in "0123456789abcdef" for c in token)
