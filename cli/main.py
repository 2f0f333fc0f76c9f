"""`vetreg`: the registry's command line."""

from __future__ import annotations

import click

from cli import admin
from cli.audit import audit_group
from cli.confirmations import confirmations_group
from cli.demo import demo
from cli.keys import backup, keys_group, restore, retention_group
from cli.lifecycle import (
    overrides_group,
    recert_group,
    reminders_group,
    revet_group,
    taskforce_group,
)
from cli.screen import login, screen, screen_batch
from cli.serve import serve
from cli.witness import witness_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vetreg")
def cli() -> None:
    """Joint Task-Force Vetting Registry.

    Configuration comes from VETREG_* environment variables (see README).
    Exit codes: 0 success, 1 error, 2 bad input, 3 audit log did not verify, 4 not permitted,
    5 not found, 6 conflict. screen and screen-batch: 0 no hit, 3 hit, 2 bad input, 1 error.
    """


cli.add_command(admin.init)
cli.add_command(admin.db)
cli.add_command(admin.agencies_group)
cli.add_command(admin.users_group)
cli.add_command(admin.tokens_group)
cli.add_command(admin.import_command)
cli.add_command(demo)
cli.add_command(serve)
cli.add_command(audit_group)
cli.add_command(witness_group)
cli.add_command(login)
cli.add_command(screen)
cli.add_command(screen_batch)
cli.add_command(confirmations_group)
cli.add_command(keys_group)
cli.add_command(retention_group)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(recert_group)
cli.add_command(reminders_group)
cli.add_command(revet_group)
cli.add_command(taskforce_group)
cli.add_command(overrides_group)


def main() -> None:
    cli(prog_name="vetreg")
