"""feedback: ideas, votes, comments, status history

Revision ID: 0004_feedback
Revises: 0003_forum
"""
import sqlalchemy as sa
from alembic import op

from kbgen.api.db import UTCDateTime

revision = '0004_feedback'
down_revision = '0003_forum'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feedback_ideas',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=False),
    sa.Column('status_changed_at', UTCDateTime(), nullable=True),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('comment_count', sa.Integer(), nullable=False),
    sa.Column('merged_into_id', sa.String(length=32), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_feedback_ideas_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['feedback_ideas.id'], name=op.f('fk_feedback_ideas_merged_into_id_feedback_ideas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_ideas'))
    )
    with op.batch_alter_table('feedback_ideas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_ideas_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_ideas_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_ideas_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_ideas_status'), ['status'], unique=False)

    op.create_table('feedback_comments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('idea_id', sa.String(length=32), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('edited_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_feedback_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['idea_id'], ['feedback_ideas.id'], name=op.f('fk_feedback_comments_idea_id_feedback_ideas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_comments'))
    )
    with op.batch_alter_table('feedback_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_comments_idea_id'), ['idea_id'], unique=False)

    op.create_table('feedback_status_changes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('idea_id', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_feedback_status_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['idea_id'], ['feedback_ideas.id'], name=op.f('fk_feedback_status_changes_idea_id_feedback_ideas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_status_changes'))
    )
    with op.batch_alter_table('feedback_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_status_changes_idea_id'), ['idea_id'], unique=False)

    op.create_table('feedback_votes',
    sa.Column('idea_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['feedback_ideas.id'], name=op.f('fk_feedback_votes_idea_id_feedback_ideas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feedback_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('idea_id', 'user_id', name=op.f('pk_feedback_votes'))
    )
    with op.batch_alter_table('feedback_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_votes_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_votes_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_votes_user_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_votes_created_at'))

    op.drop_table('feedback_votes')
    with op.batch_alter_table('feedback_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_status_changes_idea_id'))

    op.drop_table('feedback_status_changes')
    with op.batch_alter_table('feedback_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_comments_idea_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_comments_author_id'))

    op.drop_table('feedback_comments')
    with op.batch_alter_table('feedback_ideas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_ideas_status'))
        batch_op.drop_index(batch_op.f('ix_feedback_ideas_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_ideas_created_at'))
        batch_op.drop_index(batch_op.f('ix_feedback_ideas_author_id'))

    op.drop_table('feedback_ideas')
