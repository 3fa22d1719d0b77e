"""help desk: ticket priority, canned replies, users' mail language and staff mail opt-out, ticket satisfaction

Revision ID: 0008_helpdesk
Revises: 0007_merge_heads
"""
import sqlalchemy as sa
from alembic import op

from kbgen.api.db import UTCDateTime

revision = '0008_helpdesk'
down_revision = '0007_merge_heads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('notify_email', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.String(length=16), server_default='normal', nullable=False))
        batch_op.create_index(batch_op.f('ix_tickets_priority'), ['priority'], unique=False)
    op.create_table('ticket_satisfaction',
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('agent_id', sa.String(length=32), nullable=True),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_ticket_satisfaction_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_satisfaction_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_satisfaction'))
    )
    with op.batch_alter_table('ticket_satisfaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_satisfaction_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_satisfaction_department'), ['department'], unique=False)
    op.create_table('canned_replies',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_canned_replies_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies'))
    )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_email')
        batch_op.drop_column('lang')
    op.drop_table('canned_replies')
    op.drop_table('ticket_satisfaction')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_priority'))
        batch_op.drop_column('priority')
