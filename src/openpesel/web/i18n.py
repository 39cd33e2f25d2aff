"""Polish and English: English is written in the templates, Polish comes from a catalogue.

A hand-kept JSON catalogue rather than gettext: the pages are few, the
catalogue needs no compile step on a fresh machine, and a test checks that
every string the templates and pages use has its Polish translation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

LANGUAGES = ("pl", "en")
DEFAULT = "pl"
CATALOGUE = Path(__file__).with_name("pl.json")

Translate = Callable[[str], str]


@cache
def polish() -> dict[str, str]:
    data: dict[str, str] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return data


_SLOT = re.compile(r"\{([a-z_]+)\}")
_WORDS = frozenset({"who", "what", "role", "sex"})
"""Slots whose values are words of the catalogue themselves; other values (numbers,
dates, codes) are shown as the message gave them, or by their ``slot|value`` key."""


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """Catalogue keys with ``{slots}`` as patterns, the most specific first.

    The register, the policy and the number checks write their refusals in
    English with the values filled in ("{pesel} is under 18 on the date of the
    marriage."); their English templates are catalogue keys, so a message is
    translated by matching it, without a code on every exception.
    """
    out = []
    for key, polish_text in polish().items():
        if not _SLOT.search(key) or not _SLOT.sub("", key).strip():
            continue
        parts = _SLOT.split(key)  # literal, slot, literal, slot, ..., literal
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                        for i, p in enumerate(parts))
        out.append((re.compile(regex, re.DOTALL), polish_text, len("".join(parts[::2]))))
    out.sort(key=lambda item: -item[2])
    return [(pattern, text) for pattern, text, _ in out]


def _filled(text: str) -> str | None:
    """A message made from a catalogued template, in Polish, its values translated too.

    >>> _filled("A bank may not administer the audit log.")
    'Bank nie może zarządzać dziennikiem dostępu.'
    """
    table = polish()
    for pattern, polish_text in _patterns():
        found = pattern.fullmatch(text)
        if found:
            values = {k: table.get(f"{k}|{v}") or (table.get(v) if k in _WORDS else None) or v
                      for k, v in found.groupdict().items()}
            return polish_text.format(**values)
    return None


def translator(lang: str) -> Translate:
    """``_("Search")`` in the page's language; an untranslated string stays English.

    A key may carry a context before a bar, for words English spells alike and
    Polish does not: ``civil status|married`` reads "married" in English.

    >>> translator("en")("Search"), translator("pl")("Search")
    ('Search', 'Szukaj')
    >>> translator("en")("civil status|married"), translator("pl")("civil status|married")
    ('married', 'w związku małżeńskim')
    """
    if lang != "pl":
        return english
    table = polish()
    return lambda text: table.get(text) or _filled(text) or english(text)


_SHOUTED = {"pesel": "PESEL", "teryt": "TERYT", "id": "ID", "usc": "USC"}


def english(text: str) -> str:
    """The English of a key: the text itself, or an identifier made readable.

    >>> english("Search"), english("field|mother_pesel"), english("role|usc_registrar")
    ('Search', 'Mother PESEL', 'USC registrar')
    """
    context, _, word = text.rpartition("|")
    if context not in ("field", "kind", "role", "action"):
        return word
    words = [_SHOUTED.get(w, w) for w in word.replace("-", "_").split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def choose(query: str | None, cookie: str | None) -> str:
    """The language asked for in the URL, else the one remembered, else Polish.

    >>> choose("en", "pl"), choose(None, "en"), choose("xx", None)
    ('en', 'en', 'pl')
    """
    for wanted in (query, cookie):
        if wanted in LANGUAGES:
            return wanted
    return DEFAULT
