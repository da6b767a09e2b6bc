"""Seed the dictionaries (categories, sources, channels, risk levels, ...).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

dict_entry = sa.table(
    "dict_entry",
    sa.column("kind", sa.String), sa.column("code", sa.String), sa.column("label", sa.String),
    sa.column("sort", sa.Integer), sa.column("color", sa.String), sa.column("active", sa.Boolean),
)


def upgrade():
    from portal.dictionaries import dictionary_rows  # the initial list, frozen by this revision
    op.bulk_insert(dict_entry, dictionary_rows())


def downgrade():
    op.execute(dict_entry.delete())
