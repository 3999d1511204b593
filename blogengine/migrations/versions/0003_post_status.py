"""posts.status: draft, published or trash (a published post with a future date is scheduled)

Revision ID: 0003_post_status
Revises: 0002_comment_counters
Create Date: 2026-12-02 08:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_post_status'
down_revision = '0002_comment_counters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status', sa.String(length=20), server_default='published', nullable=False)
        )
        batch_op.create_index(batch_op.f('ix_posts_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_status'))
        batch_op.drop_column('status')
