"""chat

Revision ID: 0005_chat
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

from kbgen.api.db import UTCDateTime

revision = '0005_chat'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_presence',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_seen', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_presence_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_chat_presence'))
    )
    with op.batch_alter_table('chat_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_presence_last_seen'), ['last_seen'], unique=False)

    op.create_table('chat_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('page', sa.String(length=300), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=True),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=True),
    sa.Column('customer_typing_until', UTCDateTime(), nullable=True),
    sa.Column('staff_typing_until', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('waiting_since', UTCDateTime(), nullable=False),
    sa.Column('accepted_at', UTCDateTime(), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['users.id'], name=op.f('fk_chat_sessions_customer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_chat_sessions_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_chat_sessions_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_sessions'))
    )
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_sessions_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_sessions_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_sessions_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_sessions_status'), ['status'], unique=False)
        batch_op.create_index('ix_chat_sessions_status_waiting', ['status', 'waiting_since'], unique=False)

    op.create_table('chat_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('chat_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('author_kind', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_chat_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['chat_id'], ['chat_sessions.id'], name=op.f('fk_chat_messages_chat_id_chat_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages')),
    sa.UniqueConstraint('chat_id', 'seq', name='uq_chat_messages_chat_seq')
    )


def downgrade() -> None:
    op.drop_table('chat_messages')
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_sessions_status_waiting')
        batch_op.drop_index(batch_op.f('ix_chat_sessions_status'))
        batch_op.drop_index(batch_op.f('ix_chat_sessions_owner_id'))
        batch_op.drop_index(batch_op.f('ix_chat_sessions_email'))
        batch_op.drop_index(batch_op.f('ix_chat_sessions_customer_id'))

    op.drop_table('chat_sessions')
    with op.batch_alter_table('chat_presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_presence_last_seen'))

    op.drop_table('chat_presence')
