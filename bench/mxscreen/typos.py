"""One-edit typos in a name word (MX-SCREEN §3, "typo in a name token")."""

from __future__ import annotations

import random
import unicodedata

_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")
_CONFUSABLE = (
    ("s", "z"),
    ("z", "s"),
    ("c", "s"),
    ("s", "c"),
    ("z", "c"),
    ("b", "v"),
    ("v", "b"),
    ("ll", "y"),
    ("y", "ll"),
    ("i", "y"),
    ("y", "i"),
    ("j", "g"),
    ("g", "j"),
    ("j", "x"),
    ("x", "j"),
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _neighbours(ch: str) -> str:
    for r, row in enumerate(_ROWS):
        i = row.find(ch)
        if i < 0:
            continue
        near = row[max(0, i - 1) : i] + row[i + 1 : i + 2]
        for other in (r - 1, r + 1):
            if 0 <= other < len(_ROWS):
                near += _ROWS[other][max(0, i - 1) : i + 1]
        return near.replace(ch, "")
    return _LETTERS


def _match_case(new: str, like: str) -> str:
    return new.upper() if like.isupper() else new


def keyboard(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    base = unicodedata.normalize("NFKD", word[i].lower())[0]
    return word[:i] + _match_case(rng.choice(_neighbours(base)), word[i]) + word[i + 1 :]


def confusable(word: str, rng: random.Random) -> str:
    lower = word.lower()
    options = [(a, b) for a, b in _CONFUSABLE if a in lower[1:] or lower.startswith(a)]
    if lower[0] in "aeiou":
        options.append(("", "h"))
    if lower.startswith("h"):
        options.append(("h", ""))
    if not options:
        return keyboard(word, rng)
    a, b = rng.choice(options)
    if a == "":
        return "H" + word if word[0].isupper() else "h" + word
    at = lower.find(a)
    repl = b.capitalize() if at == 0 and word[0].isupper() else b
    return word[:at] + repl + word[at + len(a) :]


def insertion(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) + 1)
    return word[:i] + rng.choice(_LETTERS) + word[i:]


def deletion(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :]


def transposition(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


KINDS = (keyboard, confusable, insertion, deletion, transposition)


def typo(word: str, rng: random.Random) -> str:
    """The word with one edit of a random kind (unchanged words are retried)."""
    if len(word) < 3:
        return word
    for _ in range(10):
        new = rng.choice(KINDS)(word, rng)
        if new != word:
            return new
    return word
