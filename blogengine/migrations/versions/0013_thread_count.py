"""thread count: each post's number of threads (approved top-level comments) kept on its
counter row, so the page a new comment lands on is found without counting them

Revision ID: 0013_thread_count
Revises: 0012_thread_roots
Create Date: 2026-12-02 15:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_thread_count'
down_revision = '0012_thread_roots'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment_counters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('threads', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE comment_counters SET threads = (SELECT COUNT(*) FROM comments "
        "WHERE comments.post_id = comment_counters.post_id AND comments.status = 'approved' "
        "AND comments.thread_id = comments.id)"
    )


def downgrade():
    with op.batch_alter_table('comment_counters', schema=None) as batch_op:
        batch_op.drop_column('threads')
