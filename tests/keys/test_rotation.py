"""KEK and blind-index rotation on a real instance: nothing lost, lookups keep working."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select, update

from registry.config import Settings
from registry.context import LOADED_STATES, RegistryContext
from registry.errors import PermissionDenied
from registry.identity import BLOCKING_SCHEME, Identity, blocking_keys, normalise
from registry.models import AuditEvent, DataKey, KeySecret, Official, OfficialIndex
from registry.policy import Actor
from registry.services import keys
from registry.services.entries import get_entry
from registry.services.key_status import key_status
from registry.services.officials import (
    OfficialInput,
    find_by_curp,
    get_official,
    register_official,
    update_official,
)
from registry.services.screening import ScreeningInput, screen
from registry.vault import Vault, text_date
from tests.factories import World, listed
from tests.keys.worker import _curp, populate

CURPS = [_curp(n) for n in range(6)]


def decrypt_all(ctx: RegistryContext) -> dict[uuid.UUID, str]:
    """Every official's given names, decrypted (a test-side check, not an audited read)."""
    with ctx.session_factory() as session:
        vault = Vault(session, ctx.keyring)
        return {o.id: vault.open(o, "given_names") or ""
                for o in session.scalars(select(Official))}


def identity_of(vault: Vault, official: Official) -> Identity:
    """The official's identity through the vault, as every other service reads it."""
    v = vault.open_all(official)
    return Identity(v["given_names"] or "", v["paternal_surname"], v["maternal_surname"],
                    text_date(v["birth_date"]), v["sex"], v["curp"])


class Stopped(Exception):
    """Stands for the death of a rotation process."""


def stop(_done: int, _total: int) -> None:
    raise Stopped


Digests = set[tuple[str, int]]


def index_digests(ctx: RegistryContext, official_id: uuid.UUID, version: int) -> Digests:
    with ctx.session_factory() as session:
        rows = session.execute(select(OfficialIndex.kind, OfficialIndex.digest).where(
            OfficialIndex.official_id == official_id, OfficialIndex.key_version == version))
        return {(kind, digest) for kind, digest in rows}


def expected_digests(ctx: RegistryContext, official_id: uuid.UUID, version: int) -> Digests:
    with ctx.session_factory() as session:
        official = session.get(Official, official_id)
        assert official is not None
        identity = identity_of(Vault(session, ctx.keyring), official)
    return {(kind, ctx.keyring.blind_index(kind, parts, version))
            for kind, parts in blocking_keys(normalise(identity))}


def actions(ctx: RegistryContext) -> list[str]:
    with ctx.session_factory() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def register_with_curps(ctx: RegistryContext, officer: Actor) -> list[uuid.UUID]:
    return [register_official(ctx.uow(), officer, OfficialInput(
        f"Persona {n}", "Núñez", "de la Peña", "1985-01-15", "H", curp))
        for n, curp in enumerate(CURPS)]


def test_kek_rotation_rewraps_every_key_and_retires_the_old_one(
    registry: RegistryContext, people: World, operator: Actor
) -> None:
    populate(registry, 90)
    official_id = register_with_curps(registry, people.mx_officer)[0]
    entry_id = listed(registry, people.mx_officer, official_id)
    before = decrypt_all(registry)
    old = registry.provider.kek_ids()
    seen: list[tuple[int, int]] = []

    report = keys.rotate_kek(registry, operator, batch_size=7,
                             progress=lambda done, total: seen.append((done, total)))

    target = report.rotation.target
    assert report.retired == tuple(old) and registry.provider.kek_ids() == [target]
    assert not report.resumed and report.rotation.state == "finished"
    with registry.session_factory() as session:
        assert set(session.scalars(select(DataKey.kek_id).distinct())) == {target}
        assert set(session.scalars(select(KeySecret.kek_id).where(
            KeySecret.state.in_(LOADED_STATES)))) == {target}
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == seen[-1][1]
    assert decrypt_all(registry) == before
    assert get_entry(registry.uow(), people.mx_officer, entry_id).narrative
    assert {"keys.rotation_start", "keys.kek_retire", "keys.rotation_finish"} <= set(
        actions(registry))
    fresh = RegistryContext.open(registry.settings)  # a restarted server needs only the new KEK
    try:
        assert decrypt_all(fresh) == before
    finally:
        fresh.close()


