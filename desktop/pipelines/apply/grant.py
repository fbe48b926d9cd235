"""Proof that a person asked for a batch: the front door (``enqueue_apply``, called by the apply
dialog and ``stylestudio apply``) signs what it checked (``desktop.grants``): the whole payload
(the style, the output folder as stored, the options) and the list of photos as the items store
them (``grants.digest``). The handler and every assistant check it before a photo is opened or
a folder made; a payload written by hand (``jobs enqueue``), or a batch whose photos or output
folder were changed in the database, is refused in one sentence and touches nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from desktop import grants

PURPOSE = "apply"
REFUSED = (
    "This batch was not queued by 'stylestudio apply' or the Apply dialog of this library, or its photos or output "
    "folder were changed since, so Style Studio did not open or write any file; start it again from there."
)


def _fields(payload: dict[str, Any], inputs: Sequence[str]) -> dict[str, Any]:
    return {"payload": {k: v for k, v in payload.items() if k != "grant"}, "inputs": grants.digest(list(inputs))}


def sign_batch(library: str | os.PathLike[str], payload: dict[str, Any], inputs: Sequence[str]) -> str:
    """The grant for this payload and these stored inputs (in order)."""
    return grants.sign(library, PURPOSE, **_fields(payload, inputs))


def check_batch(library: str | os.PathLike[str], payload: dict[str, Any], inputs: Sequence[str]) -> None:
    """Raise ``grants.NotGranted`` (one sentence) unless the payload's grant covers exactly this
    payload and these inputs."""
    if not grants.is_granted(library, payload.get("grant"), PURPOSE, **_fields(payload, inputs)):
        raise grants.NotGranted(REFUSED)
