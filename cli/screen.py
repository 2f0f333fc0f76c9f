"""Agency commands over the HTTP API: login, screen, screen-batch, confirmations.

Exit codes of `screen` and `screen-batch`: 0 no hit, 3 hit, 2 bad input, 1 other error.
"""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from cli.client import DEFAULT_SERVER, SERVER_ENV, ApiError, Client, find_token, save_token

F = TypeVar("F", bound=Callable[..., Any])
EXIT_NO_HIT, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_HIT = 0, 1, 2, 3
PURPOSES = ["HIRING", "PROMOTION", "TASKFORCE", "REVETTING", "INVESTIGATION"]
IDENTITY_COLUMNS = ["given_names", "paternal_surname", "maternal_surname", "birth_date", "sex",
                    "curp"]
EXIT_CODES_HELP = "\b\nExit codes: 0 no hit, 3 hit, 2 bad input, 1 other error."

server_option = click.option(
    "--server", envvar=SERVER_ENV, default=DEFAULT_SERVER, show_default=True,
    help=f"Registry server URL (or {SERVER_ENV}).")


def api_errors(func: F) -> F:
    """Print the server's refusal, naming the field, and exit 2 (bad input) or 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ApiError as exc:
            if exc.problems:
                for p in exc.problems:
                    where = f"row {p['row']}, " if p.get("row") is not None else ""
                    click.secho(f"error: {where}{p.get('field')}: {p.get('message')}", fg="red",
                                err=True)
            else:
                click.secho(f"error: {exc.message}", fg="red", err=True)
            if exc.code == "authentication_failed":
                click.echo("Run 'vetreg login' or set VETREG_TOKEN.", err=True)
            sys.exit(EXIT_BAD_INPUT if exc.bad_input else EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def client(server: str) -> Client:
    token = find_token(server)
    if not token:
        click.secho(f"error: no API token for {server}: run 'vetreg login' or set VETREG_TOKEN",
                    fg="red", err=True)
        sys.exit(EXIT_ERROR)
    api = Client(server, token)
    click.get_current_context().call_on_close(api.close)
    return api


@click.command()
@server_option
@click.option("--token-stdin", is_flag=True, help="Read the token from standard input.")
@api_errors
def login(server: str, token_stdin: bool) -> None:
    """Store an API token (from `vetreg tokens create`) for SERVER, after checking it."""
    token = (sys.stdin.readline() if token_stdin
             else click.prompt("API token", hide_input=True)).strip()
    if not token:
        click.secho("error: token: is required", fg="red", err=True)
        sys.exit(EXIT_BAD_INPUT)
    api = Client(server, token)
    try:
        me = api.get("/me")
    finally:
        api.close()
    path = save_token(server, token)
    click.echo(f"Logged in to {server} as {me['username']} ({me['agency']}, "
               f"{', '.join(me['roles'])}). Token stored in {path}.")


def _identity(given: str | None, paternal: str | None, maternal: str | None,
              birth_date: str | None, sex: str | None, curp: str | None) -> dict[str, str | None]:
    return {"given_names": given, "paternal_surname": paternal, "maternal_surname": maternal,
            "birth_date": birth_date, "sex": sex, "curp": curp}


def _table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    for line in [headers, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip())


def _print_result(result: dict[str, Any]) -> None:
    if result["outcome"] == "no_hit":
        click.secho("NO HIT", fg="green", bold=True, nl=False)
        click.echo(f"  screening {result['screening_id']} ({result['purpose']})")
        return
    click.secho(f"HIT ({len(result['hits'])})", fg="red", bold=True, nl=False)
    click.echo(f"  screening {result['screening_id']} ({result['purpose']})")
    _table([[h["level"], f"{h['score']:.2f}", h["originating_agency"], h["reason"], h["status"],
             h["case_ref"], h["handling_code"], str(h["entry_id"]),
             "yes" if h["detail_available"] else "ask originator"] for h in result["hits"]],
           ["LEVEL", "SCORE", "AGENCY", "REASON", "STATUS", "CASE", "HC", "ENTRY", "DETAIL"])


def _print_entry(entry: dict[str, Any]) -> None:
    click.echo(f"\nEntry {entry['id']} ({entry['originating_agency']}, case {entry['case_ref']})")
    for key in ("reason", "status", "legal_basis", "effective_date", "handling_code",
                "source_reliability", "information_reliability", "retain_until", "narrative"):
        if entry.get(key) is not None:
            click.echo(f"  {key.replace('_', ' ')}: {entry[key]}")


@click.command(epilog=EXIT_CODES_HELP)
@click.option("--given", "given", required=True, help="Given names, e.g. 'José Luis'.")
@click.option("--paternal", required=True, help="Paternal (first) surname.")
@click.option("--maternal", help="Maternal (second) surname, if any.")
@click.option("--birth-date", help="YYYY-MM-DD.")
@click.option("--sex", help="H (male), M (female) or X.")
@click.option("--curp", help="18-character CURP.")
@click.option("--purpose", required=True, type=click.Choice(PURPOSES, case_sensitive=False),
              help="Why you screen (recorded with the screening).")
@click.option("--details", is_flag=True,
              help="Also show each hit's entry detail where policy allows (same country).")
@click.option("--request-confirmation", "urgency", type=click.Choice(["urgent", "routine"]),
              help="Ask the originator of each hit to confirm it (10 min / 1 h deadline).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@server_option
@api_errors
def screen(given: str, paternal: str, maternal: str | None, birth_date: str | None,
           sex: str | None, curp: str | None, purpose: str, details: bool, urgency: str | None,
           as_json: bool, server: str) -> None:
    """Screen one candidate against the registry before hiring or promotion."""
    api = client(server)
    identity = _identity(given, paternal, maternal, birth_date, sex, curp)
    result = api.post("/screenings", {**identity, "purpose": purpose.upper()})
    extra: dict[str, Any] = {"entries": [], "confirmations": []}
    for hit in result["hits"]:
        if details and hit["detail_available"]:
            extra["entries"].append(api.get(f"/entries/{hit['entry_id']}",
                                            {"purpose": purpose.upper()}))
        if urgency:
            extra["confirmations"].append(api.post("/confirmations", {
                "screening_id": result["screening_id"], "entry_id": hit["entry_id"],
                "urgency": urgency, "candidate": identity}))
    if as_json:
        click.echo(json.dumps({**result, **extra}, indent=2, ensure_ascii=False))
    else:
        _print_result(result)
        for entry in extra["entries"]:
            _print_entry(entry)
        for request in extra["confirmations"]:
            click.echo(f"Confirmation requested from {request['originating_agency']}: "
                       f"{request['id']} (due {request['due_at']})")
    sys.exit(EXIT_HIT if result["outcome"] == "hit" else EXIT_NO_HIT)


def _read_rows(reader: csv.DictReader[str],
               errors: list[dict[str, Any]]) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; rows with more cells than the header are reported."""
    rows = []
    width = len(reader.fieldnames or [])
    for record in reader:
        if None in record:
            cells = width + len(record[None])  # type: ignore[index]
            errors.append({"row": reader.line_num, "outcome": "error", "problems": [
                {"field": "row", "message": f"has {cells} cells; the header has {width}"}]})
            continue
        rows.append((reader.line_num, {k: (v or "") for k, v in record.items()}))
    return rows


