"""Every use case writes its audit event, in the same transaction, naming actor and object.

Walks the services end to end: accounts and roles, officials (register, read, update),
evaluations, entries, appeals and decisions, task forces, screening, denied attempts, exports
of the audit log itself. Logins and lockouts are covered by the web tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.audit.verify import TrustAnchors
from registry.context import RegistryContext
from registry.errors import PermissionDenied
from registry.policy import Actor, Role
from registry.services import accounts, agencies, audit, officials, redress, screening, taskforces
from registry.services.audit import EventFilters, EventView
from registry.services.entries import get_entry
from registry.services.evaluations import EvaluationInput, record_evaluation
from registry.services.screening import ScreeningInput
from tests.factories import World, failed_evaluation, listed, person, register


class Log:
    """Reads back what each step appended."""

    def __init__(self, ctx: RegistryContext, auditor: Actor) -> None:
        self.ctx, self.auditor = ctx, auditor
        self.seen = self._last_seq()

    def _last_seq(self) -> int:
        page = audit.list_events(self.ctx.uow(), self.auditor, per_page=1)
        return page.items[0].seq if page.items else 0

    def new(self) -> list[EventView]:
        page = audit.list_events(self.ctx.uow(), self.auditor, per_page=200)
        fresh = [e for e in reversed(page.items) if e.seq > self.seen
                 and not e.action.startswith("audit.list")]
        self.seen = self._last_seq()
        return fresh

    def expect(self, step: Callable[[], object], action: str, actor: Actor,
               outcome: str = "success") -> tuple[object, EventView]:
        result = step()
        events = self.new()
        matching = [e for e in events if e.action == action]
        assert matching, f"{action} not audited; got {[e.action for e in events]}"
        event = matching[-1]
        assert event.outcome == outcome
        assert event.actor_user_id == actor.user_id
        assert event.actor_country == (str(actor.country) if actor.country else None)
        return result, event


def test_every_use_case_writes_its_event(
    ctx: RegistryContext, world: World, operator: Actor, tmp_path: Path
) -> None:
    log = Log(ctx, world.actor("US", "auditor"))
    mx = world.mx_officer
    admin = world.actor("MX", "admin")

    _, e = log.expect(lambda: agencies.add_agency(
        ctx.uow(), admin, code="MX-SEMAR", name="Secretaría de Marina", country="MX",
        sector="military", level="federal"), "agency.add", admin)
    _, e = log.expect(lambda: accounts.add_user(
        ctx.uow(), admin, username="mx.new", agency_code="MX-GN", roles=["screener"]),
        "user.add", admin)
    _, e = log.expect(lambda: accounts.change_roles(
        ctx.uow(), admin, "mx.new", grant=["auditor"]), "user.roles", admin)
    assert e.object_type == "user"
    _, e = log.expect(lambda: accounts.set_user_disabled(ctx.uow(), admin, "mx.new", True),
                      "user.disable", admin)
    (token_id, _secret), e = log.expect(lambda: accounts.create_token(
        ctx.uow(), mx, name="cli"), "token.create", mx)
    log.expect(lambda: accounts.revoke_token(ctx.uow(), mx, token_id), "token.revoke", mx)

    official, e = log.expect(lambda: register(ctx, mx), "official.register", mx)
    assert e.object_id == str(official)
    view, e = log.expect(lambda: officials.get_official(ctx.uow(), mx, official),
                         "official.read", mx)
    log.expect(lambda: officials.update_official(
        ctx.uow(), mx, official, view.version, person(0, maternal_surname="López Ruiz")),
        "official.update", mx)
    log.expect(lambda: officials.add_employment(
        ctx.uow(), mx, official, agency_code="MX-GN", position="agente",
        started_on="2020-01-15"), "employment.add", mx)
    log.expect(lambda: failed_evaluation(ctx, mx, official), "evaluation.record", mx)
    entry, e = log.expect(lambda: listed(ctx, mx, official), "entry.create", mx)
    log.expect(lambda: get_entry(ctx.uow(), mx, entry), "entry.read", mx)
    appeal, e = log.expect(lambda: redress.file_redress(
        ctx.uow(), mx, entry, kind="appeal", grounds="La evaluación se hizo sin defensor."),
        "redress.file", mx)
    log.expect(lambda: redress.decide_redress(ctx.uow(), mx, appeal, granted=False,
                                              notes="Sin fundamento."), "redress.decide", mx)

    force, e = log.expect(lambda: taskforces.create_task_force(
        ctx.uow(), mx, code="JTF-NORTE", name="Fuerza de Tarea Norte"), "taskforce.create", mx)
    member = register(ctx, mx, 1)
    record_evaluation(ctx.uow(), mx, EvaluationInput(
        official_id=member, type="recruitment", outcome="pass",
        evaluated_on=ctx.clock().date() - dt.timedelta(days=30),
        components={c: "pass" for c in ("polygraph", "background", "psychological",
                                        "toxicological", "medical")}))
    log.new()
    log.expect(lambda: taskforces.add_member(ctx.uow(), mx, force, member, role="analista"),
               "taskforce.add_member", mx)
    log.expect(lambda: taskforces.remove_member(ctx.uow(), mx, force, member),
               "taskforce.remove_member", mx)

    screener = world.actor("US", "screener")
    candidate = person(0)
    log.expect(lambda: screening.screen(ctx.uow(), screener, "HIRING", ScreeningInput(
        candidate.given_names, candidate.paternal_surname, candidate.maternal_surname,
        candidate.birth_date, candidate.sex)), "screening.run", screener)

    def denied() -> None:
        with pytest.raises(PermissionDenied):
            officials.get_official(ctx.uow(), screener, official)

    _, e = log.expect(denied, "official.read", screener, outcome="denied")
    assert e.object_id == str(official)

    auditor = world.actor("MX", "auditor")
    log.expect(lambda: audit.export_events(ctx.uow(), auditor, EventFilters(action="entry."),
                                           "csv"), "audit.export", auditor)
    anchors = _anchors()
    log.expect(lambda: audit.export_log(ctx.uow(), auditor, tmp_path / "export", anchors),
               "audit.export", auditor)
    log.expect(lambda: audit.verify_log(ctx.uow(), auditor, anchors), "audit.verify", auditor)


def _anchors() -> TrustAnchors:
    from registry.audit.checkpoint import signing_vkey
    from registry.crypto.signing import Ed25519Key

    return TrustAnchors("vetreg.test/audit",
                        signing_vkey(Ed25519Key.generate_in_memory("vetreg.test/audit")))


def test_audit_events_hold_ids_never_identities(ctx: RegistryContext, world: World) -> None:
    official = register(ctx, world.mx_officer)
    officials.get_official(ctx.uow(), world.mx_officer, official)
    text = audit.export_events(ctx.uow(), world.actor("MX", "auditor"), EventFilters(), "jsonl")
    sample = person(0)
    for secret in (sample.given_names, sample.paternal_surname, sample.maternal_surname,
                   str(sample.birth_date)):
        assert secret and secret not in text
    assert str(official) in text


def test_key_changes_are_audited(instance: object) -> None:
    from registry.config import Settings
    from registry.services import keys

    assert isinstance(instance, Settings)
    registry = RegistryContext.open(instance)
    try:
        admin = Actor.system_operator("tests")
        keys.rotate_kek(registry, admin, batch_size=10)
        auditor = Actor(None, "system:auditor", None, None, None,
                        frozenset({Role.AUDITOR}), True)
        actions = [e.action for e in audit.list_events(registry.uow(), auditor,
                                                       EventFilters(action="keys.")).items]
        assert {"keys.init", "keys.rotation_start", "keys.rotation_finish"} <= set(actions)
    finally:
        registry.close()
