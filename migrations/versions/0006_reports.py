"""Monthly reports and report versions (owned by the reports feature)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=30), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("preparer_name", sa.String(length=40), nullable=True),
        sa.Column("preparer_phone", sa.String(length=20), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_report_version_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_report_version_created_by_id_user")),
        sa.ForeignKeyConstraint(["signed_by_id"], ["user.id"], name=op.f("fk_report_version_signed_by_id_user")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["user.id"], name=op.f("fk_report_version_submitted_by_id_user")),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["report_version.id"],
                                name=op.f("fk_report_version_superseded_by_id_report_version")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_report_version_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_version")),
        sa.UniqueConstraint("unit_id", "period_key", "version",
                            name=op.f("uq_report_version_unit_id_period_key_version")),
    )
    with op.batch_alter_table("report_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_version_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_version_period_key"), ["period_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_version_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_version_unit_id"), ["unit_id"], unique=False)


def downgrade():
    with op.batch_alter_table("report_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_version_unit_id"))
        batch_op.drop_index(batch_op.f("ix_report_version_status"))
        batch_op.drop_index(batch_op.f("ix_report_version_period_key"))
        batch_op.drop_index(batch_op.f("ix_report_version_campaign_id"))
    op.drop_table("report_version")
