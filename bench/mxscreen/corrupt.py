"""Corruption engine: turns a true person into the record a source would hold.

`choose` draws the corruptions of one record (independently, at the profile's
rates, among those that apply to the person; at most `max_corruptions` that are
not cosmetic; an explicit clean subset gets none). `apply` performs them in a
fixed order and returns the names of those that took effect.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.mxscreen import curp_ops, operations
from bench.mxscreen import names_data as data
from bench.mxscreen.config import COSMETIC, Population, Preset, ProfileRates
from bench.mxscreen.population import NameTables, Person
from registry.identity import Identity

_DOB = ("dob_swap", "dob_digit", "dob_year", "dob_missing", "dob_placeholder")
_CURP = ("curp_typo", "curp_relative", "curp_outdated")


@dataclass
class Draft:
    """A record being corrupted; `given` holds name units."""

    given: list[str]
    paternal: str | None
    maternal: str | None
    birth_date: datetime.date | None
    sex: str | None
    curp: str | None = None

    @classmethod
    def of(cls, p: Person) -> Draft:
        return cls(list(p.given), p.paternal, p.maternal, p.birth_date, p.sex)

    def identity(self) -> Identity:
        return Identity(
            " ".join(self.given),
            self.paternal,
            self.maternal,
            self.birth_date,
            self.sex,
            self.curp,
        )


@dataclass
class Context:
    """What a corruption may draw on."""

    person: Person
    rng: random.Random
    tables: NameTables
    population: Population
    rates: ProfileRates
    relative_curps: list[str] = field(default_factory=list)
    typos: int = 0
    passing_share: float = 0.2


def _particle_holder(p: Person) -> bool:
    names = (p.paternal, p.maternal, *p.given[1:])
    return any(operations.is_particle(n) for n in names)


def _applicable(p: Person, rates: ProfileRates) -> dict[str, float]:
    words = list(p.given)
    out = {
        "accent_loss": rates.accent_loss,
        "punct_noise": rates.punct_noise,
        "dob_digit": rates.dob_digit,
        "dob_year": rates.dob_year,
        "dob_missing": rates.dob_missing,
        "dob_placeholder": rates.dob_placeholder,
        "sex_wrong": rates.sex_wrong,
        "fields_swapped": rates.fields_swapped,
        "given_abbreviated": rates.given_abbreviated
        if any(w.split()[-1] in data.ABBREVIATIONS for w in words)
        else 0.0,
        "nickname": rates.nickname if any(w in data.NICKNAMES for w in words) else 0.0,
        "anglicised": rates.anglicised if any(w in data.ANGLICISED for w in words) else 0.0,
        "married_name": rates.married_name if p.sex == "M" else 0.0,
        "particle_handling": rates.particle_handling if _particle_holder(p) else 0.0,
    }
    if len(p.given) > 1:
        out["second_given_dropped"] = rates.second_given_dropped
        out["second_given_initial"] = rates.second_given_initial
    if p.lead:
        out["lead_dropped"] = rates.lead_dropped
    if p.maternal:
        for name in (
            "maternal_dropped",
            "surnames_swapped",
            "surnames_one_field",
            "paternal_as_middle",
        ):
            out[name] = getattr(rates, name)
    if p.birth_date.day <= 12 and p.birth_date.day != p.birth_date.month:
        out["dob_swap"] = rates.dob_swap
    return out


def _typo_count(p: Person, rates: ProfileRates, preset: Preset, rng: random.Random) -> int:
    words = [w for u in p.given for w in u.split()]
    words += (p.paternal or "").split() + (p.maternal or "").split()
    hits = sum(rng.random() < rates.name_typo_per_token for w in words if len(w) >= 3)
    return min(hits, preset.max_typos)


def choose(
    p: Person, rates: ProfileRates, preset: Preset, curp_supplied: bool, rng: random.Random
) -> tuple[list[str], int]:
    """The corruptions drawn for one record, and how many name words get a typo."""
    if rng.random() < preset.clean_share:
        return [], 0
    drawn = [name for name, rate in _applicable(p, rates).items() if rng.random() < rate]
    dobs = [d for d in drawn if d in _DOB]
    drawn = [d for d in drawn if d not in _DOB] + ([rng.choice(dobs)] if dobs else [])
    if curp_supplied:
        subs = [c for c in _CURP if rng.random() < getattr(rates, c)]
        drawn += [rng.choice(subs)] if subs else []
    typos = _typo_count(p, rates, preset, rng)
    if typos:
        drawn.append("name_typo")
    cosmetic = [d for d in drawn if d in COSMETIC]
    substantive = [d for d in drawn if d not in COSMETIC]
    if len(substantive) > preset.max_corruptions:
        substantive = rng.sample(substantive, preset.max_corruptions)
    return cosmetic + substantive, typos if "name_typo" in substantive else 0


Operation = Callable[[Draft, Context], bool]
# Order of application: given-name content, surname content, typos, field layout, looks.
ORDER: tuple[tuple[str, Operation], ...] = (
    ("lead_dropped", operations.lead_dropped),
    ("second_given_dropped", operations.second_given_dropped),
    ("second_given_initial", operations.second_given_initial),
    ("nickname", operations.nickname),
    ("anglicised", operations.anglicised),
    ("given_abbreviated", operations.given_abbreviated),
    ("married_name", operations.married_name),
    ("particle_handling", operations.particle_handling),
    ("name_typo", operations.name_typo),
    ("maternal_dropped", operations.maternal_dropped),
    ("surnames_swapped", operations.surnames_swapped),
    ("surnames_one_field", operations.surnames_one_field),
    ("paternal_as_middle", operations.paternal_as_middle),
    ("fields_swapped", operations.fields_swapped),
    ("dob_swap", operations.dob_swap),
    ("dob_digit", operations.dob_digit),
    ("dob_year", operations.dob_year),
    ("dob_missing", operations.dob_missing),
    ("dob_placeholder", operations.dob_placeholder),
    ("sex_wrong", operations.sex_wrong),
    ("curp_typo", curp_ops.curp_typo),
    ("curp_relative", curp_ops.curp_relative),
    ("curp_outdated", curp_ops.curp_outdated),
    ("accent_loss", operations.accent_loss),
    ("punct_noise", operations.punct_noise),
)


def apply(draft: Draft, chosen: list[str], ctx: Context) -> list[str]:
    """Perform the chosen corruptions in order; return those that took effect."""
    wanted = set(chosen)
    return [name for name, op in ORDER if name in wanted and op(draft, ctx)]


@dataclass(frozen=True)
class Corrupted:
    """A source's record of a person, with what was done to it."""

    identity: Identity
    corruptions: tuple[str, ...]
    curp_supplied: bool


