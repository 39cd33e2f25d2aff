"""Search keys for names: diacritics folded, typos tolerated, no table scans.

A name is folded to lower-case ASCII ("Łukasz Wójcik" -> "lukasz", "wojcik"),
so a clerk without Polish keys still finds the person. Typos are handled by
symmetric deletion (the SymSpell idea): every name in the vocabulary is
stored with the strings made by deleting up to ``max_edits`` letters; a query
token's deletions are looked up by exact match. Two words within that edit
distance share a deletion variant, so the lookup is an index probe whatever
the register's size, on SQLite and PostgreSQL alike.

>>> tokens('Łukasz  Wójcik-Nowak')
['lukasz', 'wojcik', 'nowak']
>>> sorted(variants('ala'))
['aa', 'al', 'ala', 'la']
>>> bool(variants('kowalsky') & variants('kowalski'))
True
"""

from __future__ import annotations

import re
from itertools import combinations

from unidecode import unidecode

_SPLIT = re.compile(r"[^a-z]+")


def tokens(text: str) -> list[str]:
    """Lower-case ASCII words of a name; hyphenated family names count as two words."""
    return [t for t in _SPLIT.split(unidecode(text).lower()) if t]


def max_edits(token: str) -> int:
    """Short names get one typo, longer ones two: 'Ewa' must not match 'Ola'."""
    return 1 if len(token) <= 5 else 2


def variants(token: str) -> set[str]:
    """The token and every string made by deleting up to ``max_edits`` letters."""
    out = {token}
    for k in range(1, min(max_edits(token), len(token) - 1) + 1):
        for drop in combinations(range(len(token)), k):
            out.add("".join(c for i, c in enumerate(token) if i not in drop))
    return out
