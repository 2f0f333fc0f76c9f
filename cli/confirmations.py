"""`vetreg confirmations`: hit-confirmation requests, for the originator and the requester."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from cli.screen import _print_entry, _table, api_errors, client, server_option


def _due(request: dict[str, Any]) -> str:
    if request["status"] != "pending":
        return request["status"]
    due = dt.datetime.fromisoformat(request["due_at"])
    minutes = round((due - dt.datetime.now(dt.UTC)).total_seconds() / 60)
    return f"OVERDUE {-minutes} min" if minutes < 0 else f"due in {minutes} min"


@click.group("confirmations")
def confirmations_group() -> None:
    """Hit confirmations: the originating agency confirms or denies a hit before a deadline."""


@confirmations_group.command("list")
@click.option("--outgoing", is_flag=True, help="Requests your agency sent (default: to answer).")
@click.option("--status", type=click.Choice(["pending", "confirmed", "denied"]),
              help="Only requests in this state.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@server_option
@api_errors
def list_command(outgoing: bool, status: str | None, page: int, server: str) -> None:
    """List requests, the most urgent deadline first."""
    params: dict[str, Any] = {"direction": "outgoing" if outgoing else "incoming", "page": page}
    if status:
        params["status"] = status
    result = client(server).get("/confirmations", params)
    if not result["items"]:
        click.echo("No confirmation requests" + (f" ({status})." if status else "."))
        return
    _table([[r["id"], r["urgency"], _due(r), r["requesting_agency"], r["originating_agency"],
             r["case_ref"], r["level"], "escalated" if r["escalated_at"] else
             ("second request" if r["reminded_at"] else "")] for r in result["items"]],
           ["ID", "URGENCY", "STATE", "FROM", "ORIGINATOR", "CASE", "LEVEL", "NOTE"])
    pages = max(1, -(-result["total"] // result["per_page"]))
    click.echo(f"Page {result['page']} of {pages} ({result['total']} requests).")


def _person(label: str, person: dict[str, Any]) -> None:
    names = " ".join(p for p in (person["given_names"], person["paternal_surname"],
                                 person["maternal_surname"]) if p)
    click.echo(f"  {label:<10} {names} | born {person['birth_date'] or '-'} | "
               f"sex {person['sex'] or '-'} | CURP {person['curp'] or '-'}")


@confirmations_group.command("show")
@click.argument("request_id")
@server_option
@api_errors
def show_command(request_id: str, server: str) -> None:
    """Compare the screened candidate with your record before answering (originator)."""
    review = client(server).get(f"/confirmations/{request_id}/review")
    request = review["request"]
    click.echo(f"Request {request['id']} from {request['requesting_agency']} "
               f"({request['urgency']}, {_due(request)}), case {request['case_ref']}, "
               f"match {request['level']} {request['score']:.2f}")
    _person("candidate", review["candidate"])
    _person("record", review["record"])
    click.echo(f"Answer with: vetreg confirmations answer {request['id']} --confirm|--deny")


@confirmations_group.command("answer")
@click.argument("request_id")
@click.option("--confirm/--deny", "confirm", required=True,
              help="Confirm that the candidate is the listed person, or deny it.")
@server_option
@api_errors
def answer_command(request_id: str, confirm: bool, server: str) -> None:
    """Answer a request as the originating agency's vetting officer."""
    answer = "confirm" if confirm else "deny"
    result = client(server).post(f"/confirmations/{request_id}/answer", {"answer": answer})
    click.echo(f"Request {result['id']}: {result['status']}.")


@confirmations_group.command("status")
@click.argument("request_id")
@server_option
@api_errors
def status_command(request_id: str, server: str) -> None:
    """Your request's state and, once confirmed, the details released to you (requester)."""
    release = client(server).get(f"/confirmations/{request_id}")
    request = release["request"]
    click.echo(f"Request {request['id']} to {request['originating_agency']}: {_due(request)}.")
    click.echo(f"Handling code {release['handling_code']}: {release['caveat']}.")
    if release["official"]:
        _person("person", release["official"])
    if release["entry"]:
        _print_entry(release["entry"])


@confirmations_group.command("escalate")
def escalate_command() -> None:
    """Send second requests and escalate missed deadlines (run on the server every minute)."""
    from cli.common import handle_errors, open_registry, operator
    from registry.services.confirmations import escalate_overdue

    @handle_errors
    def run() -> None:
        steps = escalate_overdue(open_registry().uow(), operator())
        for step in steps:
            click.echo(f"{step.request_id}: {step.action.replace('_', ' ')} "
                       f"({step.agency} -> {step.notified})")
        click.echo(f"{len(steps)} request(s) escalated." if steps else "Nothing overdue.")

    run()
