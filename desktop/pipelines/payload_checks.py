"""Checks the job types' payloads share: a whole number (never a bool), a grant of the shape a
front door signs (and the sentence refusing one that is not), and no part of a path longer than
a file name may be. A field a type does not have is refused by its payload model
(``desktop.pipelines.payload_model``)."""

from __future__ import annotations

from pathlib import Path

from desktop import grants
from desktop.errors import UserError
from desktop.files import NAME_MAX, name_bytes
from desktop.text import shown_path


def is_int(value: object) -> bool:
    """A whole number, as JSON gives it (``True`` is an int to Python, not here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def grant_refusal(kind: str) -> str:
    """The sentence for a ``style.<kind>`` payload without a grant of the shape a front door signs."""
    return (
        f"A style.{kind} payload carries the grant its front door signs; "
        f"{kind} with 'stylestudio {kind}' or the window instead of writing the payload by hand."
    )


def check_grant_shape(token: object, kind: str) -> None:
    """Refuse (one sentence) a payload's ``grant`` that is not of the shape a front door signs."""
    if not grants.well_formed(token):
        raise UserError(grant_refusal(kind))


def check_name_lengths(path: Path) -> None:
    """Refuse (one sentence) a path with a part longer than a file name may be (255 bytes)."""
    for part in path.parts:
        if name_bytes(part) > NAME_MAX:
            shown = shown_path(part)
            raise UserError(
                f"The name {shown[:60]}… is {name_bytes(part):,} bytes long, over the {NAME_MAX} a file or folder name may have; "
                "choose a shorter name."
            )
