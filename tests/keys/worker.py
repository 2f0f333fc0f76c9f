"""A second registry process for the key-lifecycle tests: populate, or screen and write until told.

Run as `python -m tests.keys.worker COMMAND ...` with the instance's VETREG_* variables set.
It prints one JSON line per result so the test can check every write it made.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import traceback
from pathlib import Path

from registry.config import Settings
from registry.context import RegistryContext
from registry.identity import Identity
from registry.models import Agency
from registry.policy import Actor
from registry.services.accounts import actor_by_username
from registry.services.officials import (
    OfficialInput,
    find_by_curp,
    get_official,
    new_official,
    register_official,
)
from registry.services.screening import ScreeningInput, screen
from registry.uow import UnitOfWork
from tests.factories import build_world

GIVEN = ["María", "José Luis", "Guadalupe", "Juan Carlos", "Ana Sofía", "Pedro", "Itzel", "Raúl"]
SURNAMES = ["Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez",
            "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes"]
OFFICER, SCREENER = "mx.vettingofficer", "mx.screener"


def synthetic(n: int, prefix: str = "P") -> OfficialInput:
    """A distinct synthetic person; the CURP-like value is unique per (prefix, n)."""
    given = f"{GIVEN[n % len(GIVEN)]} {prefix}{n}"
    return OfficialInput(given, SURNAMES[n % len(SURNAMES)], SURNAMES[(n // 7) % len(SURNAMES)],
                         f"{1960 + n % 40}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                         "H" if n % 2 else "M", None,
                         national_ids={"employee_no": f"{prefix}-{n}"})


def populate(ctx: RegistryContext, count: int, batch: int = 250) -> None:
    """Register `count` officials quickly: many per unit of work, each with its audit event."""
    officer = actor_by_username(ctx.uow(), OFFICER)
    for start in range(0, count, batch):
        uow = ctx.uow()
        with uow:
            agency = uow.session.get(Agency, officer.agency_id)
            assert agency is not None
            for n in range(start, min(count, start + batch)):
                data = synthetic(n)
                identity = Identity(data.given_names or "", data.paternal_surname,
                                    data.maternal_surname,
                                    dt.date.fromisoformat(str(data.birth_date)), data.sex, None)
                official = new_official(uow, officer, identity, data.national_ids, agency.id,
                                        agency.country)
                uow.audit.append(officer, "official.register", object_type="official",
                                 object_id=official.id)
            uow.commit()


def churn(ctx: RegistryContext, stop_file: Path, known: list[str],
          listed: OfficialInput | None = None) -> None:
    """Until `stop_file` exists: register, look up by CURP, read back, and screen the `listed`
    person (who must hit); one JSON line per round."""
    officer = actor_by_username(ctx.uow(), OFFICER)
    screener = actor_by_username(ctx.uow(), SCREENER)
    n = 0
    while not stop_file.exists():
        curp = _curp(n)
        data = OfficialInput(f"Trabajador {n}", "Concurrente", "Prueba", "1985-01-15", "H", curp)
        official_id = register_official(ctx.uow(), officer, data)
        found = _find(ctx.uow(), curp)
        view = get_official(ctx.uow(), officer, official_id)
        old = get_official(ctx.uow(), officer, known[n % len(known)]) if known else None
        hit = screen(ctx.uow(), screener, "HIRING", ScreeningInput(
            listed.given_names, listed.paternal_surname, listed.maternal_surname,
            listed.birth_date, listed.sex, listed.curp)).is_hit if listed else None
        print(json.dumps({"id": str(official_id), "curp": curp, "found": found == official_id,
                          "read": view.given_names == data.given_names,
                          "old_read": old is not None, "hit": hit}), flush=True)
        n += 1
        time.sleep(0.01)


def roundtrip(ctx: RegistryContext, n: int) -> None:
    """Register one official, find it by CURP and read it back; print what happened."""
    officer = actor_by_username(ctx.uow(), OFFICER)
    data = OfficialInput(f"Ida Vuelta {n}", "Llave", "Segura", "1985-01-15", "M", _curp(n))
    official_id = register_official(ctx.uow(), officer, data)
    view = get_official(ctx.uow(), officer, official_id)
    print(json.dumps({"id": str(official_id), "found": _find(ctx.uow(), data.curp or "")
                      == official_id, "read": view.given_names == data.given_names,
                      "provider": type(ctx.provider).__name__}), flush=True)


def _find(uow: UnitOfWork, curp: str) -> object:
    with uow:
        official = find_by_curp(uow, curp)
        return official.id if official else None


_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"


def _curp(n: int) -> str:
    """A valid, distinct CURP (check digit computed) for the synthetic worker number n."""
    c = _CONSONANTS
    value = (f"COPT850115HDF{c[n // 400 % 20]}{c[n // 20 % 20]}{c[n % 20]}"
             f"{n // 8000 % 10}")
    total = sum(_CURP_ALPHABET.index(ch) * (18 - i) for i, ch in enumerate(value))
    return value + str((10 - total % 10) % 10)


def main() -> None:
    parser = argparse.ArgumentParser(prog="tests.keys.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    pop = sub.add_parser("populate")
    pop.add_argument("count", type=int)
    pop.add_argument("--world", action="store_true", help="Create agencies and users first.")
    ch = sub.add_parser("churn")
    ch.add_argument("stop_file", type=Path)
    ch.add_argument("--known", nargs="*", default=[])
    ch.add_argument("--listed", help="JSON of an OfficialInput to screen each round.")
    rt = sub.add_parser("roundtrip")
    rt.add_argument("n", type=int)
    args = parser.parse_args()
    ctx = RegistryContext.open(Settings.from_env())
    try:
        if args.command == "populate":
            if args.world:
                build_world(ctx, Actor.system_operator("tests"))
            populate(ctx, args.count)
        elif args.command == "roundtrip":
            roundtrip(ctx, args.n)
        else:
            listed = OfficialInput(**json.loads(args.listed)) if args.listed else None
            churn(ctx, args.stop_file, args.known, listed)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
