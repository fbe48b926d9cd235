"""a queue shared by several machines: job priority, queue pauses, item claims, live workers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
    # the claim orders by priority, then id: the index gives that order without a sort
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", ["status", "priority", "id"], unique=False)
    with op.batch_alter_table("job_items") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.Float(), nullable=True))
    op.create_index("ix_job_items_claim", "job_items", ["job_id", "status", "position"], unique=False)
    op.create_table(
        "queue_pauses",
        sa.Column("job_type", sa.String(length=100), nullable=False),
        sa.Column("paused_at", sa.Float(), nullable=False),
        sa.Column("paused_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("job_type"),
    )
    op.create_table(
        "workers",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("owner"),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_table("queue_pauses")
    op.drop_index("ix_job_items_claim", table_name="job_items")
    with op.batch_alter_table("job_items") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("owner")
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", ["status", "id"], unique=False)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
