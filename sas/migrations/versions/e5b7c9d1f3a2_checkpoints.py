"""Signed checkpoints of every school's chain head: checkpoints (append-only)

Each row is a payload signed with an Ed25519 key kept outside the database
(``SAS_CHECKPOINT_KEY``), its signature and public key. Nothing existing changes.

Revision ID: e5b7c9d1f3a2
Revises: da8ce51b6bc7
Create Date: 2026-12-05 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

from sas.models.append_only import drop_statements, trigger_statements


# revision identifiers, used by Alembic.
revision = 'e5b7c9d1f3a2'
down_revision = 'da8ce51b6bc7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('schools', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoints'))
    )
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoints_created_at'), ['created_at'], unique=False)
    for statement in trigger_statements("checkpoints", op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in drop_statements("checkpoints", op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoints_created_at'))
    op.drop_table('checkpoints')
