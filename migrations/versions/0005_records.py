"""Mediation records, agreements, follow-ups, documents, attachments (owned by the records feature)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('agreement_no', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('performance', sa.Text(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('mediators', sa.JSON(), nullable=False),
    sa.Column('recorder', sa.String(length=40), nullable=True),
    sa.Column('signed_date', sa.Date(), nullable=True),
    sa.Column('signatures', sa.JSON(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_agreement_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_agreement_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_dispute_id'), ['dispute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_status'), ['status'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('visited', sa.JSON(), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('performance_status', sa.String(length=30), nullable=False),
    sa.Column('satisfaction', sa.String(length=12), nullable=True),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('visitor', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_follow_up_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_follow_up_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('investigation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('investigators', sa.JSON(), nullable=False),
    sa.Column('interviewee', sa.String(length=80), nullable=False),
    sa.Column('participants', sa.String(length=200), nullable=True),
    sa.Column('recorder', sa.String(length=40), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_investigation_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_investigation_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation'))
    )
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigation_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('mediation_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('session_no', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('parties_present', sa.JSON(), nullable=False),
    sa.Column('participants', sa.String(length=200), nullable=True),
    sa.Column('mediators', sa.JSON(), nullable=False),
    sa.Column('recorder', sa.String(length=40), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('simplified', sa.Boolean(), nullable=False),
    sa.Column('read_back', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_mediation_session_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_mediation_session_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_session'))
    )
    with op.batch_alter_table('mediation_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_session_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('oral_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('performance', sa.Text(), nullable=False),
    sa.Column('agreed_date', sa.Date(), nullable=False),
    sa.Column('mediators', sa.JSON(), nullable=False),
    sa.Column('registrar', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_oral_agreement_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_oral_agreement_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oral_agreement'))
    )
    with op.batch_alter_table('oral_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oral_agreement_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('print_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_print_log_dispute_id_dispute')),
    sa.ForeignKeyConstraint(['printed_by_id'], ['user.id'], name=op.f('fk_print_log_printed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_log')),
    sa.UniqueConstraint('code', name=op.f('uq_print_log_code'))
    )
    with op.batch_alter_table('print_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_log_dispute_id'), ['dispute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_log_printed_at'), ['printed_at'], unique=False)

    op.create_table('rights_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('given_by', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_rights_notice_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_rights_notice_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights_notice'))
    )
    with op.batch_alter_table('rights_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_notice_dispute_id'), ['dispute_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_attachment_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_attachment_dispute_id_dispute')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_attachment_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachment_stored_name'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_dispute_id'), ['dispute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)

    op.create_table('judicial_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('jointly_applied', sa.Boolean(), nullable=False),
    sa.Column('court_name', sa.String(length=80), nullable=False),
    sa.Column('applied_date', sa.Date(), nullable=False),
    sa.Column('court_case_no', sa.String(length=60), nullable=True),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('ruling_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_judicial_confirmation_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_judicial_confirmation_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispute_id'], ['dispute.id'], name=op.f('fk_judicial_confirmation_dispute_id_dispute')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judicial_confirmation'))
    )
    with op.batch_alter_table('judicial_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicial_confirmation_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_judicial_confirmation_dispute_id'), ['dispute_id'], unique=False)


def downgrade():
    with op.batch_alter_table('judicial_confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judicial_confirmation_dispute_id'))
        batch_op.drop_index(batch_op.f('ix_judicial_confirmation_agreement_id'))

    op.drop_table('judicial_confirmation')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_dispute_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_agreement_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('rights_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_notice_dispute_id'))

    op.drop_table('rights_notice')
    with op.batch_alter_table('print_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_log_printed_at'))
        batch_op.drop_index(batch_op.f('ix_print_log_dispute_id'))

    op.drop_table('print_log')
    with op.batch_alter_table('oral_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oral_agreement_dispute_id'))

    op.drop_table('oral_agreement')
    with op.batch_alter_table('mediation_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediation_session_dispute_id'))

    op.drop_table('mediation_session')
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigation_dispute_id'))

    op.drop_table('investigation')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_dispute_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_status'))
        batch_op.drop_index(batch_op.f('ix_agreement_dispute_id'))

    op.drop_table('agreement')
