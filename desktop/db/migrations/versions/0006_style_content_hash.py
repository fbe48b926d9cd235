"""style content hash: styles.content_hash with a unique index

An imported style records the content hash its pack gave it (the SHA-256 of its .cube's and
previews' hashes, see desktop/exchange/pack.py), and the unique index lets only one of two
imports of the same pack at once commit each style: the other finds it and skips it.

Existing styles keep NULL (NULLs may repeat): the hash is of files in the library folder, which
a migration cannot always see (on PostgreSQL it runs on whichever machine opens the library
first, maybe with the folder mounted elsewhere or not at all). An import still recognises them
from their files, as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ux_styles_content_hash", ["content_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.drop_index("ux_styles_content_hash")
        batch_op.drop_column("content_hash")
