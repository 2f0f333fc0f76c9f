"""`vetreg audit` (checkpoints, verification, proofs, exports) and `vetreg witness`.

Exit codes as for every command, plus 3: the log or the export did not verify.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from cli.common import handle_errors, open_registry, operator, settings
from registry.audit.config import AuditSettings, parse_policy
from registry.audit.export import export_anchors, verify_export
from registry.audit.verify import VerificationReport
from registry.context import RegistryContext
from registry.policy import Actor, Role
from registry.services import audit as audit_service
from registry.services import audit_checkpoints
from registry.services.accounts import actor_by_username

EXIT_NOT_VERIFIED = 3
SCHEDULE_HELP = """Schedule it with cron, e.g. every 15 minutes:
  */15 * * * *  vetreg audit checkpoint --quiet
or run it as a long-lived loop: vetreg audit checkpoint --every 900"""

AS_OPTION = click.option(
    "--as", "username", metavar="USERNAME",
    help="Act as this auditor account (default: the local operator, audited as such).")


def _auditor(registry: RegistryContext, username: str | None) -> Actor:
    """The acting auditor: an account, or the local operator holding the database anyway."""
    if username:
        return actor_by_username(registry.uow(), username)
    local = operator()
    return Actor(local.user_id, local.username, None, None, None,
                 frozenset({Role.ADMIN, Role.AUDITOR}), True)


def _audit_settings(registry: RegistryContext | None = None) -> AuditSettings:
    return AuditSettings.from_env(registry.settings if registry else settings())


def _print_report(report: VerificationReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({
            "ok": report.ok, "events": report.events, "seconds": round(report.seconds, 3),
            "problems": [{"kind": p.kind, "position": p.position, "message": p.message}
                         for p in report.problems],
            "checkpoints": [{"number": c.number, "tree_size": c.tree_size, "root": c.root_hex,
                             "signature_ok": c.signature_ok, "root_ok": c.root_ok,
                             "cosigned_by": list(c.cosigned_by), "final": c.final,
                             "missing": list(c.missing)} for c in report.checkpoints],
        }, indent=2))
        return
    click.echo(f"{report.events} events, {len(report.checkpoints)} checkpoints checked in "
               f"{report.seconds:.2f} s.")
    latest = report.latest
    if latest:
        final = "final" if latest.final else f"NOT final (missing: {', '.join(latest.missing)})"
        click.echo(f"Latest checkpoint {latest.number}: size {latest.tree_size}, root "
                   f"{latest.root_hex[:16]}…, cosigned by {', '.join(latest.cosigned_by) or 'none'}"
                   f"; {final}.")
        if report.uncovered:
            click.echo(f"{report.uncovered} newer events are not yet covered by a checkpoint.")
    else:
        click.echo("No checkpoint yet: run 'vetreg audit checkpoint' so others can hold you to it.")
    if report.ok:
        click.secho("OK: the log verifies.", fg="green")
        return
    first = report.first_problem
    assert first is not None
    click.secho(f"FAILED: {first}", fg="red", err=True)
    for problem in report.problems[1:]:
        click.echo(f"  also: {problem}", err=True)
    sys.exit(EXIT_NOT_VERIFIED)


@click.group("audit")
def audit_group() -> None:
    """Tamper-evident audit log: checkpoints, verification, proofs, exports."""


def _witness_clients(config: AuditSettings) -> dict[str, Any]:
    from registry.audit.witness_http import HttpWitness

    return {country: HttpWitness(url) for country, url in config.witness_urls.items()}


def _checkpoint_once(quiet: bool, cosign: bool) -> bool:
    registry = open_registry()
    config = _audit_settings(registry)
    key = config.load_log_key(create=True)
    actor = operator()
    issued = audit_checkpoints.issue_checkpoint(registry.uow(), actor, config, key)
    if not quiet:
        click.echo(f"Checkpoint {issued.number}: size {issued.tree_size}, root {issued.root_hex}")
    clients = _witness_clients(config) if cosign else {}
    if not clients:
        if not quiet and cosign:
            click.echo("No witnesses configured (VETREG_WITNESS_URLS): not cosigned, not final.")
        return True
    report = audit_checkpoints.collect_cosignatures(
        registry.uow(), actor, config, issued.number, clients, issued.tree, key)
    for outcome in report.outcomes:
        if outcome.cosigned:
            if not quiet:
                click.echo(f"  {outcome.country} witness: cosigned")
        else:
            click.secho(f"  {outcome.country} witness refused: {outcome.message}", fg="red",
                        err=True)
    status = report.status
    if status.final:
        if not quiet:
            click.secho(f"Final under policy {'+'.join(config.policy)}.", fg="green")
        return True
    click.secho(f"Not final: missing {', '.join(status.missing)}.", fg="yellow", err=True)
    return False


@audit_group.command("checkpoint", epilog=SCHEDULE_HELP)
@click.option("--cosign/--no-cosign", default=True, show_default=True,
              help="Ask the witnesses in VETREG_WITNESS_URLS to cosign.")
@click.option("--every", type=click.IntRange(10), metavar="SECONDS",
              help="Keep issuing a checkpoint every SECONDS until stopped.")
@click.option("--quiet", is_flag=True, help="Print only problems (for cron).")
@handle_errors
def audit_checkpoint(cosign: bool, every: int | None, quiet: bool) -> None:
    """Sign a checkpoint over every event so far (the log must verify first).

    Creates the log key (0600) at VETREG_LOG_KEY_FILE if absent. Exit 1 when a required
    witness did not cosign (the checkpoint is stored, but not final).
    """
    while True:
        final = _checkpoint_once(quiet, cosign)
        if every is None:
            if not final and cosign and _witness_clients(_audit_settings()):
                sys.exit(1)
            return
        time.sleep(every)


@audit_group.command("verify")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Verify this export folder offline instead of the database.")
@click.option("--log-key", metavar="VKEY", help="Pin the log's verifier key (offline).")
@click.option("--witness-key", "witness_keys", multiple=True, metavar="COUNTRY=VKEY",
              help="Pin a witness's verifier key (offline; repeatable).")
@click.option("--policy", metavar="MX,US", help="Countries needed for finality (offline).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes reading a large log (from 200,000 events) in parallel.")
@AS_OPTION
@handle_errors
def audit_verify(export_dir: Path | None, log_key: str | None, witness_keys: tuple[str, ...],
                 policy: str | None, as_json: bool, workers: int, username: str | None) -> None:
    """Recompute the whole tree and check every checkpoint, signature and cosignature.

    On failure, names the first bad event or checkpoint and exits 3. With --export, needs
    neither the database nor any private key: what the other country's auditors run.
    """
    if export_dir is not None:
        pinned: dict[str, object] = {"log_vkey": log_key}
        if witness_keys:
            pinned["witness_vkeys"] = dict(_pair(item) for item in witness_keys)
        if policy:
            pinned["policy"] = list(parse_policy(policy))
        anchors = export_anchors(export_dir, pinned)
        if not (log_key and witness_keys) and not as_json:
            click.echo("note: keys not pinned with --log-key/--witness-key are taken from the "
                       "export itself; obtain them independently for a strong check.", err=True)
        _print_report(verify_export(export_dir, anchors), as_json)
        return
    registry = open_registry()
    config = _audit_settings(registry)
    anchors = config.anchors(config.load_log_key())
    report = audit_service.verify_log(registry.uow(), _auditor(registry, username), anchors,
                                      workers)
    _print_report(report, as_json)


def _pair(item: str) -> tuple[str, str]:
    country, sep, value = item.partition("=")
    if not sep or not value:
        raise click.BadParameter(f"expected COUNTRY=VKEY, got {item!r}")
    return country.strip().upper(), value.strip()


@audit_group.command("prove")
@click.argument("event")
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
@AS_OPTION
@handle_errors
def audit_prove(event: str, as_json: bool, username: str | None) -> None:
    """Inclusion proof of EVENT (id or seq) against the latest checkpoint."""
    registry = open_registry()
    proof = audit_service.prove_inclusion(registry.uow(), _auditor(registry, username), event)
    if as_json:
        click.echo(json.dumps(proof.to_json(), indent=2))
        return
    click.echo(f"event {proof.seq} ({proof.event_id}) is leaf {proof.leaf_index} of "
               f"checkpoint {proof.checkpoint_number} (size {proof.tree_size})")
    click.echo(f"leaf hash {proof.leaf_hash.hex()}")
    click.echo(f"root      {proof.root_hash.hex()}")
    click.echo(f"proof: {len(proof.hashes)} hashes, {proof.size_bytes} bytes")
    for h in proof.hashes:
        click.echo(f"  {h.hex()}")
    click.echo("checkpoint:")
    click.echo(proof.checkpoint.rstrip("\n"))


@audit_group.command("consistency")
@click.argument("old_size", type=click.IntRange(0))
@click.argument("new_size", type=click.IntRange(0), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
@AS_OPTION
@handle_errors
def audit_consistency(old_size: int, new_size: int | None, as_json: bool,
                      username: str | None) -> None:
    """Consistency proof from OLD_SIZE to NEW_SIZE (default: the latest checkpoint)."""
    registry = open_registry()
    proof = audit_service.prove_consistency(registry.uow(), _auditor(registry, username),
                                            old_size, new_size)
    if as_json:
        click.echo(json.dumps(proof.to_json(), indent=2))
        return
    click.echo(f"size {proof.old_size} root {proof.old_root.hex()}")
    click.echo(f"size {proof.new_size} root {proof.new_root.hex()}")
    click.echo(f"proof: {len(proof.hashes)} hashes")
    for h in proof.hashes:
        click.echo(f"  {h.hex()}")


@audit_group.command("export")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New or empty folder to write the export to.")
@AS_OPTION
@handle_errors
def audit_export(out: Path, username: str | None) -> None:
    """Write events (JSONL), checkpoints and public keys for offline verification; audited."""
    registry = open_registry()
    config = _audit_settings(registry)
    anchors = config.anchors(config.load_log_key())
    summary = audit_service.export_log(registry.uow(), _auditor(registry, username), out, anchors)
    click.echo(f"Exported {summary.events} events and {summary.checkpoints} checkpoints to "
               f"{summary.folder}. Verify with: vetreg audit verify --export {summary.folder}")


@audit_group.command("status")
@AS_OPTION
@handle_errors
def audit_status(username: str | None) -> None:
    """Checkpoint history: signature, root and cosignature status of each."""
    registry = open_registry()
    config = _audit_settings(registry)
    statuses = audit_checkpoints.checkpoint_statuses(
        registry.uow(), _auditor(registry, username), config.anchors(config.load_log_key()))
    if not statuses:
        click.echo("No checkpoints yet. Issue one with: vetreg audit checkpoint")
        return
    click.echo(f"{'#':>5} {'SIZE':>9} {'SIGNED':<7} {'ROOT':<6} {'COSIGNED':<10} FINAL")
    for s in statuses:
        click.echo(f"{s.number:>5} {s.tree_size:>9} {'ok' if s.signature_ok else 'BAD':<7} "
                   f"{'ok' if s.root_ok else 'BAD':<6} {','.join(s.cosigned_by) or '-':<10} "
                   f"{'yes' if s.final else 'no (missing ' + ','.join(s.missing) + ')'}")
