"""Recertification policy, re-vetting draws, suspensions and overrides.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A committed draw's roster and selection must never change: verification depends on it.
APPEND_ONLY_TABLES = ("revet_roster", "revet_selections")


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Same function as revision 0001 creates; replaced identically, never dropped here.
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
    for table in APPEND_ONLY_TABLES:
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
                    f"RAISE(ABORT, 'append-only: {verb} on {table} refused'); END"
                )
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION vetreg_refuse_change()"
            )


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for verb in ("update", "delete", "truncate"):
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb} ON {table}")
            elif verb != "truncate":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def upgrade() -> None:
    op.create_table('agency_mailboxes',
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_mailboxes_agency_id_agencies')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_agency_mailboxes_updated_by_users')),
    sa.PrimaryKeyConstraint('agency_id', name=op.f('pk_agency_mailboxes'))
    )
    op.create_table('lifecycle_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_lifecycle_settings_updated_by_users')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_lifecycle_settings'))
    )
    op.create_table('recert_policies',
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('task_force', sa.Boolean(), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_recert_policies_updated_by_users')),
    sa.PrimaryKeyConstraint('country', 'sector', 'task_force', name=op.f('pk_recert_policies'))
    )
    op.create_table('revet_draws',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('rate', sa.String(length=16), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('roster_size', sa.Integer(), nullable=False),
    sa.Column('roster_digest', sa.String(length=64), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=True),
    sa.Column('selection_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_revet_draws_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revet_draws')),
    sa.UniqueConstraint('period', 'scope', name=op.f('uq_revet_draws_period_scope'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_notifications_agency_id_agencies')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_notifications_official_id_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('official_id', 'due_on', 'stage', name=op.f('uq_notifications_official_id_due_on_stage'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_status'), ['status'], unique=False)

    op.create_table('override_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('task_force_id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=True),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('required_departments', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decide_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('reason_ct', sa.LargeBinary(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_override_requests_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_override_requests_official_id_officials')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_override_requests_requested_by_users')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_override_requests_task_force_id_task_forces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_override_requests'))
    )
    with op.batch_alter_table('override_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_override_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_override_requests_task_force_id'), ['task_force_id'], unique=False)

    op.create_table('recert_schedule',
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('task_force', sa.Boolean(), nullable=False),
    sa.Column('standing', sa.String(length=16), nullable=False),
    sa.Column('last_evaluation_id', sa.Uuid(), nullable=True),
    sa.Column('last_evaluated_on', sa.Date(), nullable=True),
    sa.Column('last_pass_on', sa.Date(), nullable=True),
    sa.Column('cap_until', sa.Date(), nullable=True),
    sa.Column('validity_months', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_recert_schedule_agency_id_agencies')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_recert_schedule_official_id_officials')),
    sa.PrimaryKeyConstraint('official_id', name=op.f('pk_recert_schedule'))
    )
    with op.batch_alter_table('recert_schedule', schema=None) as batch_op:
        batch_op.create_index('ix_recert_schedule_agency_due', ['agency_id', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_recert_schedule_due_on'), ['due_on'], unique=False)

    op.create_table('revet_contributions',
    sa.Column('draw_id', sa.Uuid(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('reveal', sa.String(length=64), nullable=True),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['draw_id'], ['revet_draws.id'], name=op.f('fk_revet_contributions_draw_id_revet_draws')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_revet_contributions_user_id_users')),
    sa.PrimaryKeyConstraint('draw_id', 'country', name=op.f('pk_revet_contributions'))
    )
    op.create_table('revet_roster',
    sa.Column('draw_id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['revet_draws.id'], name=op.f('fk_revet_roster_draw_id_revet_draws')),
    sa.PrimaryKeyConstraint('draw_id', 'official_id', name=op.f('pk_revet_roster'))
    )
    op.create_table('revet_selections',
    sa.Column('draw_id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['revet_draws.id'], name=op.f('fk_revet_selections_draw_id_revet_draws')),
    sa.PrimaryKeyConstraint('draw_id', 'official_id', name=op.f('pk_revet_selections'))
    )
    op.create_table('task_force_suspensions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('task_force_id', sa.Uuid(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_because', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_task_force_suspensions_task_force_id_task_forces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_force_suspensions'))
    )
    with op.batch_alter_table('task_force_suspensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_force_suspensions_task_force_id'), ['task_force_id'], unique=False)

    op.create_table('override_votes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('approve', sa.Boolean(), nullable=False),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['override_requests.id'], name=op.f('fk_override_votes_request_id_override_requests')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_override_votes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_override_votes')),
    sa.UniqueConstraint('request_id', 'user_id', name=op.f('uq_override_votes_request_id_user_id'))
    )
    with op.batch_alter_table('override_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_override_votes_request_id'), ['request_id'], unique=False)

    op.create_table('task_force_suspension_reasons',
    sa.Column('suspension_id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_task_force_suspension_reasons_official_id_officials')),
    sa.ForeignKeyConstraint(['suspension_id'], ['task_force_suspensions.id'], name=op.f('fk_task_force_suspension_reasons_suspension_id_task_force_suspensions')),
    sa.PrimaryKeyConstraint('suspension_id', 'official_id', 'rule', name=op.f('pk_task_force_suspension_reasons'))
    )
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_table('task_force_suspension_reasons')
    with op.batch_alter_table('override_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_override_votes_request_id'))

    op.drop_table('override_votes')
    with op.batch_alter_table('task_force_suspensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_force_suspensions_task_force_id'))

    op.drop_table('task_force_suspensions')
    op.drop_table('revet_selections')
    op.drop_table('revet_roster')
    op.drop_table('revet_contributions')
    with op.batch_alter_table('recert_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recert_schedule_due_on'))
        batch_op.drop_index('ix_recert_schedule_agency_due')

    op.drop_table('recert_schedule')
    with op.batch_alter_table('override_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_override_requests_task_force_id'))
        batch_op.drop_index(batch_op.f('ix_override_requests_status'))

    op.drop_table('override_requests')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_status'))

    op.drop_table('notifications')
    op.drop_table('revet_draws')
    op.drop_table('recert_policies')
    op.drop_table('lifecycle_settings')
    op.drop_table('agency_mailboxes')
