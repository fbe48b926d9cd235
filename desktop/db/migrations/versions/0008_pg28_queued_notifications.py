"""queued-job notifications: a job row that becomes queued notifies ``jobs.queued``

Migration 0005's trigger sends the table's name (``jobs``) for every row written. A change
watcher reports those to its process at most every 50 ms (``desktop.jobs.watcher``), so a busy
library does not flood a window; but an idle work pool then waited up to 50 ms behind its own
trailing commits (the claim and the end of the job it had just run) before it saw a job another
process had just queued. Now a ``jobs`` row written with the status ``queued`` (a new job, a
retry, a job queued again after a passing failure or a recovery, a resumed type) sends
``jobs.queued`` instead, which the watcher reports at once: an idle worker is woken by the
notification itself, not by the next poll or the end of the throttle.

Same function name, same triggers (0005's): only the function's body changes. Watchers of
older versions ignore the payload, so they go on working. SQLite has nothing to change.

Revision ID: 0008_pg28
Revises: 0007_trash28
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008_pg28"
down_revision: str | Sequence[str] | None = "0007_trash28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# NEW.status is read in an IF of its own: only the jobs table has that column, and a PL/pgSQL
# expression naming a field the row lacks fails even when an AND before it is false
QUEUED_BODY = """
CREATE OR REPLACE FUNCTION stylestudio_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'jobs' AND TG_OP <> 'DELETE' THEN
        IF NEW.status = 'queued' THEN
            PERFORM pg_notify('stylestudio_changes', 'jobs.queued');
            RETURN NULL;
        END IF;
    END IF;
    PERFORM pg_notify('stylestudio_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$
"""

TABLE_BODY = """
CREATE OR REPLACE FUNCTION stylestudio_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stylestudio_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no triggers to change
        op.execute(QUEUED_BODY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TABLE_BODY)  # 0005's body
