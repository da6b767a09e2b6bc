"""Dispute workflow additions (owned by the disputes feature)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # Ledger (issue 3, part A): a village's or grid's disputes, newest first, without a sort step.
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.create_index("ix_dispute_village_found", ["village_id", "found_date"], unique=False)
        batch_op.create_index("ix_dispute_grid_found", ["grid_id", "found_date"], unique=False)


def downgrade():
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_index("ix_dispute_grid_found")
        batch_op.drop_index("ix_dispute_village_found")
