"""deleted styles: styles.deleted_at, so a delete can be undone

Deleting a style sets ``deleted_at`` (Unix seconds) instead of removing its row and files: the
style disappears from every list, and ``stylestudio styles restore`` (or the window's Undo)
brings it back whole. Its row and files are removed once it has been deleted for longer than
the library keeps deleted styles (desktop/library/trash.py), or at once with ``--now``.

Existing styles get NULL (not deleted). The index serves the purge ("deleted before ...").
The change-notification triggers of 0005 already fire on an UPDATE of ``styles``.

Revision ID: 0007_trash28
Revises: 0006
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007_trash28"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.Float(), nullable=True))
        batch_op.create_index("ix_styles_deleted", ["deleted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.drop_index("ix_styles_deleted")
        batch_op.drop_column("deleted_at")
