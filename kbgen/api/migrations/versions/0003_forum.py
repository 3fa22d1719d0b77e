"""forum: topics, answers, answer votes, community blocks

Revision ID: 0003_forum
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

from kbgen.api.db import UTCDateTime

revision = '0003_forum'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('community_blocks',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('blocked_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blocked_by'], ['users.id'], name=op.f('fk_community_blocks_blocked_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_community_blocks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_community_blocks'))
    )
    op.create_table('forum_topics',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('accepted_answer_id', sa.String(length=32), nullable=True),
    sa.Column('answer_count', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('edited_at', UTCDateTime(), nullable=True),
    sa.Column('last_activity_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_forum_topics_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_topics'))
    )
    with op.batch_alter_table('forum_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_topics_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forum_topics_category_activity', ['category', 'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_topics_last_activity_at'), ['last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_topics_status'), ['status'], unique=False)

    op.create_table('forum_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('topic_id', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('edited_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_forum_answers_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['forum_topics.id'], name=op.f('fk_forum_answers_topic_id_forum_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_answers'))
    )
    with op.batch_alter_table('forum_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_answers_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_answers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_answers_topic_id'), ['topic_id'], unique=False)

    op.create_table('forum_answer_votes',
    sa.Column('answer_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['forum_answers.id'], name=op.f('fk_forum_answer_votes_answer_id_forum_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forum_answer_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('answer_id', 'user_id', name=op.f('pk_forum_answer_votes'))
    )
    with op.batch_alter_table('forum_answer_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_answer_votes_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('forum_answer_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_answer_votes_user_id'))

    op.drop_table('forum_answer_votes')
    with op.batch_alter_table('forum_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_answers_topic_id'))
        batch_op.drop_index(batch_op.f('ix_forum_answers_status'))
        batch_op.drop_index(batch_op.f('ix_forum_answers_author_id'))

    op.drop_table('forum_answers')
    with op.batch_alter_table('forum_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_topics_status'))
        batch_op.drop_index(batch_op.f('ix_forum_topics_last_activity_at'))
        batch_op.drop_index('ix_forum_topics_category_activity')
        batch_op.drop_index(batch_op.f('ix_forum_topics_author_id'))

    op.drop_table('forum_topics')
    op.drop_table('community_blocks')
