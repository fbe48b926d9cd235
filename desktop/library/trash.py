"""Deleting a style so that it can be brought back, and purging it for good later.

``delete_style`` marks the row deleted (``styles.deleted_at``, schema 0007): the style leaves
every list at once (the gallery, ``styles list``, apply, export, a name given to any command),
and its files stay where they are. ``restore_style`` clears the mark: the style is back exactly
as it was (files, previews, strength, name, and its place in the gallery, which is by the time
it was made). Every other window and machine on the library sees both, like any change of the
``styles`` table.

A deleted style stays restorable for ``keep_days`` (as long as the library keeps finished jobs,
Settings › Jobs, and at least a day); ``purge_expired`` then removes its row and files
(``Library.delete``), and ``stylestudio styles delete --now`` does so at once.

Blocking (database and disk): never on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from desktop.db.models import Style
from desktop.errors import UserError
from desktop.library.reading import Library

log = logging.getLogger(__name__)

MIN_KEEP_DAYS = 1.0  # a deleted style is restorable for at least this long
DAY = 86400.0


def keep_days(retention_days: float) -> float:
    """How many days a deleted style stays restorable: as long as the library keeps finished
    jobs (``Settings.retention_days``, 7 by default), at least ``MIN_KEEP_DAYS``."""
    return max(float(retention_days), MIN_KEEP_DAYS)


@dataclass(frozen=True)
class DeletedStyle:
    id: int
    name: str
    deleted_at: float  # Unix seconds
    until: float  # restorable until then (Unix seconds); purged after


def delete_style(db: Any, style_id: int, *, days: float, now: float | None = None) -> DeletedStyle:
    """Delete style ``style_id`` so that ``restore_style`` can bring it back for ``days``
    days. Raises UserError when there is no such style in the library."""
    when = time.time() if now is None else now
    with db.write_session() as s:
        row = s.scalar(select(Style).where(Style.id == style_id).with_for_update())
        if row is None or row.deleted_at is not None:
            raise UserError(f"There is no style {style_id}; 'stylestudio styles list' shows the styles there are.")
        row.deleted_at = when
        name = row.name
    log.info("Deleted style %d (%s); restorable for %.0f day(s)", style_id, name, days)
    return DeletedStyle(style_id, name, when, when + days * DAY)


def restore_style(db: Any, style_id: int) -> str:
    """Bring deleted style ``style_id`` back into the library; returns its name. Raises
    UserError when it is not deleted, or was purged."""
    with db.write_session() as s:
        row = s.scalar(select(Style).where(Style.id == style_id).with_for_update())
        if row is None:
            raise UserError(f"Style {style_id} was deleted for good (its files are gone); it cannot be restored.")
        name = row.name
        if row.deleted_at is None:
            raise UserError(f"Style {style_id} is not deleted: it is in the library.")
        row.deleted_at = None
    log.info("Restored style %d (%s)", style_id, name)
    return name


def purge_expired(library: Library, *, days: float, now: float | None = None) -> list[int]:
    """Remove for good (rows and files) the styles deleted more than ``days`` days ago; returns
    their ids. A style restored meanwhile stays. Problems are logged, never raised: a purge
    runs at start-up and must not stop it."""
    before = (time.time() if now is None else now) - days * DAY
    with library.db.read_session() as s:
        due = list(s.scalars(select(Style.id).where(Style.deleted_at.is_not(None), Style.deleted_at < before).order_by(Style.id)))
    purged = []
    for style_id in due:
        try:
            if library.delete(style_id, deleted_before=before):
                purged.append(style_id)
        except UserError as exc:  # gone meanwhile, or its folder led outside (the row is gone then)
            log.warning("Purging deleted style %d: %s", style_id, exc)
    if purged:
        log.info("Purged %d style(s) deleted more than %.0f day(s) ago", len(purged), days)
    return purged
