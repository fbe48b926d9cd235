"""Who runs a job: an owner is ``host:pid:token``, one per engine, written on the rows and items
it holds. Whether an owner is gone (a process of this machine that is no longer there, or an
engine of this process that was closed) decides what recovery may take back at once; an owner
on another machine is only known gone when its lease runs out."""

from __future__ import annotations

import os
import socket
import uuid

HOSTNAME = socket.gethostname()
# Owners of engines alive in this process: a 'running' row of this pid whose owner is not here
# was left by an earlier engine of this process that is gone.
_live: set[str] = set()


def new_owner() -> str:
    """A fresh owner of this process, alive until ``owner_closed``."""
    owner = f"{HOSTNAME}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _live.add(owner)
    return owner


def owner_closed(owner: str) -> None:
    """The engine of ``owner`` was closed: its rows are a dead owner's from now on."""
    _live.discard(owner)


def owner_is_dead(owner: str | None) -> bool:
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != HOSTNAME or not pid_text.isdigit():
        return False  # another machine: only its lease can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return owner not in _live
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