def test_kek_rotation_rewraps_a_key_written_behind_its_batches(
    registry: RegistryContext, people: World, operator: Actor
) -> None:
    """Batches go in id order; a key left under an old KEK behind them (a process that had not
    seen the new KEK yet) is found by the final check, re-wrapped, and the old KEK retired."""
    populate(registry, 30)
    old = registry.provider.kek_ids()
    behind = uuid.UUID(int=1)  # sorts before every generated id

    def write_behind(done: int, _total: int) -> None:
        if done == 10:
            with registry.session_factory() as session:
                session.add(DataKey(id=behind, kek_id=old[0],
                                    wrapped=registry.provider.wrap(old[0], bytes(32))))
                session.commit()

    report = keys.rotate_kek(registry, operator, batch_size=10, progress=write_behind)

    target = report.rotation.target
    assert report.retired == tuple(old) and report.rotation.done == 31
    with registry.session_factory() as session:
        assert set(session.scalars(select(DataKey.kek_id).distinct())) == {target}
        row = session.get(DataKey, behind)
        assert row is not None and row.wrapped is not None
        assert registry.provider.unwrap(target, row.wrapped) == bytes(32)


def test_index_rotation_every_lookup_still_finds_its_record(
    registry: RegistryContext, people: World, operator: Actor
) -> None:
    populate(registry, 80)
    with_curp = register_with_curps(registry, people.mx_officer)

    report = keys.rotate_index(registry, operator, batch_size=13)

    assert report.rotation.source == "1" and report.rotation.target == "2"
    assert report.retired == ("blind_index-1",)
    assert registry.keyring.index_version() == 2
    for official_id in decrypt_all(registry):
        stored = index_digests(registry, official_id, 2)
        assert stored and stored == expected_digests(registry, official_id, 2)
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).where(OfficialIndex.key_version == 1)) == 0
        old = session.get(KeySecret, ("blind_index", 1))
        assert old is not None and old.state == "retired" and old.wrapped == b""
    for official_id, curp in zip(with_curp, CURPS, strict=True):
        uow = registry.uow()
        with uow:
            found = find_by_curp(uow, curp)
            assert found is not None and found.id == official_id
    status = key_status(registry, operator)
    versions = [(s.version, s.state) for s in status.secrets if s.purpose == "blind_index"]
    assert versions == [(1, "retired"), (2, "active")]
    assert status.secrets[0].index_rows == 0 and (status.secrets[1].index_rows or 0) > 80


def test_lookups_use_the_old_index_until_the_switch_and_late_writes_are_indexed(
    registry: RegistryContext, people: World, operator: Actor
) -> None:
    officer = people.mx_officer
    ids = register_with_curps(registry, officer)
    populate(registry, 20)
    # A run stopped after its first batch of version 2 (as after a crash).
    with pytest.raises(Stopped):
        keys.rotate_index(registry, operator, batch_size=12, progress=stop)
    other = RegistryContext.open(registry.settings)  # another server process
    try:
        assert other.keyring.index_version() == 1 and other.keyring.index_versions() == [1]
        for official_id, curp in zip(ids, CURPS, strict=True):
            uow = other.uow()
            with uow:
                found = find_by_curp(uow, curp)
                assert found is not None and found.id == official_id
        # Writes while the index is being built: a new official, and a renamed one already built.
        late = register_official(other.uow(), officer, OfficialInput(
            "Tardío", "Escritor", None, "1990-02-02", "M", _curp(99)))
        assert index_digests(registry, ids[0], 2)
        renamed = get_official(other.uow(), officer, ids[0])
        update_official(other.uow(), officer, ids[0], renamed.version, OfficialInput(
            "Persona Renombrada", "Ibarra", "Soto", "1985-01-15", "H", CURPS[0]))
    finally:
        other.close()

    report = keys.rotate_index(registry, operator, batch_size=5)

    assert report.resumed
    assert index_digests(registry, late, 2) == expected_digests(registry, late, 2)
    assert index_digests(registry, ids[0], 2) == expected_digests(registry, ids[0], 2)
    assert decrypt_all(registry)[ids[0]] == "Persona Renombrada"
    uow = registry.uow()
    with uow:
        found = find_by_curp(uow, _curp(99))
        assert found is not None and found.id == late


