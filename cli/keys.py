"""Key rotation and status, retention and legal holds, backup and restore."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from cli.common import handle_errors, open_registry, operator, settings
from registry.services import keys as key_service
from registry.services import retention as retention_service
from registry.services.accounts import actor_by_username
from registry.services.backup import create_backup, restore_backup
from registry.services.key_status import key_status


class _Bar:
    """A progress bar on stderr, opened when the total is first known."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                          show_pos=True, show_eta=True)
            self._bar.__enter__()
        self._bar.length = max(self._bar.length or 0, total)
        self._bar.update(done - self._shown)
        self._shown = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@click.group("keys")
def keys_group() -> None:
    """Key-encryption keys and blind-index secrets: rotation and status."""


@keys_group.command("rotate")
@click.option("--kek", "what", flag_value="kek", help="Re-wrap every data key under a new KEK.")
@click.option("--index", "what", flag_value="index",
              help="Rebuild the blind index under a new index secret.")
@click.option("--batch-size", default=key_service.BATCH_SIZE, show_default=True,
              type=click.IntRange(1, 10_000), help="Records per transaction.")
@click.option("--pause", default=0.0, show_default=True, type=click.FloatRange(0, 60),
              help="Seconds to wait between batches, to leave a busy server more room.")
@handle_errors
def keys_rotate(what: str | None, batch_size: int, pause: float) -> None:
    """Rotate keys while the registry keeps serving.

    Safe to interrupt: running the same command again resumes where it stopped. Old keys
    are retired only once no data uses them.
    """
    if what is None:
        raise click.UsageError("choose --kek or --index")
    ctx = open_registry()
    rotate = key_service.rotate_kek if what == "kek" else key_service.rotate_index
    bar = _Bar("Re-wrapping data keys" if what == "kek" else "Rebuilding blind index")
    try:
        report = rotate(ctx, operator(), batch_size=batch_size, progress=bar, pause=pause)
    finally:
        bar.close()
    rotation = report.rotation
    if report.resumed:
        click.echo(f"Resumed the rotation started {rotation.started_at:%Y-%m-%d %H:%M} UTC "
                   f"by {rotation.started_by}.")
    noun = "data keys re-wrapped" if what == "kek" else "officials indexed"
    click.echo(f"Rotated {what} {rotation.source} -> {rotation.target}: {rotation.done} {noun}.")
    click.echo(f"Retired: {', '.join(report.retired) or 'none'}.")
    if what == "kek" and ctx.settings.key_provider == "file":
        click.echo(f"Back up {ctx.settings.key_file} now (see docs/keys.md).")


@keys_group.command("status")
@handle_errors
def keys_status() -> None:
    """KEKs and secret versions in use, with counts per version, and recent rotations."""
    status = key_status(open_registry(), operator())
    click.echo("Key-encryption keys:")
    for kek in status.keks:
        flags = ", ".join(f for f, on in (("active", kek.active),
                                          ("MISSING from provider", not kek.available)) if on)
        click.echo(f"  {kek.kek_id:<16} {kek.data_keys:>9} data keys  {kek.secrets} secrets"
                   + (f"  ({flags})" if flags else ""))
    click.echo(f"  shredded data keys: {status.shredded_data_keys}")
    click.echo("Secrets:")
    for secret in status.secrets:
        rows = "" if secret.index_rows is None else f"  {secret.index_rows} index rows"
        if secret.blocking_scheme is not None and secret.state != "retired":
            rows += f"  scheme {secret.blocking_scheme}" + (
                " (older: 'vetreg keys rotate --index' rebuilds it)" if secret.rebuild_due else "")
        where = "material destroyed" if secret.state == "retired" else f"under {secret.kek_id}"
        click.echo(f"  {secret.purpose:<12} v{secret.version:<3} {secret.state:<9} {where}{rows}")
    click.echo("Rotations:" if status.rotations else "Rotations: none yet")
    for rot in status.rotations:
        when = f"{rot.started_at:%Y-%m-%d %H:%M}"
        click.echo(f"  {when}  {rot.kind:<5} {rot.source} -> {rot.target}  {rot.state:<8} "
                   f"{rot.done}/{rot.total}")


