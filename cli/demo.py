"""`vetreg demo`: load demonstration data and print the demo logins."""

from __future__ import annotations

import click

from cli.common import handle_errors, open_registry, operator
from registry.demo import DEMO_PASSWORD, load_demo


@click.command()
@handle_errors
def demo() -> None:
    """Load realistic demo data (synthetic people) if the registry is empty."""
    report = load_demo(open_registry(), operator())
    click.echo("Demo data loaded." if report.created else "Demo data already present.")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for username, agency, roles in report.logins:
        click.echo(f"  {username:<22} {agency:<9} {roles}")
