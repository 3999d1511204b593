"""spam_seen: how many moderator decisions held each learned token (its step size shrinks)

Revision ID: 0011_spam_seen
Revises: 0008_perf
Create Date: 2026-12-02 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_spam_seen'
down_revision = '0008_perf'
branch_labels = None
depends_on = None


def upgrade():
    # Tokens learned before this count as seen by no decision: they keep their change and
    # their next steps are sized by the shipped model's count alone.
    with op.batch_alter_table('spam_weights', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('spam_weights', schema=None) as batch_op:
        batch_op.drop_column('seen')
