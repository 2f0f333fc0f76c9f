"""Administration commands: initialisation, schema, agencies, users, tokens, import, demo."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import EXIT_BAD_INPUT, handle_errors, open_registry, operator, settings
from registry import migrate
from registry.audit.config import AuditSettings
from registry.services import accounts, agencies, imports
from registry.services.accounts import actor_by_username
from registry.services.setup import initialise


@click.command()
@handle_errors
def init() -> None:
    """Create the key files (0600) if absent, migrate the database, create key secrets."""
    config = settings()
    report = initialise(config, operator())
    if report.key_file_created:
        click.echo(f"Created key file {config.key_file} (mode 0600). Back it up separately.")
    for purpose in report.secrets_created:
        click.echo(f"Created {purpose} secret.")
    click.echo(f"Database ready at revision {migrate.current_revision(config.database_url)}.")
    audit = AuditSettings.from_env(config)
    if config.key_provider == "file" and not audit.log_key_file.exists():
        audit.load_log_key(create=True)
        click.echo(f"Created audit log key {audit.log_key_file} (mode 0600); public key in "
                   f"{audit.vkey_file}.")


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@handle_errors
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(settings().database_url, revision)
    click.echo(f"Now at {migrate.current_revision(settings().database_url)}.")


@db.command("downgrade")
@click.argument("revision")
@click.confirmation_option(prompt="Downgrading can drop data. Continue?")
@handle_errors
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. -1, or base)."""
    migrate.downgrade(settings().database_url, revision)
    click.echo(f"Now at {migrate.current_revision(settings().database_url) or 'base'}.")


@db.command("current")
@handle_errors
def db_current() -> None:
    """Show the database revision and the latest one available."""
    url = settings().database_url
    current, head = migrate.current_revision(url), migrate.head_revision(url)
    click.echo(f"current: {current or 'none (run vetreg init)'}\nhead:    {head}")


@click.group("agencies")
def agencies_group() -> None:
    """Agencies of both countries."""


@agencies_group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Full name of the agency.")
@click.option("--country", required=True, type=click.Choice(["MX", "US"], case_sensitive=False))
@click.option(
    "--sector",
    required=True,
    type=click.Choice(
        [
            "police",
            "military",
            "justice",
            "prosecution",
            "intelligence",
            "corrections",
            "migration",
            "customs",
            "department",
        ]
    ),
)
@click.option(
    "--level",
    default="federal",
    show_default=True,
    type=click.Choice(["federal", "state", "municipal"]),
)
@click.option("--parent", help="Code of the parent department (e.g. US-DOJ for US-DEA).")
@handle_errors
def agencies_add(
    code: str, name: str, country: str, sector: str, level: str, parent: str | None
) -> None:
    """Add the agency CODE (e.g. MX-GN, US-DEA)."""
    ctx = open_registry()
    agencies.add_agency(
        ctx.uow(),
        operator(),
        code=code,
        name=name,
        country=country,
        sector=sector,
        level=level,
        parent_code=parent,
    )
    click.echo(f"Added agency {code.upper()}.")


@agencies_group.command("list")
@click.option("--country", type=click.Choice(["MX", "US"], case_sensitive=False))
@handle_errors
def agencies_list(country: str | None) -> None:
    """List agencies."""
    rows = agencies.list_agencies(open_registry().uow(), country)
    if not rows:
        click.echo(
            "No agencies yet. Add one with: vetreg agencies add CODE --name ... --country ..."
        )
        return
    click.echo(f"{'CODE':<14} {'CTRY':<4} {'SECTOR':<13} {'LEVEL':<9} {'PARENT':<10} NAME")
    for a in rows:
        click.echo(
            f"{a.code:<14} {a.country.value:<4} {a.sector.value:<13} {a.level.value:<9} "
            f"{a.parent_code or '-':<10} {a.name}"
        )


@click.group("users")
def users_group() -> None:
    """User accounts and roles."""


@users_group.command("add")
@click.argument("username")
@click.option("--agency", required=True, help="Agency code, e.g. MX-GN.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["vetting_officer", "screener", "auditor", "commissioner", "admin"]),
    help="Repeat for several roles.",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters (prompted when omitted).",
)
@handle_errors
def users_add(username: str, agency: str, roles: tuple[str, ...], password: str) -> None:
    """Create the account USERNAME."""
    accounts.add_user(
        open_registry().uow(),
        operator(),
        username=username,
        agency_code=agency,
        roles=roles,
        password=password,
    )
    click.echo(f"Added user {username.lower()} ({', '.join(roles)}) at {agency.upper()}.")


@users_group.command("list")
@click.option("--agency", help="Only users of this agency.")
@handle_errors
def users_list(agency: str | None) -> None:
    """List accounts with their roles and state."""
    rows = accounts.list_users(open_registry().uow(), operator(), agency)
    if not rows:
        click.echo("No users yet. Add one with: vetreg users add USERNAME --agency ... --role ...")
        return
    click.echo(f"{'USERNAME':<24} {'AGENCY':<10} {'STATE':<9} ROLES")
    for u in rows:
        state = "disabled" if u.disabled else "locked" if u.locked else "active"
        click.echo(f"{u.username:<24} {u.agency_code:<10} {state:<9} {', '.join(u.roles)}")


