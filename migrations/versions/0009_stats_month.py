"""Monthly summary of dispute figures for the dashboard and the report (issue 7), built from the disputes.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FLAGS = ("prevent_crime", "prevent_group_petition", "prevent_group_fight", "prevent_suicide")
COUNTS = ("n", "prevented", "level_village", "level_town", "passed_out", "src_initiative", "src_application",
          "src_entrusted", "success", "written", "oral", "performed", "confirmed", *FLAGS,
          *[f"{flag}_persons" for flag in FLAGS])


def upgrade():
    op.create_table(
        "stats_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=1), nullable=False),
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.Column("amount_yuan", sa.Numeric(16, 2), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["town_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["village_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stats_month_town", "stats_month", ["town_id", "basis", "ym"])
    op.create_index("ix_stats_month_county_id", "stats_month", ["county_id"])
    op.create_index("ix_stats_month_village_id", "stats_month", ["village_id"])
    # table 4: the few disputes with a major flag (portal.reports.services._is_major)
    flagged = sa.text("json_array_length(major_flags) > 0")
    op.create_index("ix_dispute_major_flags", "dispute", ["town_id"], sqlite_where=flagged, postgresql_where=flagged)
    # a town's open/overdue figures and the dashboard's work tiles, read from the index alone
    op.create_index("ix_dispute_town_open", "dispute", ["town_id", "status", "village_id", "risk_level", "found_date",
                                                        "resolved_date", "closed_date", "deadline",
                                                        "deadline_extended_to"])
    # The summary of the disputes already there, computed by the same code that keeps it up to date.
    from portal.reports.summary import rebuild
    rebuild(Session(bind=op.get_bind()))


def downgrade():
    op.drop_index("ix_dispute_major_flags", table_name="dispute")
    op.drop_index("ix_dispute_town_open", table_name="dispute")
    op.drop_table("stats_month")
