"""one head again: 0005_chat (and 0006_mail_outbox after it) was written on 0001_core beside 0003/0004

Revision ID: 0007_merge_heads
Revises: 0004_feedback, 0006_mail_outbox

An empty merge revision, rather than a rewritten down_revision, so databases already at both
heads upgrade without a step being re-run.
"""

revision = '0007_merge_heads'
down_revision = ('0004_feedback', '0006_mail_outbox')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
