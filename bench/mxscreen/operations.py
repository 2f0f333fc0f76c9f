"""The individual corruptions. Each returns True when it changed the draft."""

from __future__ import annotations

import datetime
import unicodedata
from typing import TYPE_CHECKING

from bench.mxscreen import names_data as data
from bench.mxscreen.population import draw_surname
from bench.mxscreen.typos import typo

if TYPE_CHECKING:
    from bench.mxscreen.corrupt import Context, Draft


def is_particle(name: str | None) -> bool:
    """Whether a name starts with "de"/"del" ("de la Cruz", "de los Ángeles")."""
    words = (name or "").split()
    return bool(words) and words[0].lower() in ("de", "del")


def lead_dropped(d: Draft, ctx: Context) -> bool:
    if len(d.given) < 2 or d.given[0] not in ("María", "José"):
        return False
    d.given = d.given[1:]
    return True


def second_given_dropped(d: Draft, ctx: Context) -> bool:
    if len(d.given) < 2:
        return False
    del d.given[1]
    return True


def second_given_initial(d: Draft, ctx: Context) -> bool:
    if len(d.given) < 2 or len(d.given[1]) <= 2:
        return False
    d.given[1] = d.given[1].split()[-1][0] + "."
    return True


def nickname(d: Draft, ctx: Context) -> bool:
    options = [i for i, u in enumerate(d.given) if u in data.NICKNAMES]
    if not options:
        return False
    i = ctx.rng.choice(options)
    nick = ctx.rng.choice(data.NICKNAMES[d.given[i]])
    if i == 1 and d.given[0] in ("María", "José") and ctx.rng.random() < 0.5:
        d.given = [nick, *d.given[2:]]  # "María Guadalupe" -> "Lupe"
    else:
        d.given[i] = nick
    return True


def anglicised(d: Draft, ctx: Context) -> bool:
    options = [i for i, u in enumerate(d.given) if u in data.ANGLICISED]
    if not options:
        return False
    i = ctx.rng.choice(options)
    d.given[i] = data.ANGLICISED[d.given[i]]
    return True


def given_abbreviated(d: Draft, ctx: Context) -> bool:
    options = [i for i, u in enumerate(d.given) if u.split()[-1] in data.ABBREVIATIONS]
    if not options:
        return False
    i = ctx.rng.choice(options)
    words = d.given[i].split()
    words[-1] = data.ABBREVIATIONS[words[-1]]  # "de Jesús" -> "de J."
    d.given[i] = " ".join(words)
    return True


def married_name(d: Draft, ctx: Context) -> bool:
    if d.sex != "M" or not d.paternal:
        return False
    husband = d.paternal
    while husband == d.paternal:
        husband = draw_surname(ctx.tables, ctx.population, None, ctx.rng)
    u = ctx.rng.random()
    if u < 0.5:
        d.maternal = husband
    elif u < 0.75:
        d.paternal, d.maternal = husband, None
    elif d.maternal:
        d.maternal = f"{d.maternal} de {husband}"
    else:
        d.paternal = f"{d.paternal} de {husband}"
    return True


def _split_particle(surname: str) -> tuple[str, str]:
    words = surname.split()
    return " ".join(words[:-1]), words[-1]


def particle_handling(d: Draft, ctx: Context) -> bool:
    rng = ctx.rng
    fields = [f for f in ("paternal", "maternal") if is_particle(getattr(d, f))]
    given_units = [i for i, u in enumerate(d.given) if i > 0 and is_particle(u)]
    if given_units and (not fields or rng.random() < 0.5):
        unit = d.given.pop(given_units[0])  # "de los Ángeles" moves into the surname field
        d.paternal = f"{unit} {d.paternal}" if d.paternal else unit
        return True
    if not fields:
        return False
    name = rng.choice(fields)
    particle, base = _split_particle(getattr(d, name))
    mode = rng.choice(("merged", "truncated", "split"))
    if mode == "merged":
        setattr(d, name, (particle + base).replace(" ", "").capitalize())
    elif mode == "truncated":
        setattr(d, name, base)
    elif name == "paternal":
        d.given.append(particle)
        d.paternal = base
    else:
        d.paternal = f"{d.paternal} {particle}"
        d.maternal = base
    return True


