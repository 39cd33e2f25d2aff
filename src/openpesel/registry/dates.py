"""Dates no history can hold, whatever else the person's record says.

The rules fold (``rules.apply``) judges an event against the person's own
past; these rules judge an event against the calendar: the register records
what has happened, so nothing it learns can be dated after the day it learns
it. (A birth a PESEL cannot encode, before 1800, is refused by ``number``.) "Today" is the day
in Poland when the event is recorded (a birth just after midnight in Warsaw is
still the evening before in UTC), so the same check serves a clerk's new event
and an imported one, each against its own ``recorded_at``.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from openpesel.errors import RegisterError
from openpesel.registry import events as ev

POLAND = ZoneInfo("Europe/Warsaw")


def day_in_poland(moment: datetime.datetime) -> datetime.date:
    """The calendar day in Poland at ``moment``.

    >>> day_in_poland(datetime.datetime(2026, 12, 5, 23, 30, tzinfo=datetime.UTC))
    datetime.date(2026, 12, 6)
    """
    return moment.astimezone(POLAND).date()


def check_dates(event: ev.Event) -> None:
    """Refuse an event, or a birth it states, dated after the day it was recorded.

    >>> import uuid
    >>> born = ev.parse_payload(ev.Kind.BIRTH, {"first_names": ["Ola"], "family_name": "Lis",
    ...     "sex": "F", "birth_date": "2027-11-20", "birth_place": "Kraków"})
    >>> check_dates(ev.Event(uuid.uuid4(), ev.Kind.BIRTH, born, datetime.date(2027, 11, 20),
    ...     ev.Authority.USC, "USC/1", datetime.datetime(2026, 12, 5, 9, tzinfo=datetime.UTC)))
    Traceback (most recent call last):
    ...
    openpesel.errors.RegisterError: The birth date 2027-11-20 is after today (2026-12-05): ...
    """
    today = day_in_poland(event.recorded_at)
    born = _birth_date(event.payload)
    if born is not None and born > today:
        raise RegisterError(f"The birth date {born} is after today ({today}): the register "
                            "records births that have happened.")
    if event.effective_date > today:
        raise RegisterError(
            f"The {event.kind.value.replace('_', ' ')} is dated {event.effective_date}, after "
            f"today ({today}): the register records what has happened, not what is planned.")


def _birth_date(payload: ev.Payload) -> datetime.date | None:
    """The birth date an event states, a correction's replacement included."""
    if isinstance(payload, ev.Corrected):
        given = (payload.replacement or {}).get("birth_date")
        try:
            return datetime.date.fromisoformat(given) if isinstance(given, str) else None
        except ValueError:
            return None  # the replacement's own parsing names the bad date
    born = getattr(payload, "birth_date", None)
    return born if isinstance(born, datetime.date) else None