class _Writer:
    """Writes one output record per input row (JSON lines, or CSV with the best hit)."""

    def __init__(self, handle: IO[str], fmt: str, columns: list[str]) -> None:
        self.handle, self.fmt = handle, fmt
        self.csv = csv.DictWriter(handle, [*columns, "row", "outcome", "level", "score",
                                           "hits", "entry_id", "originating_agency", "case_ref",
                                           "screening_id", "errors"]) if fmt == "csv" else None
        if self.csv:
            self.csv.writeheader()

    def write(self, row: int, original: dict[str, str], result: dict[str, Any]) -> None:
        if self.csv is None:
            self.handle.write(json.dumps({**original, "row": row, **result},
                                         ensure_ascii=False) + "\n")
            return
        best = (result.get("hits") or [{}])[0]
        problems = "; ".join(f"{p['field']}: {p['message']}" for p in result.get("problems", []))
        self.csv.writerow({**original, "row": row, "outcome": result["outcome"],
                           "level": best.get("level", ""), "score": best.get("score", ""),
                           "hits": len(result.get("hits") or []),
                           "entry_id": best.get("entry_id", ""),
                           "originating_agency": best.get("originating_agency", ""),
                           "case_ref": best.get("case_ref", ""),
                           "screening_id": result.get("screening_id", ""), "errors": problems})