@users_group.command("disable")
@click.argument("username")
@handle_errors
def users_disable(username: str) -> None:
    """Disable an account (its tokens stop working)."""
    accounts.set_user_disabled(open_registry().uow(), operator(), username, True)
    click.echo(f"Disabled {username}.")


@users_group.command("enable")
@click.argument("username")
@handle_errors
def users_enable(username: str) -> None:
    """Re-enable a disabled account."""
    accounts.set_user_disabled(open_registry().uow(), operator(), username, False)
    click.echo(f"Enabled {username}.")


@users_group.command("unlock")
@click.argument("username")
@handle_errors
def users_unlock(username: str) -> None:
    """Release an account locked after 5 failed sign-ins."""
    from registry.services import auth

    auth.unlock_user(open_registry().uow(), operator(), username)
    click.echo(f"Released {username}.")


@users_group.command("disable-inactive")
@handle_errors
def users_disable_inactive() -> None:
    """Disable every account unused for 90 days (run it daily)."""
    from registry.services import auth

    count = auth.disable_inactive_users(open_registry().uow(), operator())
    click.echo(f"Disabled {count} inactive account(s).")


@users_group.command("roles")
@click.argument("username")
@click.option("--grant", multiple=True, help="Role to grant (repeatable).")
@click.option("--revoke", multiple=True, help="Role to revoke (repeatable).")
@handle_errors
def users_roles(username: str, grant: tuple[str, ...], revoke: tuple[str, ...]) -> None:
    """Grant or revoke roles."""
    roles = accounts.change_roles(
        open_registry().uow(), operator(), username, grant=grant, revoke=revoke
    )
    click.echo(f"{username}: {', '.join(roles)}")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for the screening CLI."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A label to recognise the token.")
@click.option("--days", default=90, show_default=True, type=int, help="Validity in days (max 365).")
@handle_errors
def tokens_create(username: str, name: str, days: int) -> None:
    """Create a token for USERNAME; the secret is printed once and never stored."""
    token_id, secret = accounts.create_token(
        open_registry().uow(), operator(), name=name, days=days, username=username
    )
    click.echo(
        f"Token {token_id} for {username}, valid {days} days. Copy it now; it is not shown again:"
    )
    click.echo(secret)


@tokens_group.command("list")
@click.option("--user", "username", help="Only this user's tokens.")
@handle_errors
def tokens_list(username: str | None) -> None:
    """List tokens (prefixes only)."""
    rows = accounts.list_tokens(open_registry().uow(), operator(), username)
    if not rows:
        click.echo("No tokens.")
        return
    for t in rows:
        state = "revoked" if t.revoked else f"expires {t.expires_at:%Y-%m-%d}"
        click.echo(f"{t.id}  {t.username:<20} {t.prefix}…  {t.name:<12} {state}")


@tokens_group.command("revoke")
@click.argument("token_id")
@handle_errors
def tokens_revoke(token_id: str) -> None:
    """Revoke a token at once."""
    accounts.revoke_token(open_registry().uow(), operator(), token_id)
    click.echo(f"Revoked {token_id}.")


@click.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The vetting officer importing the list.")
@click.option("--dry-run", is_flag=True, help="Validate every row; write nothing.")
@click.option("--legal-basis", help="Legal basis for rows without a legal_basis column.")
@click.option(
    "--batch-size",
    default=None,
    type=click.IntRange(1, 10000),
    help="Rows per transaction (default from VETREG_IMPORT_BATCH_SIZE, 2000).",
)
@handle_errors
def import_command(
    csv_file: Path, username: str, dry_run: bool, legal_basis: str | None, batch_size: int | None
) -> None:
    """Import an agency list of failed or expelled officials from CSV_FILE.

    Columns: given_names, paternal_surname, maternal_surname, birth_date (YYYY-MM-DD), sex,
    curp, agency_code, reason, effective_date, case_ref; optional: legal_basis, narrative,
    handling_code, source_reliability, information_reliability. Every row is checked first;
    re-running the same file adds nothing.
    """
    ctx = open_registry()
    actor = actor_by_username(ctx.uow(), username)
    rows = imports.read_csv(csv_file.read_text(encoding="utf-8-sig"))
    with click.progressbar(length=len(rows), label="Importing", file=sys.stderr) as bar:
        report = imports.import_entries(
            ctx.uow,
            actor,
            rows,
            dry_run=dry_run,
            legal_basis=legal_basis,
            batch_size=batch_size or ctx.settings.import_batch_size,
            progress=bar.update,
        )
    for problem in report.problems:
        click.secho(
            f"row {problem.row}, column {problem.field}: {problem.message}", fg="red", err=True
        )
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{report.rows} rows read, {report.valid} valid, {len(report.problems)} problems; "
        f"{verb} {report.valid if dry_run else report.created}"
        + (
            ""
            if dry_run
            else f", {report.already_present} already present, "
            f"{report.officials_created} officials created, "
            f"{report.officials_matched} matched by CURP"
        )
    )
    if report.problems:
        raise SystemExit(EXIT_BAD_INPUT)
