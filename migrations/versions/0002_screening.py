"""Hit confirmations and screening records.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Screenings and their hits are a record of what was asked and answered: never rewritten.
APPEND_ONLY_TABLES = ("screenings", "screening_hits")


def create_append_only_triggers(tables: tuple[str, ...]) -> None:
    """Make the database refuse UPDATE and DELETE on the screening record."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION vetreg_screening_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'screening record is append-only: % on % refused',
                    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
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
                    "FOR EACH ROW EXECUTE FUNCTION vetreg_screening_refuse_change()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {verb} ON {table} BEGIN SELECT "
                    f"RAISE(ABORT, 'screening record is append-only: {verb} on {table} "
                    "refused'); END"
                )
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION vetreg_screening_refuse_change()"
            )


def drop_append_only_triggers(tables: tuple[str, ...]) -> None:
    dialect = op.get_bind().dialect.name
    for table in tables:
        for verb in ("update", "delete", "truncate"):
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb} ON {table}")
            elif verb != "truncate":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS vetreg_screening_refuse_change()")


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.Enum("HIRING", "PROMOTION", "TASKFORCE", "REVETTING",
                                     "INVESTIGATION", name="screeningpurpose",
                                     native_enum=False, length=16), nullable=False),
        sa.Column("query_fingerprint", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.Enum("hit", "no_hit", name="screeningoutcome", native_enum=False,
                                     length=8), nullable=False),
        sa.Column("hit_count", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_screenings_agency_id_agencies")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_screenings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        for column in ("agency_id", "batch_id", "screened_at", "user_id"):
            batch_op.create_index(batch_op.f(f"ix_screenings_{column}"), [column], unique=False)

    op.create_table(
        "screening_hits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("screening_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["registry_entries.id"],
                                name=op.f("fk_screening_hits_entry_id_registry_entries")),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"],
                                name=op.f("fk_screening_hits_screening_id_screenings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hits")),
        sa.UniqueConstraint("screening_id", "entry_id",
                            name=op.f("uq_screening_hits_screening_id_entry_id")),
    )
    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        for column in ("entry_id", "screening_id"):
            batch_op.create_index(batch_op.f(f"ix_screening_hits_{column}"), [column], unique=False)

    op.create_table(
        "confirmation_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hit_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("requesting_agency_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("originating_agency_id", sa.Uuid(), nullable=False),
        sa.Column("urgency", sa.Enum("urgent", "routine", name="urgency", native_enum=False,
                                     length=8), nullable=False),
        sa.Column("status", sa.Enum("pending", "confirmed", "denied", name="confirmationstatus",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_ct", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"],
                                name=op.f("fk_confirmation_requests_answered_by_users")),
        sa.ForeignKeyConstraint(["data_key_id"], ["data_keys.id"],
                                name=op.f("fk_confirmation_requests_data_key_id_data_keys")),
        sa.ForeignKeyConstraint(["entry_id"], ["registry_entries.id"],
                                name=op.f("fk_confirmation_requests_entry_id_registry_entries")),
        sa.ForeignKeyConstraint(["hit_id"], ["screening_hits.id"],
                                name=op.f("fk_confirmation_requests_hit_id_screening_hits")),
        sa.ForeignKeyConstraint(
            ["originating_agency_id"], ["agencies.id"],
            name=op.f("fk_confirmation_requests_originating_agency_id_agencies")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"],
                                name=op.f("fk_confirmation_requests_requested_by_users")),
        sa.ForeignKeyConstraint(
            ["requesting_agency_id"], ["agencies.id"],
            name=op.f("fk_confirmation_requests_requesting_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_requests")),
        sa.UniqueConstraint("hit_id", name=op.f("uq_confirmation_requests_hit_id")),
    )
    with op.batch_alter_table("confirmation_requests", schema=None) as batch_op:
        for column in ("due_at", "entry_id", "originating_agency_id", "requesting_agency_id",
                       "status"):
            batch_op.create_index(batch_op.f(f"ix_confirmation_requests_{column}"), [column],
                                  unique=False)
    create_append_only_triggers(APPEND_ONLY_TABLES)


def downgrade() -> None:
    drop_append_only_triggers(APPEND_ONLY_TABLES)
    for table in ("confirmation_requests", "screening_hits", "screenings"):
        # Dropping a table drops its indexes on both backends.
        op.drop_table(table)
