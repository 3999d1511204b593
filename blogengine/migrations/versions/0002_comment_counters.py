"""comment_counters: each post's highest comment number ever given, so none is reused

Revision ID: 0002_comment_counters
Revises: 0001_initial
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_comment_counters'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_counters',
    sa.Column('post_id', sa.String(length=64), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_comment_counters'))
    )
    # Numbers already given go on from the highest stored one (deleted ones before are lost).
    op.execute(
        'INSERT INTO comment_counters (post_id, last_number) '
        'SELECT post_id, MAX(number) FROM comments GROUP BY post_id'
    )


def downgrade():
    op.drop_table('comment_counters')
