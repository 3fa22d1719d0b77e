"""customer account: email verification links, users.email_verified_at, chat satisfaction

Revision ID: 0009_account
Revises: 0008_helpdesk
"""
import sqlalchemy as sa
from alembic import op

from kbgen.api.db import UTCDateTime

revision = '0009_account'
down_revision = '0008_helpdesk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing accounts stay unverified: their owners can send themselves a link from the account page
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', UTCDateTime(), nullable=True))
    op.create_table('email_verifications',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('used_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_verifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_email_verifications'))
    )
    with op.batch_alter_table('email_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_verifications_user_id'), ['user_id'], unique=False)
    op.create_table('chat_satisfaction',
    sa.Column('chat_id', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('agent_id', sa.String(length=32), nullable=True),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_chat_satisfaction_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['chat_id'], ['chat_sessions.id'], name=op.f('fk_chat_satisfaction_chat_id_chat_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_chat_satisfaction'))
    )
    with op.batch_alter_table('chat_satisfaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_satisfaction_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_satisfaction_department'), ['department'], unique=False)


def downgrade() -> None:
    op.drop_table('chat_satisfaction')
    op.drop_table('email_verifications')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
