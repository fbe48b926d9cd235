"""change notifications: PostgreSQL tells listeners when library rows change (LISTEN/NOTIFY)

A trigger on the tables a window or a worker shows (jobs, their items, styles and their images,
queue pauses) sends ``pg_notify('stylestudio_changes', <table>)``; the change watcher
(desktop/jobs/watcher.py) listens instead of polling. PostgreSQL delivers a notification only
when its transaction commits, and folds identical ones of one transaction into one.

The triggers are FOR EACH ROW, not FOR EACH STATEMENT: a statement trigger fires also for an
UPDATE that matched no row, and every idle work pool runs one (its claim finds no queued job)
each time it wakes, so idle pools would wake each other through their notifications forever.
A row trigger fires only for rows really written; folding keeps it one notification per table
and transaction. Not on ``workers``: heartbeats would wake every window a few times a second.

SQLite has nothing to add (its watcher reads PRAGMA data_version).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "stylestudio_changes"
FUNCTION = "stylestudio_notify_change"
TRIGGER = "stylestudio_notify_change"
TABLES = ("jobs", "job_items", "styles", "style_images", "queue_pauses")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgres():
        return
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if not _postgres():
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
