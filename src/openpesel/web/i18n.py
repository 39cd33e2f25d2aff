"""Polish and English: English is written in the templates, Polish comes from a catalogue.

A hand-kept JSON catalogue rather than gettext: the pages are few, the
catalogue needs no compile step on a fresh machine, and a test checks that
every string the templates and pages use has its Polish translation.
"""

from __future__ import annotations

import json
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
    return lambda text: table.get(text) or english(text)


_SHOUTED = {"pesel": "PESEL", "teryt": "TERYT", "id": "ID", "usc": "USC"}


def english(text: str) -> str:
    """The English of a key: the text itself, or an identifier made readable.

    >>> english("Search"), english("field|mother_pesel"), english("role|usc_registrar")
    ('Search', 'Mother PESEL', 'USC registrar')
    """
    context, _, word = text.rpartition("|")
    if context not in ("field", "kind", "role"):
        return word
    words = [_SHOUTED.get(w, w) for w in word.split("_")]
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
