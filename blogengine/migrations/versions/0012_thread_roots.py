"""thread roots: a partial index of top-level comments, so a post's pages of threads are
counted and found from the index alone

Revision ID: 0012_thread_roots
Revises: 0011_spam_seen
Create Date: 2026-12-02 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_thread_roots'
down_revision = '0011_spam_seen'
branch_labels = None
depends_on = None

#: A top-level comment is its own thread (store_sql._shown_threads asks for exactly this).
ROOTS = sa.text('thread_id = id')


def upgrade():
    # count_threads read every approved comment's row to test thread_id = id (11 ms at
    # 10,000 comments); here the test is the index's own condition.
    op.create_index(
        'ix_comments_thread_roots',
        'comments',
        ['post_id', 'status', 'number'],
        unique=False,
        sqlite_where=ROOTS,
        postgresql_where=ROOTS,
    )


def downgrade():
    op.drop_index('ix_comments_thread_roots', table_name='comments')
