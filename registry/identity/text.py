"""Accent folding and tokenising of name fields (standard library only)."""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_APOSTROPHES = re.compile(r"['’`´]")
_NOT_LETTER = re.compile(r"[^A-Z]+")
# Letters NFKD leaves whole; mapped by hand so they fold instead of vanishing.
_EXTRA = str.maketrans({"Æ": "AE", "Ø": "O", "Ł": "L", "Đ": "D", "Œ": "OE", "Þ": "TH"})


def fold(text: str) -> str:
    """Upper-case ASCII letters separated by single spaces.

    Accents are stripped (NFKD), Ñ becomes N, a lower-to-upper case change splits a
    word ("HernandezLopez" -> "HERNANDEZ LOPEZ"), apostrophes join ("O'Brien" -> "OBRIEN")
    and any other punctuation or digit separates words.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    split = _CAMEL.sub(" ", stripped)
    joined = _APOSTROPHES.sub("", split)
    upper = joined.upper().translate(_EXTRA)
    return _NOT_LETTER.sub(" ", upper).strip()


def tokens(text: str | None) -> tuple[str, ...]:
    """The folded words of a name field; empty for None or blank."""
    if not text:
        return ()
    return tuple(fold(text).split())
