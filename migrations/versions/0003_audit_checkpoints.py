"""Signed audit checkpoints and cosignatures.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("audit_checkpoints", "audit_cosignatures")


def create_append_only_triggers(tables: tuple[str, ...]) -> None:
    """Make the database refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on these tables."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Same function as revision 0001 creates; replaced here so this revision stands alone.
        op.execute(
            """
            CREATE OR REPLACE FUNCTION vetreg_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
    for table in tables:
        for verb in ("UPDATE", "DELETE"):
            name = f"{table}_no_{verb.lower()}"
            if dialect == "postgresql":
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {verb} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION vetreg_refuse_change()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {verb} ON {table} BEGIN SELECT "
                    f"RAISE(ABORT, 'audit log is append-only: {verb} on {table} refused'); END"
                )
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION vetreg_refuse_change()"
            )


def drop_append_only_triggers(tables: tuple[str, ...]) -> None:
    # The shared trigger function belongs to revision 0001 and stays.
    dialect = op.get_bind().dialect.name
    for table in tables:
        for verb in ("update", "delete", "truncate"):
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb} ON {table}")
            elif verb != "truncate":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('number', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('origin', sa.String(length=128), nullable=False),
    sa.Column('tree_size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('log_vkey', sa.String(length=255), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoints_tree_size'), ['tree_size'], unique=False)

    op.create_table('audit_cosignatures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('checkpoint_number', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('witness_vkey', sa.String(length=255), nullable=False),
    sa.Column('signature_line', sa.Text(), nullable=False),
    sa.Column('cosigned_at', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_number'], ['audit_checkpoints.number'], name=op.f('fk_audit_cosignatures_checkpoint_number_audit_checkpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_cosignatures')),
    sa.UniqueConstraint('checkpoint_number', 'witness_vkey', name=op.f('uq_audit_cosignatures_checkpoint_number_witness_vkey'))
    )
    with op.batch_alter_table('audit_cosignatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_cosignatures_checkpoint_number'), ['checkpoint_number'], unique=False)

    create_append_only_triggers(APPEND_ONLY_TABLES)


def downgrade() -> None:
    drop_append_only_triggers(APPEND_ONLY_TABLES)
    with op.batch_alter_table('audit_cosignatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_cosignatures_checkpoint_number'))

    op.drop_table('audit_cosignatures')
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoints_tree_size'))

    op.drop_table('audit_checkpoints')
