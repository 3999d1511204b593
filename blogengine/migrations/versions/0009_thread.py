"""comments: threads (thread_id), the author mark (role), number on publish, unknown times

Revision ID: 0009_thread
Revises: 0004_desk
Create Date: 2026-12-02 08:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_thread'
down_revision = '0004_desk'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thread_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('role', sa.String(length=10), nullable=True))
        # Held and spam comments get a number only when approved; archives may have no time.
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=True)
    # No comment was a reply before this revision: each starts its own thread.
    op.execute('UPDATE comments SET thread_id = id')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        # Pages of threads: the top-level comments in number order, then their threads.
        batch_op.create_index(
            'ix_comments_post_status_number', ['post_id', 'status', 'number'], unique=False
        )
        batch_op.create_index(
            'ix_comments_post_thread', ['post_id', 'thread_id', 'status'], unique=False
        )


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_post_thread')
        batch_op.drop_index('ix_comments_post_status_number')
        batch_op.drop_column('role')
        batch_op.drop_column('thread_id')
