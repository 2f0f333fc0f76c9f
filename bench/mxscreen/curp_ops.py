"""CURP corruptions: typos (some passing the check digit), a relative's, an outdated one."""

from __future__ import annotations

import datetime
import random
from typing import TYPE_CHECKING

from stdnum.mx.curp import calc_check_digit

from bench.mxscreen.curp_gen import derive_curp
from bench.mxscreen.population import draw_surname, shift_years

if TYPE_CHECKING:
    from bench.mxscreen.corrupt import Context, Draft

_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"  # stdnum's check-digit alphabet
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# 0-based positions whose weight (18 - i) makes some substitutions invisible to the check
# digit: 3 (weight 15) and 13 (weight 5) for even alphabet shifts, 8 (weight 10) for any.
PASSING_POSITIONS = (3, 8, 13)


def _passing_typo(curp: str, rng: random.Random) -> str | None:
    i = rng.choice(PASSING_POSITIONS)
    if i == 8:
        options = [c for c in "0123" if c != curp[8]]
    else:
        here = _ALPHABET.index(curp[i])
        options = [c for c in _LETTERS if c != curp[i] and (_ALPHABET.index(c) - here) % 2 == 0]
    for c in rng.sample(options, len(options)):
        new = curp[:i] + c + curp[i + 1 :]
        if i != 8 or _date_ok(new):
            assert calc_check_digit(new) == new[17]
            return new
    return None


def _date_ok(curp: str) -> bool:
    try:
        datetime.date(2000, int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        return False
    return True


def _any_typo(curp: str, rng: random.Random) -> str:
    i = rng.randrange(18)
    pool = "0123456789" if curp[i].isdigit() else _LETTERS
    return curp[:i] + rng.choice(pool.replace(curp[i], "")) + curp[i + 1 :]


def curp_typo(d: Draft, ctx: Context) -> bool:
    if d.curp is None:
        return False
    new = None
    if ctx.rng.random() < ctx.passing_share:
        new = _passing_typo(d.curp, ctx.rng)
    d.curp = new or _any_typo(d.curp, ctx.rng)
    return True


def curp_relative(d: Draft, ctx: Context) -> bool:
    p = ctx.person
    if p.curp is None or p.state is None:
        return False
    if ctx.relative_curps:
        d.curp = ctx.rng.choice(ctx.relative_curps)
        return True
    given = ctx.tables.given_single(p.sex, ctx.rng)
    dob = shift_years(p.birth_date, ctx.rng.choice((-1, 1)) * ctx.rng.randint(1, 12))
    d.curp = derive_curp(given, p.paternal, p.maternal, dob, p.sex, p.state, ctx.rng)
    return True


def curp_outdated(d: Draft, ctx: Context) -> bool:
    """A CURP issued under an earlier, since corrected, name."""
    p = ctx.person
    if p.curp is None or p.state is None:
        return False
    given, maternal = " ".join(p.given), p.maternal
    for _ in range(20):
        if ctx.rng.random() < 0.5:
            given = ctx.tables.given_single(p.sex, ctx.rng)
        else:
            maternal = draw_surname(ctx.tables, ctx.population, p.state, ctx.rng)
        old = derive_curp(given, p.paternal, maternal, p.birth_date, p.sex, p.state, ctx.rng)
        if old[:16] != p.curp[:16]:
            d.curp = old
            return True
    return False
