"""Numbers for the event path: new ones from the pools, given ones checked as unused."""

from __future__ import annotations

import datetime
from typing import cast

from openpesel.errors import RegisterError
from openpesel.number import Sex, validate
from openpesel.registry import events as ev
from openpesel.registry.ports import RegisterSession
from openpesel.registry.rules import date_range
from openpesel.registry.state import PersonState


def unused(s: RegisterSession, pesel: str) -> str:
    """A number given from outside (an import, a migration) must be new to the register."""
    number = validate(pesel)
    if s.holder(number) is not None:
        raise RegisterError(
            f"PESEL {number} has already been issued; numbers are never reused.")
    return number


def allocate(s: RegisterSession, born: datetime.date, precision: str, sex: Sex,
             check_later: bool = False) -> str:
    """A new number on the first day of the known birth period with one free."""
    first, last = date_range(born, precision)
    return s.allocate((first + datetime.timedelta(d)
                       for d in range((last - first).days + 1)), sex,
                      check_later=check_later)


def with_new_number(s: RegisterSession, state: PersonState, p: ev.Payload) -> ev.Payload:
    """A sex change, a birth-date correction or an adoption gives a new number: allocated
    from the pool of the new date and sex, or one given from outside, checked as unused."""
    sex = cast("Sex", getattr(p, "sex", state.sex))
    born = cast("datetime.date", getattr(p, "birth_date", state.birth_date))
    new_pesel = getattr(p, "new_pesel", None)
    if new_pesel is None:
        precision = (state.birth_date_precision if born == state.birth_date
                     else ev.DatePrecision.DAY)
        new_pesel = allocate(s, born, precision, sex)
    else:
        new_pesel = unused(s, new_pesel)
    return p.model_copy(update={"new_pesel": new_pesel, "old_pesel": state.pesel})
