"""spam: the learning filter's learned weights and decisions; comment text fingerprints

Revision ID: 0006_spam
Revises: 0010_import
Create Date: 2026-12-02 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_spam'
down_revision = '0010_import'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.create_table('spam_weights',
    sa.Column('token', sa.String(length=200), nullable=False),
    sa.Column('delta', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_spam_weights'))
    )
    op.create_table('spam_decisions',
    sa.Column('comment_id', sa.String(length=64), nullable=False),
    sa.Column('is_spam', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_spam_decisions'))
    )
    with op.batch_alter_table('comments') as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=32), nullable=True))
    op.create_index(
        'ix_comments_post_fingerprint', 'comments', ['post_id', 'fingerprint', 'created_at']
    )
    _fill_fingerprints()


def _fill_fingerprints():
    """Comments already stored get their fingerprint, so their duplicates are found too."""
    from blogengine.comments.contracts import text_fingerprint

    bind = op.get_bind()
    comments = sa.table(
        'comments', sa.column('id', sa.String), sa.column('body', sa.Text),
        sa.column('fingerprint', sa.String),
    )
    last = ''
    while True:
        rows = bind.execute(
            sa.select(comments.c.id, comments.c.body)
            .where(comments.c.id > last)
            .order_by(comments.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            comments.update()
            .where(comments.c.id == sa.bindparam('row_id'))
            .values(fingerprint=sa.bindparam('print')),
            [{'row_id': row.id, 'print': text_fingerprint(row.body)} for row in rows],
        )
        last = rows[-1].id


def downgrade():
    op.drop_index('ix_comments_post_fingerprint', table_name='comments')
    with op.batch_alter_table('comments') as batch_op:
        batch_op.drop_column('fingerprint')
    op.drop_table('spam_decisions')
    op.drop_table('spam_weights')
