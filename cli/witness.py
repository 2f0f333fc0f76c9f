"""`vetreg witness`: one country's checkpoint witness, run apart from the registry.

The witness holds its own Ed25519 key and state file; it never opens the registry's database
and the registry never sees its key. Give the registry only the printed verifier key.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import handle_errors
from registry.audit.checkpoint import VerifierKey
from registry.audit.errors import NoteError
from registry.audit.witness import Witness
from registry.crypto.signing import Ed25519FileKey

KEY_OPTION = click.option("--key", "key_file", required=True,
                          type=click.Path(dir_okay=False, path_type=Path),
                          help="The witness's own Ed25519 key file.")


@click.group("witness")
def witness_group() -> None:
    """A country's witness: cosigns audit checkpoints after checking consistency itself."""


@witness_group.command("init")
@KEY_OPTION
@click.option("--name", required=True, help="Key name, e.g. witness.mx.example/audit.")
@handle_errors
def witness_init(key_file: Path, name: str) -> None:
    """Create the witness key file (0600) and print its verifier key for the registry."""
    if key_file.exists():
        raise click.UsageError(f"{key_file} exists; the witness keeps its key for life")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519FileKey.generate(key_file, name)
    click.echo(f"Created {key_file} (mode 0600). Keep it on this machine only.")
    click.echo("Give the registry this verifier key (VETREG_WITNESS_KEYS=<COUNTRY>=<vkey>):")
    click.echo(Witness(key_file.with_suffix(".state"), key).vkey)


@witness_group.command("vkey")
@KEY_OPTION
@handle_errors
def witness_vkey(key_file: Path) -> None:
    """Print the witness's cosignature verifier key."""
    key = Ed25519FileKey.load(key_file)
    click.echo(Witness(key_file.with_suffix(".state"), key).vkey)


def _log_keys(items: tuple[str, ...]) -> dict[str, str]:
    logs: dict[str, str] = {}
    for item in items:
        try:
            key = VerifierKey.parse(item)
        except NoteError as exc:
            raise click.BadParameter(f"{item!r}: {exc}", param_hint="--log-key") from exc
        logs[key.name] = item  # the log key is named after the log's origin
    return logs


@witness_group.command("serve")
@click.option("--country", required=True, type=click.Choice(["MX", "US"], case_sensitive=False))
@KEY_OPTION
@click.option("--state", "state_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="State file: the last checkpoint cosigned per log (evidence kept beside it).")
@click.option("--log-key", "log_keys", multiple=True, required=True, metavar="VKEY",
              help="Verifier key of a log to follow; its name is the log's origin. Repeatable.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8470, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port.")
@handle_errors
def witness_serve(country: str, key_file: Path, state_file: Path, log_keys: tuple[str, ...],
                  host: str, port: int) -> None:
    """Serve c2sp.org/tlog-witness add-checkpoint over HTTP until stopped."""
    from registry.audit.witness_http import make_server

    try:
        key = Ed25519FileKey.load(key_file)
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"cannot read witness key {key_file}: {exc}") from exc
    logs = _log_keys(log_keys)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    witness = Witness(state_file, key, trusted_logs=logs)

    def log(message: str) -> None:
        click.echo(f"[{country.upper()} witness] {message}", err=True)

    server = make_server(witness, logs, host, port, log=log)
    bound_host, bound_port = server.server_address[:2]
    click.echo(f"{country.upper()} witness listening on http://{bound_host}:{bound_port}")
    click.echo(f"vkey {witness.vkey}")
    click.echo(f"following {', '.join(sorted(logs))}; evidence kept in {witness.evidence_dir}")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
