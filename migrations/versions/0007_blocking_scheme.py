"""Blocking scheme of each index secret version: indexes built before `day_names` and
`undated_names` existed are scheme 1, and lookups under them probe `names` for every query
until `vetreg keys rotate-index` rebuilds them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("key_secrets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("blocking_scheme", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("key_secrets", schema=None) as batch_op:
        batch_op.drop_column("blocking_scheme")
