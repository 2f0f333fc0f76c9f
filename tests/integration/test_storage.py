"""What lands on disk: ciphertext only, bound to its row."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from registry.config import Settings
from registry.context import RegistryContext
from registry.errors import DecryptionFailed
from registry.policy import Actor
from registry.services.accounts import actor_by_username
from registry.services.entries import EntryInput, list_entry
from registry.services.officials import OfficialInput, get_official, register_official
from tests.conftest import Database
from tests.factories import build_world

PEOPLE = [
    OfficialInput(
        "Xochiquetzal Itzel", "Cuauhtémoc", "Tezcatlipoca", "1981-06-15", "M", "CUTX810615MDFHZC09"
    ),
    OfficialInput("Bartholomew Quentin", "Zebrowski", None, "1975-09-21", "H", None),
]
SECRETS = [
    "Xochiquetzal",
    "XOCHIQUETZAL",
    "Cuauht",
    "CUAUHT",
    "Tezcatlipoca",
    "TEZCATLIPOCA",
    "CUTX810615",
    "1981-06-15",
    "Bartholomew",
    "Zebrowski",
    "ZEBROWSKI",
    "1975-09-21",
    "soborno de la banda",
]


def _populate(settings: Settings) -> RegistryContext:
    ctx = RegistryContext.open(settings)
    world = build_world(ctx, Actor.system_operator("tests"))
    officer = world.mx_officer
    for n, data in enumerate(PEOPLE):
        official_id = register_official(ctx.uow(), officer, data)
        list_entry(
            ctx.uow(),
            officer,
            EntryInput(
                official_id=official_id,
                reason="expelled_corruption",
                case_ref=f"GN-{n}",
                legal_basis="LGSNSP art. 88",
                effective_date="2025-01-10",
                narrative="Recibió un soborno de la banda en 2024.",
            ),
        )
    return ctx


def _database_bytes(settings: Settings, fresh_db: Database) -> bytes:
    if fresh_db.backend == "sqlite":
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    url = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--no-owner", url], check=True, capture_output=True).stdout


def test_database_holds_no_plaintext_personal_data(instance: Settings, fresh_db: Database) -> None:
    ctx = _populate(instance)
    ctx.close()
    dump = _database_bytes(instance, fresh_db)
    assert len(dump) > 10_000
    found = [s for s in SECRETS if s.encode() in dump or s.encode("utf-16-le") in dump]
    assert found == []


def test_ciphertext_moved_to_another_row_fails_clearly(instance: Settings) -> None:
    ctx = _populate(instance)
    with ctx.engine.begin() as conn:
        rows = conn.execute(
            text("SELECT id, given_names_ct FROM officials ORDER BY created_at")
        ).all()
        conn.execute(
            text("UPDATE officials SET given_names_ct = :ct WHERE id = :id"),
            {"ct": rows[0][1], "id": rows[1][0]},
        )
    officer = actor_by_username(ctx.uow(), "mx.vettingofficer")
    with pytest.raises(
        DecryptionFailed, match=r"officials\.given_names of record .* does not authenticate"
    ):
        get_official(ctx.uow(), officer, uuid.UUID(str(rows[1][0])))
    ctx.close()


def test_embedded_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    from registry.migrate import upgrade

    database = tmp_path / "instance" / "vetreg.sqlite3"
    upgrade(f"sqlite:///{database}")
    assert database.stat().st_mode & 0o777 == 0o600
    assert database.parent.stat().st_mode & 0o777 == 0o700
