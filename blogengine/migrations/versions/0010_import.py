"""comments.kind: comment, pingback or trackback (archives bring pingbacks along)

Revision ID: 0010_import
Revises: 0003_post_status
Create Date: 2026-12-02 08:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_import'
down_revision = '0003_post_status'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments') as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=10), nullable=False, server_default='comment')
        )


def downgrade():
    with op.batch_alter_table('comments') as batch_op:
        batch_op.drop_column('kind')
