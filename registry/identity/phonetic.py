"""A phonetic key for Spanish (Mexican) names.

Folds spellings that sound alike in Mexican Spanish: b/v/w, s/z and c before e/i,
ll/y (and i before a consonant), a silent h, g and x before e/i with j, qu/k/c hard,
ph with f, doubled letters. Vowels and the initial consonant are kept, so surnames
that differ in sound stay apart: HERNANDEZ -> ERNANDES but FERNANDEZ -> FERNANDES,
GOMEZ -> GOMES but GAMEZ -> GAMES.
"""

from __future__ import annotations

from functools import lru_cache

from registry.identity.text import fold

_VOWELS = frozenset("AEIOU")
_FRONT = frozenset("EI")
_SIMPLE = str.maketrans({"V": "B", "W": "B", "Z": "S", "X": "J", "K": "K", "Q": "K"})


def _digraph(word: str, i: int) -> tuple[str, int]:
    """The code for the sound starting at word[i] and how many letters it used."""
    ch = word[i]
    nxt = word[i + 1] if i + 1 < len(word) else ""
    after = word[i + 2] if i + 2 < len(word) else ""
    if ch == "C":
        if nxt == "H":
            return "C", 2
        return ("S", 1) if nxt in _FRONT else ("K", 1)
    if ch in "QG" and nxt == "U" and after in _FRONT:
        return ("K" if ch == "Q" else "G"), 2
    if ch == "G":
        return ("J", 1) if nxt in _FRONT else ("G", 1)
    if ch == "P" and nxt == "H":
        return "F", 2
    if ch == "L" and nxt == "L":
        return "Y", 2
    if ch == "N" and nxt == "Y" and after in _VOWELS:
        return "N", 2
    if ch == "Y":
        return ("Y", 1) if nxt in _VOWELS else ("I", 1)
    if ch == "H":
        return "", 1
    return ch.translate(_SIMPLE), 1


@lru_cache(maxsize=1 << 16)
def phonetic_key(word: str) -> str:
    """Phonetic key of a name (any case, accents allowed); spaces are ignored."""
    letters = fold(word).replace(" ", "")
    codes: list[str] = []
    i = 0
    while i < len(letters):
        code, used = _digraph(letters, i)
        i += used
        if code and (not codes or codes[-1] != code):
            codes.append(code)
    return "".join(codes)
