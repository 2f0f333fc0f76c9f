"""Registry core schema: agencies, users, officials, evaluations, entries, audit log.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("audit_events",)


def create_append_only_triggers(tables: tuple[str, ...]) -> None:
    """Make the database itself refuse UPDATE and DELETE on the audit tables."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
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
    dialect = op.get_bind().dialect.name
    for table in tables:
        for verb in ("update", "delete", "truncate"):
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb} ON {table}")
            elif verb != "truncate":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS vetreg_refuse_change()")


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.Enum('MX', 'US', name='country', native_enum=False), nullable=False),
    sa.Column('sector', sa.Enum('police', 'military', 'justice', 'prosecution', 'intelligence', 'corrections', 'migration', 'customs', 'department', name='sector', native_enum=False, length=32), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['agencies.id'], name=op.f('fk_agencies_parent_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('code', name=op.f('uq_agencies_code'))
    )
    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_agency', sa.String(length=32), nullable=True),
    sa.Column('actor_country', sa.String(length=2), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('id', name=op.f('uq_audit_events_id'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('data_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kek_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_keys'))
    )
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_keys_kek_id'), ['kek_id'], unique=False)

    op.create_table('key_secrets',
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kek_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('purpose', 'version', name=op.f('pk_key_secrets'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret', sa.LargeBinary(), nullable=True),
    sa.Column('preferred_locale', sa.String(length=8), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_users_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_agency_id'), ['agency_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('officials',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('country', sa.Enum('MX', 'US', name='country', native_enum=False), nullable=False),
    sa.Column('owner_agency_id', sa.Uuid(), nullable=False),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('given_names_ct', sa.LargeBinary(), nullable=False),
    sa.Column('paternal_surname_ct', sa.LargeBinary(), nullable=True),
    sa.Column('maternal_surname_ct', sa.LargeBinary(), nullable=True),
    sa.Column('birth_date_ct', sa.LargeBinary(), nullable=True),
    sa.Column('sex_ct', sa.LargeBinary(), nullable=True),
    sa.Column('curp_ct', sa.LargeBinary(), nullable=True),
    sa.Column('national_ids_ct', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_officials_created_by_users')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_officials_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agencies.id'], name=op.f('fk_officials_owner_agency_id_agencies')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_officials_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officials'))
    )
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officials_owner_agency_id'), ['owner_agency_id'], unique=False)

    op.create_table('task_forces',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('host_country', sa.Enum('MX', 'US', name='country', native_enum=False), nullable=False),
    sa.Column('lead_agency_id', sa.Uuid(), nullable=False),
    sa.Column('joint', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', 'disbanded', name='taskforcestatus', native_enum=False, length=32), nullable=False),
    sa.Column('funding_suspended', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_task_forces_created_by_users')),
    sa.ForeignKeyConstraint(['lead_agency_id'], ['agencies.id'], name=op.f('fk_task_forces_lead_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_forces')),
    sa.UniqueConstraint('code', name=op.f('uq_task_forces_code'))
    )
    op.create_table('user_roles',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], name=op.f('fk_user_roles_granted_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )
    op.create_table('employments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.String(length=120), nullable=False),
    sa.Column('rank', sa.String(length=80), nullable=True),
    sa.Column('seniority', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_employments_agency_id_agencies')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_employments_created_by_users')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_employments_official_id_officials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employments'))
    )
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employments_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employments_official_id'), ['official_id'], unique=False)

    op.create_table('evaluations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('evaluating_agency_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.Enum('recruitment', 'recertification', 'promotion', 'random', 'for_cause', name='evaluationtype', native_enum=False, length=32), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.Enum('pass', 'fail', 'refused', 'inconclusive', name='outcome', native_enum=False, length=32), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('notes_ct', sa.LargeBinary(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_evaluations_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['evaluating_agency_id'], ['agencies.id'], name=op.f('fk_evaluations_evaluating_agency_id_agencies')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_evaluations_official_id_officials')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_evaluations_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_official_id'), ['official_id'], unique=False)

    op.create_table('official_index',
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('digest', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_official_index_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('official_id', 'kind', 'key_version', 'digest', name=op.f('pk_official_index'))
    )
    with op.batch_alter_table('official_index', schema=None) as batch_op:
        batch_op.create_index('ix_official_index_lookup', ['kind', 'key_version', 'digest'], unique=False)

    op.create_table('registry_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('originating_agency_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Enum('failed_vetting', 'refused_vetting', 'expelled_corruption', 'dismissed_misconduct', 'resigned_under_investigation', name='entryreason', native_enum=False, length=32), nullable=False),
    sa.Column('case_ref', sa.String(length=64), nullable=False),
    sa.Column('legal_basis', sa.String(length=500), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('active', 'under_appeal', 'overturned', 'expired', name='entrystatus', native_enum=False, length=32), nullable=False),
    sa.Column('handling_code', sa.Enum('H0', 'H1', 'H2', 'H3', name='handlingcode', native_enum=False), nullable=False),
    sa.Column('source_reliability', sa.Enum('A', 'B', 'C', 'X', name='sourcereliability', native_enum=False), nullable=False),
    sa.Column('information_reliability', sa.Enum('1', '2', '3', '4', name='informationreliability', native_enum=False), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('narrative_ct', sa.LargeBinary(), nullable=True),
    sa.Column('shredded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_registry_entries_created_by_users')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_registry_entries_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_registry_entries_official_id_officials')),
    sa.ForeignKeyConstraint(['originating_agency_id'], ['agencies.id'], name=op.f('fk_registry_entries_originating_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_entries')),
    sa.UniqueConstraint('originating_agency_id', 'case_ref', name=op.f('uq_registry_entries_originating_agency_id_case_ref'))
    )
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_entries_official_id'), ['official_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_entries_status'), ['status'], unique=False)

    op.create_table('task_force_memberships',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('task_force_id', sa.Uuid(), nullable=False),
    sa.Column('official_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=False),
    sa.Column('senior', sa.Boolean(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('added_by', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_task_force_memberships_added_by_users')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_task_force_memberships_official_id_officials')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_forces.id'], name=op.f('fk_task_force_memberships_task_force_id_task_forces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_force_memberships'))
    )
    with op.batch_alter_table('task_force_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_force_memberships_official_id'), ['official_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_force_memberships_task_force_id'), ['task_force_id'], unique=False)

    op.create_table('redress_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('access', 'rectification', 'cancellation', 'opposition', 'appeal', name='redresskind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'granted', 'denied', name='redressstatus', native_enum=False, length=32), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('filed_by', sa.Uuid(), nullable=True),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('grounds_ct', sa.LargeBinary(), nullable=False),
    sa.Column('decision_notes_ct', sa.LargeBinary(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_redress_requests_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_redress_requests_decided_by_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['registry_entries.id'], name=op.f('fk_redress_requests_entry_id_registry_entries')),
    sa.ForeignKeyConstraint(['filed_by'], ['users.id'], name=op.f('fk_redress_requests_filed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redress_requests'))
    )
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redress_requests_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redress_requests_status'), ['status'], unique=False)


    create_append_only_triggers(APPEND_ONLY_TABLES)

def downgrade() -> None:
    drop_append_only_triggers(APPEND_ONLY_TABLES)
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redress_requests_status'))
        batch_op.drop_index(batch_op.f('ix_redress_requests_entry_id'))

    op.drop_table('redress_requests')
    with op.batch_alter_table('task_force_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_force_memberships_task_force_id'))
        batch_op.drop_index(batch_op.f('ix_task_force_memberships_official_id'))

    op.drop_table('task_force_memberships')
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_entries_status'))
        batch_op.drop_index(batch_op.f('ix_registry_entries_official_id'))

    op.drop_table('registry_entries')
    with op.batch_alter_table('official_index', schema=None) as batch_op:
        batch_op.drop_index('ix_official_index_lookup')

    op.drop_table('official_index')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluations_official_id'))

    op.drop_table('evaluations')
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employments_official_id'))
        batch_op.drop_index(batch_op.f('ix_employments_agency_id'))

    op.drop_table('employments')
    op.drop_table('user_roles')
    op.drop_table('task_forces')
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officials_owner_agency_id'))

    op.drop_table('officials')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_agency_id'))

    op.drop_table('users')
    op.drop_table('key_secrets')
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_keys_kek_id'))

    op.drop_table('data_keys')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_object_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('agencies')
