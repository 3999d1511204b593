"""perf: a per-post change stamp, a kept approved-comment count, the index's sort order indexed

Revision ID: 0008_perf
Revises: 0004_desk
Create Date: 2026-12-02 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_perf'
down_revision = '0009_thread'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        # Bumped whenever the post's page changes (an edit, a comment, a moderation): the page
        # cache's key and the ETag; changed_at is its time (Last-Modified).
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE posts SET changed_at = updated_at')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.alter_column('changed_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_posts_changed_at', ['changed_at'], unique=False)
        # The newest publication date that has come: a scheduled post appearing changes it.
        batch_op.create_index('ix_posts_published_at', ['published_at'], unique=False)
    # The index page's order, newest first (blog.newest_first), read from an index.
    op.create_index(
        'ix_posts_sort',
        'posts',
        ['status', sa.text('coalesce(published_at, created_at)'), 'id', 'published_at'],
        unique=False,
    )

    with op.batch_alter_table('comment_counters', schema=None) as batch_op:
        # Approved comments per post, kept by the sql store in each write's transaction.
        batch_op.add_column(sa.Column('approved', sa.Integer(), nullable=False, server_default='0'))
    op.execute(
        "UPDATE comment_counters SET approved = (SELECT COUNT(*) FROM comments "
        "WHERE comments.post_id = comment_counters.post_id AND comments.status = 'approved')"
    )


def downgrade():
    with op.batch_alter_table('comment_counters', schema=None) as batch_op:
        batch_op.drop_column('approved')
    op.drop_index('ix_posts_sort', table_name='posts')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_published_at')
        batch_op.drop_index('ix_posts_changed_at')
        batch_op.drop_column('changed_at')
        batch_op.drop_column('revision')
