"""one style per job: a unique index on styles.job_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00

Libraries made before this revision may already hold two styles for one job (a job run again
after a crash between the style's commit and the job's end). Both styles are kept; the later
ones are unlinked from the job (job_id NULL) so the index can be made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE styles SET job_id = NULL WHERE job_id IS NOT NULL AND id NOT IN"
            " (SELECT min_id FROM (SELECT MIN(id) AS min_id FROM styles"
            " WHERE job_id IS NOT NULL GROUP BY job_id) AS firsts)"
        )
    )
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.create_index("ux_styles_job_id", ["job_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("styles", schema=None) as batch_op:
        batch_op.drop_index("ux_styles_job_id")