def name_typo(d: Draft, ctx: Context) -> bool:
    slots = [("given", i) for i in range(len(d.given))]
    slots += [(f, 0) for f in ("paternal", "maternal") if getattr(d, f)]
    changed = False
    for _ in range(ctx.typos):
        where, i = ctx.rng.choice(slots)
        value = d.given[i] if where == "given" else getattr(d, where)
        words = value.split()
        long_words = [k for k, w in enumerate(words) if len(w) >= 3]
        if not long_words:
            continue
        k = ctx.rng.choice(long_words)
        words[k] = typo(words[k], ctx.rng)
        new = " ".join(words)
        if where == "given":
            d.given[i] = new
        else:
            setattr(d, where, new)
        changed = True
    return changed


def maternal_dropped(d: Draft, ctx: Context) -> bool:
    if not d.maternal:
        return False
    d.maternal = None
    return True


def surnames_swapped(d: Draft, ctx: Context) -> bool:
    if not d.maternal or not d.paternal:
        return False
    d.paternal, d.maternal = d.maternal, d.paternal
    return True


def surnames_one_field(d: Draft, ctx: Context) -> bool:
    if not d.maternal or not d.paternal:
        return False
    if ctx.rng.random() < 0.5:
        d.paternal = f"{d.paternal}-{d.maternal}"
    else:
        d.paternal = (d.paternal + d.maternal).replace(" ", "")
    d.maternal = None
    return True


def paternal_as_middle(d: Draft, ctx: Context) -> bool:
    if not d.maternal or not d.paternal:
        return False
    d.given.append(d.paternal)
    d.paternal, d.maternal = d.maternal, None
    return True


def fields_swapped(d: Draft, ctx: Context) -> bool:
    if not d.paternal or not d.given:
        return False
    d.given, d.paternal = [d.paternal], " ".join(d.given)
    return True


def _strip(text: str, ctx: Context, ni: bool) -> str:
    if ni:
        text = text.replace("ñ", ctx.rng.choice(("ni", "ny"))).replace("Ñ", "NI")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def accent_loss(d: Draft, ctx: Context) -> bool:
    ni = ctx.rng.random() < ctx.rates.accent_ni
    d.given = [_strip(u, ctx, ni) for u in d.given]
    d.paternal = d.paternal and _strip(d.paternal, ctx, ni)
    d.maternal = d.maternal and _strip(d.maternal, ctx, ni)
    return True


def punct_noise(d: Draft, ctx: Context) -> bool:
    rng = ctx.rng
    kind = rng.choice(("upper", "lower", "spaces", "hyphen", "dots"))
    names = [" ".join(d.given), d.paternal, d.maternal]
    if kind == "upper":
        names = [n and n.upper() for n in names]
    elif kind == "lower":
        names = [n and n.lower() for n in names]
    elif kind == "spaces":
        names = [n and ("  " + n.replace(" ", "  ") + " ") for n in names]
    elif kind == "hyphen":
        names = [n and n.replace(" ", "-") for n in names]
    else:
        names = [n and (n.replace(" ", ". ") + ".") for n in names]
    d.given = [names[0] or ""]
    d.paternal, d.maternal = names[1], names[2]
    return True


def _valid(digits: str) -> datetime.date | None:
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def dob_digit(d: Draft, ctx: Context) -> bool:
    if d.birth_date is None:
        return False
    digits = f"{d.birth_date:%Y%m%d}"
    for _ in range(50):
        i = ctx.rng.randrange(2, 8)
        new = _valid(digits[:i] + ctx.rng.choice("0123456789") + digits[i + 1 :])
        if new is not None and new != d.birth_date:
            d.birth_date = new
            return True
    return False


def dob_swap(d: Draft, ctx: Context) -> bool:
    b = d.birth_date
    if b is None or b.day > 12 or b.day == b.month:
        return False
    d.birth_date = datetime.date(b.year, b.day, b.month)
    return True


def dob_year(d: Draft, ctx: Context) -> bool:
    if d.birth_date is None:
        return False
    b, step = d.birth_date, ctx.rng.choice((-1, 1))
    d.birth_date = b.replace(year=b.year + step, day=min(b.day, 28) if b.month == 2 else b.day)
    return True


def dob_missing(d: Draft, ctx: Context) -> bool:
    d.birth_date = None
    return True


def dob_placeholder(d: Draft, ctx: Context) -> bool:
    if d.birth_date is None or (d.birth_date.month, d.birth_date.day) == (1, 1):
        return False
    d.birth_date = datetime.date(d.birth_date.year, 1, 1)
    return True


def sex_wrong(d: Draft, ctx: Context) -> bool:
    if ctx.rng.random() < 0.5 or d.sex is None:
        d.sex = None
    else:
        d.sex = {"H": "M", "M": "H"}.get(d.sex, ctx.rng.choice("HM"))
    return True
