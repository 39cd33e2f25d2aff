"""Automatic reservations (issue 20 §1): what reserves a PESEL without anyone asking.

The law reserves a number by itself when its holder dies, and when an adult
reports their ID card lost or stolen (``id_document_reported_lost``, at the
office or online). Each such reservation is its own ``pesel_reserved`` event,
written by the service in the transaction of its cause and naming it
(``cause``: the cause's kind, ``cause_seq``: its place in the log), so the log
itself says why a number is reserved, and the event is audited like any other.

Lifting one is not a second event. A correction that withdraws the cause (a
death entered in error) withdraws, in the same fold, the reservation it
caused (``lifted``). So the record, every as-of read and a rebuild agree with
a fold of the log, on either side of the correction: before it was recorded,
the register knew the number as reserved; from then on, as never reserved by
that cause.

Pure functions of events and states: the service calls ``follows`` after it
appends a cause, ``history.effective_events`` calls ``lifted``, and the rules
(``rules._reserved``) treat a reservation with a cause as the law's own: no
adult check (a child's number is reserved on death too), no 30-minute pause,
and it takes over a reservation already held.
"""

from __future__ import annotations

from openpesel.errors import RegisterError
from openpesel.registry import events as ev
from openpesel.registry.dates import day_in_poland
from openpesel.registry.rules import ADULT_AGE, age_on
from openpesel.registry.state import PersonState

CAUSES = frozenset({ev.Kind.DIED, ev.Kind.ID_DOCUMENT_REPORTED_LOST})
"""The kinds of event that reserve a PESEL by themselves."""

AUTHORITY = ev.Authority.MINISTER
"""Who records an automatic reservation: the register's keeper, ex officio (Art. 10
lets the minister record reservations; the cause's office may not, a USC among them)."""


def follows(after: PersonState, cause: ev.Event) -> list[ev.PeselReserved]:
    """The reservations that ``cause`` (stored, with its seq) makes, given the state after it.

    A death reserves the number whatever the age; a loss only an adult's, on the
    day the loss is dated.
    """
    if cause.kind not in CAUSES:
        return []
    if (cause.kind is ev.Kind.ID_DOCUMENT_REPORTED_LOST
            and age_on(after.birth_date, cause.effective_date) < ADULT_AGE):
        return []
    return [ev.PeselReserved(at=cause.recorded_at, cause=cause.kind.value, cause_seq=cause.seq)]


def reservation_event(cause: ev.Event, payload: ev.PeselReserved) -> ev.Event:
    """The ``pesel_reserved`` event of an automatic reservation.

    It takes effect on the day it is recorded (in Poland), not on the cause's
    date: a death entered a week late reserves the number from when the register
    learnt of it, and the event folds after everything already in the log, as an
    own reservation made that day would.
    """
    return ev.Event(cause.person_id, ev.Kind.PESEL_RESERVED, payload,
                    day_in_poland(cause.recorded_at), AUTHORITY, cause.document_ref,
                    cause.recorded_at)


def lifted(event: ev.Event, withdrawn: set[int]) -> bool:
    """Whether ``event`` is an automatic reservation whose cause was withdrawn."""
    p = event.payload
    return isinstance(p, ev.PeselReserved) and p.cause_seq is not None and (
        p.cause_seq in withdrawn)


def check_by_hand(payload: ev.Payload) -> None:
    """No office writes an automatic reservation itself: only its cause does."""
    if isinstance(payload, ev.PeselReserved) and payload.cause is not None:
        raise RegisterError("An automatic reservation is recorded only with its cause (a death "
                            "or a reported loss of an ID card), not by hand.")

