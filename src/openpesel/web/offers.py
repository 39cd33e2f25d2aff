"""Which events a person's page offers: only those the person can have now.

A newborn's page offering a marriage, a divorce or a sex change invites a
refusal after the clerk has typed the form. The register's rules
(``registry.rules``) remain the authority and still refuse whatever slips
through (a form reached by its address); this only keeps the page's list to
what the person's age and state allow, using the rules' own age arithmetic.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from openpesel.registry import events as ev
from openpesel.registry.rules import (
    ADULT_AGE,
    AFTER_DEATH,
    MARRIAGE_AGE_WITH_CONSENT,
    MIN_FINGERPRINT_AGE,
    age_on,
)

K = ev.Kind

Record = Mapping[str, Any]


def _age(r: Record, today: datetime.date) -> int:
    return age_on(datetime.date.fromisoformat(str(r["birth_date"])), today)


def _valid(documents: Any) -> bool:
    return any(not d.get("invalidated") for d in documents or ())


_WHEN: dict[ev.Kind, Callable[[Record, datetime.date], bool]] = {
    # A woman of 16 may marry with the court's consent (KRO art. 10), which only the form says.
    K.MARRIED: lambda r, t: (_age(r, t) >= (MARRIAGE_AGE_WITH_CONSENT if r.get("sex") == "F"
                                             else ADULT_AGE)
                             and r.get("civil_status") != "married"),
    K.DIVORCED: lambda r, t: r.get("civil_status") == "married",
    K.MARRIAGE_ANNULLED: lambda r, t: r.get("civil_status") == "married",
    K.SPOUSE_DIED: lambda r, t: r.get("civil_status") == "married",
    K.SEX_CHANGED: lambda r, t: _age(r, t) >= ADULT_AGE,
    K.ADOPTED: lambda r, t: _age(r, t) < ADULT_AGE,
    K.PESEL_RESERVED: lambda r, t: _age(r, t) >= ADULT_AGE,
    K.FINGERPRINTS_ENROLLED: lambda r, t: _age(r, t) >= MIN_FINGERPRINT_AGE,
    K.RESIDENCE_DEREGISTERED: lambda r, t: bool(r.get("permanent_residence")
                                                or r.get("temporary_residence")),
    K.STAY_ABROAD_BEGAN: lambda r, t: not r.get("abroad"),
    K.STAY_ABROAD_ENDED: lambda r, t: bool(r.get("abroad")),
    K.ID_CARD_INVALIDATED: lambda r, t: _valid(r.get("id_cards")),
    K.PASSPORT_INVALIDATED: lambda r, t: _valid(r.get("passports")),
    K.CITIZENSHIP_LOST: lambda r, t: bool(r.get("citizenships")),
}

_AFTER_DEATH = AFTER_DEATH | {K.CORRECTED}
"""What may still be written about the dead: what follows from the death (as
``rules.apply`` allows), and corrections of mistaken entries."""


def possible(kind: ev.Kind, record: Record, today: datetime.date) -> bool:
    """Whether ``kind`` can happen to the person of ``record`` now.

    >>> baby = {"birth_date": "2026-01-02", "civil_status": "single"}
    >>> day = datetime.date(2026, 2, 1)
    >>> [possible(k, baby, day) for k in (K.MARRIED, K.DIVORCED, K.SEX_CHANGED, K.NAME_CHANGED)]
    [False, False, False, True]
    """
    if record.get("death_date") and kind not in _AFTER_DEATH:
        return False
    check = _WHEN.get(kind)
    return check is None or check(record, today)