def corrupt(
    p: Person,
    rates: ProfileRates,
    preset: Preset,
    ctx_args: tuple[random.Random, NameTables, list[str]],
) -> Corrupted:
    """Draw and apply one source profile's corruptions to a person."""
    rng, tables, relative_curps = ctx_args
    supplied = p.curp is not None and rng.random() < rates.curp_supplied
    chosen, typos = choose(p, rates, preset, supplied, rng)
    draft = Draft.of(p)
    draft.curp = p.curp if supplied else None
    ctx = Context(
        p,
        rng,
        tables,
        preset.population,
        rates,
        relative_curps,
        typos,
        preset.curp_typo_passing_share,
    )
    done = apply(draft, chosen, ctx)
    return Corrupted(draft.identity(), tuple(done), supplied)


def registry_copy(p: Person, preset: Preset, rng: random.Random, tables: NameTables) -> Identity:
    """The registry's "official" record: 2 % accent loss and 0.5 % typo by default."""
    draft = Draft.of(p)
    draft.curp = p.curp
    chosen = []
    if rng.random() < preset.registry_accent_loss:
        chosen.append("accent_loss")
    if rng.random() < preset.registry_typo:
        chosen.append("name_typo")
    if chosen:
        ctx = Context(p, rng, tables, preset.population, preset.mx, typos=1)
        apply(draft, chosen, ctx)
    return draft.identity()
