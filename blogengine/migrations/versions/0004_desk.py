"""the desk: users.session_token (signing out ends every session) and post_slugs (old URLs 301)

Revision ID: 0004_desk
Revises: 0005_mail
Create Date: 2026-12-02 08:30:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_desk'
down_revision = '0005_mail'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(
            users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16))
        )
    op.create_table('post_slugs',
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_slugs_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_post_slugs'))
    )
    with op.batch_alter_table('post_slugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_slugs_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('post_slugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_slugs_post_id'))
    op.drop_table('post_slugs')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