@click.group("retention")
def retention_group() -> None:
    """Retention rules, expiry with crypto-shredding, and legal holds."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be shredded; change nothing.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Evaluate retention as of this date (default: today).")
@handle_errors
def retention_run(dry_run: bool, today: dt.datetime | None) -> None:
    """Expire and crypto-shred every entry past its retention date.

    Entries under appeal or under legal hold are kept. Schedule it daily (see docs/keys.md).
    """
    ctx = open_registry()
    report = retention_service.run_retention(ctx.uow, operator(), dry_run=dry_run,
                                             today=today.date() if today else None)
    verb = "Would shred" if dry_run else "Shredded"
    click.echo(f"{verb} {len(report.shredded)} entries past retention on {report.today}"
               + ("" if dry_run else f" ({report.officials_shredded} identities)") + ".")
    for item in report.shredded:
        identity = f"  identity {item.identity}" if item.identity else ""
        click.echo(f"  {item.entry_id}  {item.agency:<8} {item.reason:<28} "
                   f"retain until {item.retain_until}{identity}")
    if report.kept:
        click.echo(f"Kept {len(report.kept)} entries past retention:")
        for item in report.kept:
            click.echo(f"  {item.entry_id}  {item.agency:<8} {item.kept_because}")
    if report.shredded and not dry_run:
        click.echo("Older backups keep these records readable until the next KEK rotation "
                   "retires the current KEK (vetreg keys rotate --kek).")


@retention_group.command("rules")
@handle_errors
def retention_rules() -> None:
    """Years each reason is kept, by originating country."""
    for rule in retention_service.list_rules(open_registry().uow(), operator()):
        note = "default" if rule.is_default else f"set by {rule.updated_by}"
        click.echo(f"{rule.country}  {rule.reason.value:<30} {rule.years:>2} years  ({note})")


@retention_group.command("set-rule")
@click.argument("reason")
@click.argument("country")
@click.argument("years")
@click.option("--reapply", is_flag=True,
              help="Also move entries that followed the previous rule to the new date.")
@handle_errors
def retention_set_rule(reason: str, country: str, years: str, reapply: bool) -> None:
    """Keep entries of REASON listed in COUNTRY (MX or US) for YEARS after their effective date."""
    moved = retention_service.set_rule(open_registry().uow(), operator(), reason=reason,
                                       country=country, years=years, reapply=reapply)
    click.echo(f"Rule set: {reason} {country.upper()} {years} years"
               + (f"; {moved} entries moved to the new date." if reapply else "."))


_AS = click.option("--as", "username", required=True, help="The vetting officer acting.")


@retention_group.command("hold")
@click.argument("entry_id")
@click.option("--reason", required=True, type=click.Choice(retention_service.HOLD_REASONS),
              help="Why the entry must be kept.")
@click.option("--ref", "reference", required=True, help="Court order or case reference.")
@_AS
@handle_errors
def retention_hold(entry_id: str, reason: str, reference: str, username: str) -> None:
    """Place a legal hold on ENTRY_ID: it is never shredded while the hold stands."""
    ctx = open_registry()
    hold_id = retention_service.place_hold(ctx.uow(), actor_by_username(ctx.uow(), username),
                                           entry_id, reason=reason, reference=reference)
    click.echo(f"Legal hold {hold_id} placed on entry {entry_id}.")


@retention_group.command("release")
@click.argument("hold_id")
@_AS
@handle_errors
def retention_release(hold_id: str, username: str) -> None:
    """Release the legal hold HOLD_ID."""
    ctx = open_registry()
    still = retention_service.release_hold(ctx.uow(), actor_by_username(ctx.uow(), username),
                                           hold_id)
    click.echo("Released." + (" The entry is still held by another hold." if still else ""))


@retention_group.command("holds")
@click.argument("entry_id")
@_AS
@handle_errors
def retention_holds(entry_id: str, username: str) -> None:
    """List the legal holds on ENTRY_ID."""
    ctx = open_registry()
    holds = retention_service.list_holds(ctx.uow(), actor_by_username(ctx.uow(), username),
                                         entry_id)
    if not holds:
        click.echo("No legal holds on this entry.")
    for hold in holds:
        state = "active" if hold.active else f"released {hold.released_at:%Y-%m-%d}"
        click.echo(f"{hold.id}  {hold.reason_code:<18} {hold.reference:<24} "
                   f"placed {hold.placed_at:%Y-%m-%d}  {state}")


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (must not exist).")
@handle_errors
def backup(out: Path) -> None:
    """Write a consistent online snapshot of the database (ciphertext only).

    Keys are not in it: back up the key file or the HSM separately (docs/keys.md).
    """
    ctx = open_registry()
    report = create_backup(ctx, ctx.uow(), operator(), out)
    click.echo(f"Backup written to {report.path} ({report.size} bytes, {report.backend}).")
    click.echo(f"sha256 {report.sha256}")
    click.echo(f"Audit log: {report.audit_events} events, head {report.audit_head}.")
    click.echo(f"Restoring it needs these KEKs: {', '.join(report.kek_ids)}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@handle_errors
def restore(file: Path) -> None:
    """Restore FILE into this instance's empty database, then verify its audit log and keys."""
    report = restore_backup(settings(), file, operator())
    click.echo(f"Restored {report.backend} backup: {report.audit_events} audit events, "
               f"hash chain verified (head {report.audit_head}).")
    if report.upgraded_from:
        click.echo(f"Schema upgraded from revision {report.upgraded_from}.")
    click.echo(f"Keys available: {', '.join(report.kek_ids)}.")