@click.command("screen-batch", epilog=EXIT_CODES_HELP + " Bad rows are reported and skipped.")
@click.argument("roster", type=click.File("r", encoding="utf-8-sig"))
@click.option("--purpose", required=True, type=click.Choice(PURPOSES, case_sensitive=False))
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write one record per row to a .jsonl or .csv file (default: JSON lines "
                   "on standard output).")
@click.option("--chunk-size", default=200, show_default=True,
              type=click.IntRange(1, 1000), help="Rows per request.")
@server_option
@api_errors
def screen_batch(roster: IO[str], purpose: str, out: Path | None, chunk_size: int,
                 server: str) -> None:
    """Screen a roster CSV (columns given_names, paternal_surname, maternal_surname,
    birth_date, sex, curp; any other column is carried through to the output)."""
    reader = csv.DictReader(roster)
    columns = list(reader.fieldnames or [])
    missing = [c for c in ("given_names", "paternal_surname") if c not in columns]
    if missing:
        click.secho(f"error: {roster.name}: missing column(s) {', '.join(missing)}; expected "
                    f"{', '.join(IDENTITY_COLUMNS)}", fg="red", err=True)
        sys.exit(EXIT_BAD_INPUT)
    api = client(server)
    fmt = "csv" if out and out.suffix.lower() == ".csv" else "jsonl"
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    writer = _Writer(handle, fmt, columns)
    errors: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    rows = _read_rows(reader, errors)
    for error in errors:
        writer.write(error["row"], {}, error)
    with click.progressbar(length=len(rows), label="Screening", file=sys.stderr) as bar:
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start:start + chunk_size]
            body = {"purpose": purpose.upper(), "rows": [
                {"row": line, **{c: (record.get(c) or None) for c in IDENTITY_COLUMNS}}
                for line, record in chunk]}
            originals = dict(chunk)
            for result in api.post("/screenings/batch", body)["results"]:
                writer.write(result["row"], originals[result["row"]], result)
                if result["outcome"] == "error":
                    errors.append(result)
                else:
                    counts[result["outcome"]] += 1
                    if result["hits"]:
                        counts[result["hits"][0]["level"]] += 1
            bar.update(len(chunk))
    if out:
        handle.close()
    for error in sorted(errors, key=lambda e: e["row"]):
        for p in error["problems"]:
            click.secho(f"row {error['row']}, {p['field']}: {p['message']}", fg="yellow", err=True)
    screened = counts["hit"] + counts["no_hit"]
    levels = ", ".join(f"{level} {counts[level]}" for level in ("exact", "probable", "possible"))
    click.echo(f"{screened + len(errors)} rows: {screened} screened, {counts['hit']} hit(s) "
               f"({levels}), {counts['no_hit']} no hit, {len(errors)} bad row(s) skipped"
               + (f"; results in {out}" if out else ""), err=True)
    sys.exit(EXIT_HIT if counts["hit"] else EXIT_NO_HIT)