def test_an_official_written_after_both_passes_is_indexed_at_the_switch(
    registry: RegistryContext, people: World, operator: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(registry, 30)
    switch, late = keys._switch_index, []

    def write_then_switch(ctx: RegistryContext, actor: Actor, rotation_id: uuid.UUID,
                          size: int) -> None:
        late.append(register_official(ctx.uow(), people.mx_officer, OfficialInput(
            "Última", "Llegada", None, "1991-03-03", "M", _curp(77))))
        switch(ctx, actor, rotation_id, size)

    monkeypatch.setattr(keys, "_switch_index", write_then_switch)
    report = keys.rotate_index(registry, operator, batch_size=7)

    assert report.rotation.done == 31
    assert index_digests(registry, late[0], 2) == expected_digests(registry, late[0], 2)
    uow = registry.uow()
    with uow:
        found = find_by_curp(uow, _curp(77))
        assert found is not None and found.id == late[0]


def test_rotation_and_status_need_the_key_permission(
    registry: RegistryContext, people: World
) -> None:
    before = registry.provider.kek_ids()
    for attempt in (keys.rotate_kek, keys.rotate_index, key_status):
        with pytest.raises(PermissionDenied):
            attempt(registry, people.mx_officer)  # type: ignore[operator]
    assert registry.provider.kek_ids() == before
    assert actions(registry).count("keys.rotate_kek") == 1


def test_status_counts_keys_per_version(
    registry: RegistryContext, people: World, operator: Actor
) -> None:
    populate(registry, 15)
    status = key_status(registry, operator)
    assert [(k.kek_id, k.active, k.available, k.data_keys, k.secrets) for k in status.keks] == [
        ("file-1", True, True, 15, 2)]
    assert status.shredded_data_keys == 0 and status.rotations == []
    keys.rotate_kek(registry, operator)
    status = key_status(registry, operator)
    assert [(k.kek_id, k.data_keys) for k in status.keks] == [("file-2", 15)]
    assert [(r.kind, r.state, r.done, r.total) for r in status.rotations] == [
        ("kek", "finished", 15, 15)]


def _screen_entries(ctx: RegistryContext, screener: Actor, query: ScreeningInput) -> set[uuid.UUID]:
    return {h.entry_id for h in screen(ctx.uow(), screener, "HIRING", query).hits}


def test_an_index_built_before_day_names_is_probed_with_names_until_rebuilt(
    registry: RegistryContext, people: World, operator: Actor, instance: Settings
) -> None:
    """An index from before `day_names`/`undated_names` lacks them: lookups under it probe
    every namesake, as before, until `rotate_index` rebuilds it under the current scheme."""
    officer, screener = people.mx_officer, people.actor("MX", "screener")
    undated = listed(registry, officer, register_official(registry.uow(), officer, OfficialInput(
        "Rigoberto", "Alcántar", "Zepeda", None, "H", None)), "GN-OLD-1")
    dated = listed(registry, officer, register_official(registry.uow(), officer, OfficialInput(
        "Anselmo", "Villaseñor", "Quiroga", "1983-06-21", "H", None)), "GN-OLD-2")
    undated_query = ScreeningInput("Rigoberto", "Alcantar", "Zepeda", "1980-02-11", "H")
    year_typo = ScreeningInput("Anselmo", "Villasenor", "Quiroga", "1988-06-21", "H")
    with registry.session_factory.begin() as session:  # the index as the previous release wrote it
        session.execute(delete(OfficialIndex).where(
            OfficialIndex.kind.in_(["day_names", "undated_names"])))
    assert not _screen_entries(registry, screener, undated_query) | _screen_entries(
        registry, screener, year_typo)

    with registry.session_factory.begin() as session:  # what migration 0007 records for it
        session.execute(update(KeySecret).values(blocking_scheme=1))
    old = RegistryContext.open(instance)
    try:
        assert _screen_entries(old, screener, undated_query) == {undated}
        assert _screen_entries(old, screener, year_typo) == {dated}
        keys.rotate_index(old, operator, batch_size=5)
        assert old.keyring.index_schemes == {2: BLOCKING_SCHEME}
        with old.session_factory() as session:
            assert session.scalar(select(func.count()).where(
                OfficialIndex.kind == "undated_names")) == 1
        assert _screen_entries(old, screener, undated_query) == {undated}
        assert _screen_entries(old, screener, year_typo) == {dated}
    finally:
        old.close()
