"""What the register accepts: one pure function from (state, event) to state.

Every rule that concerns one person's own history lives here, so validating a
new event, rebuilding projections and answering an as-of question all apply
exactly the same law. Rules that need a second person (a parent's birth date,
a spouse's status) are checked by the service, which sees both records, and
mirrored here through the spouse's own event (a marriage is two events).
"""

from __future__ import annotations

import calendar
import datetime
import uuid
from dataclasses import replace
from typing import cast

from openpesel.errors import RegisterError
from openpesel.number import get_birth_date, get_sex
from openpesel.registry import events as ev
from openpesel.registry.payloads import SEALED_BASES
from openpesel.registry.rules_records import (
    abroad_began,
    abroad_ended,
    citizenship_acquired,
    citizenship_lost,
    invalidated,
    issued,
    residence_deregistered,
    residence_registered,
)
from openpesel.registry.state import (
    CivilStatus,
    Finger,
    FormerName,
    Parent,
    PersonState,
    Reservation,
    id_card_prints_until,
)
from openpesel.registry.types import Handler


def date_range(birth_date: datetime.date, precision: str) -> tuple[datetime.date, datetime.date]:
    """The interval a partly known birth date stands for.

    >>> date_range(datetime.date(1950, 1, 1), 'year')
    (datetime.date(1950, 1, 1), datetime.date(1950, 12, 31))
    >>> date_range(datetime.date(1950, 2, 1), 'month')
    (datetime.date(1950, 2, 1), datetime.date(1950, 2, 28))
    """
    if precision == ev.DatePrecision.YEAR:
        return birth_date.replace(month=1, day=1), birth_date.replace(month=12, day=31)
    if precision == ev.DatePrecision.MONTH:
        last = calendar.monthrange(birth_date.year, birth_date.month)[1]
        return birth_date.replace(day=1), birth_date.replace(day=last)
    return birth_date, birth_date


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Completed years of age on ``day``.

    >>> age_on(datetime.date(2000, 2, 29), datetime.date(2018, 2, 28))
    17
    """
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_number_matches(pesel: str, birth_date: datetime.date, precision: str, sex: str) -> None:
    """A number must encode the person's sex and a date inside their known birth period."""
    first, last = date_range(birth_date, precision)
    if not first <= get_birth_date(pesel) <= last:
        raise RegisterError(f"PESEL {pesel} does not encode the birth date {birth_date}.")
    if get_sex(pesel) != sex:
        raise RegisterError(f"PESEL {pesel} does not encode sex {sex}.")


def _parent(pid: uuid.UUID | None, first: str | None, family: str | None) -> Parent | None:
    if pid is None and first is None and family is None:
        return None
    return Parent(person_id=pid, first_name=first, family_name=family)


def _created(event: ev.Event) -> PersonState:
    p = cast("ev.Birth", event.payload)
    if p.pesel is None:
        raise RegisterError("A new person needs a PESEL before the event can be applied.")
    check_number_matches(p.pesel, p.birth_date, p.birth_date_precision, p.sex)
    if event.kind is ev.Kind.BIRTH and event.effective_date != p.birth_date:
        raise RegisterError("A birth takes effect on the birth date.")
    if event.effective_date < p.birth_date:
        raise RegisterError("A person cannot be registered before they were born.")
    foreign = p if isinstance(p, ev.ForeignerRegistered) else None
    return PersonState(
        person_id=event.person_id,
        pesel=p.pesel,
        first_names=tuple(p.first_names),
        family_name=p.family_name,
        family_name_at_birth=p.family_name,
        sex=p.sex,
        birth_date=p.birth_date,
        birth_date_precision=p.birth_date_precision,
        birth_place=p.birth_place,
        birth_country=p.birth_country,
        registered_on=event.effective_date,
        mother=_parent(p.mother_id, p.mother_first_name, p.mother_family_name),
        father=_parent(p.father_id, p.father_first_name, p.father_family_name),
        citizenships=(p.citizenship,),
        foreigner_status=foreign.status if foreign else None,
    )


def _renamed(s: PersonState, on: datetime.date, first: list[str] | None,
             family: str | None) -> PersonState:
    new_first = tuple(first) if first else s.first_names
    new_family = family or s.family_name
    if (new_first, new_family) == (s.first_names, s.family_name):
        return s
    former = (*s.former_names, FormerName(s.first_names, s.family_name, on))
    return replace(s, first_names=new_first, family_name=new_family, former_names=former)


def _name_changed(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.NameChanged", e.payload)
    if p.first_names is None and p.family_name is None:
        raise RegisterError("A name change must give a new first name or family name.")
    return _renamed(s, e.effective_date, p.first_names, p.family_name)


def _new_number(s: PersonState, new: str | None, old: str | None) -> tuple[str, tuple[str, ...]]:
    """The number after a change; a reservation stays with the old number (by law)."""
    if new is None:
        raise RegisterError("This change gives a new PESEL, and none was assigned.")
    if old is not None and old != s.pesel:
        raise RegisterError(f"The person's PESEL is {s.pesel}, not {old}.")
    return new, (*s.former_pesels, s.pesel)


def _sex_changed(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.SexChanged", e.payload)
    if p.sex == s.sex:
        raise RegisterError(f"The person's sex is already {s.sex}.")
    pesel, former = _new_number(s, p.new_pesel, p.old_pesel)
    check_number_matches(pesel, s.birth_date, s.birth_date_precision, p.sex)
    return replace(s, sex=p.sex, pesel=pesel, former_pesels=former, reservation=None)


def _birth_date_corrected(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.BirthDateCorrected", e.payload)
    if p.birth_date == s.birth_date:
        raise RegisterError(f"The birth date is already {s.birth_date}.")
    pesel, former = _new_number(s, p.new_pesel, p.old_pesel)
    check_number_matches(pesel, p.birth_date, ev.DatePrecision.DAY, s.sex)
    return replace(s, birth_date=p.birth_date, birth_date_precision=ev.DatePrecision.DAY,
                   pesel=pesel, former_pesels=former, reservation=None)


def _adopted(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.Adopted", e.payload)
    mother = _parent(p.mother_id, p.mother_first_name, p.mother_family_name)
    father = _parent(p.father_id, p.father_first_name, p.father_family_name)
    if mother is None and father is None:
        raise RegisterError("An adoption names at least one adoptive parent.")
    pesel, former = _new_number(s, p.new_pesel, p.old_pesel)
    check_number_matches(pesel, s.birth_date, s.birth_date_precision, s.sex)
    s = _renamed(s, e.effective_date, p.first_names, p.family_name)
    return replace(s, mother=mother or s.mother, father=father or s.father, pesel=pesel,
                   former_pesels=former, reservation=None)


def _married(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.Married", e.payload)
    if s.civil_status is CivilStatus.MARRIED:
        raise RegisterError(f"{s.pesel} is already married; a marriage needs both spouses free.")
    if p.spouse_id == s.person_id:
        raise RegisterError("A person cannot marry themselves.")
    _check_marriage_age(s, p, e.effective_date)
    s = _renamed(s, e.effective_date, None, p.family_name)
    return replace(s, civil_status=CivilStatus.MARRIED, spouse_id=p.spouse_id)


ADULT_AGE = 18
"""Full age (Civil Code art. 10): reserving one's PESEL, a parent's access ending."""
MARRIAGE_AGE = ADULT_AGE
MARRIAGE_AGE_WITH_CONSENT = 16
"""KRO art. 10 § 1: 18, or 16 for a woman whom the guardianship court allowed to marry."""


def _check_marriage_age(s: PersonState, p: ev.Married, on: datetime.date) -> None:
    age = age_on(s.birth_date, on)
    if age >= MARRIAGE_AGE:
        return
    if age >= MARRIAGE_AGE_WITH_CONSENT and s.sex == "F" and p.court_consent:
        return
    consent = (" A woman of 16 or 17 may marry with the guardianship court's consent "
               "(court_consent)." if age >= MARRIAGE_AGE_WITH_CONSENT and s.sex == "F" else "")
    raise RegisterError(f"{s.pesel} is {age} on the date of the marriage, under the legal age "
                        f"of {MARRIAGE_AGE}.{consent}")


def _marriage_ended(status: CivilStatus) -> Handler:
    def end(s: PersonState, e: ev.Event) -> PersonState:
        p = cast("ev.SpouseFields", e.payload)
        if s.civil_status is not CivilStatus.MARRIED or s.spouse_id != p.spouse_id:
            raise RegisterError(f"{s.pesel} is not married to that person.")
        family = getattr(p, "family_name", None)
        s = _renamed(s, e.effective_date, None, family)
        # An annulled marriage is void from the start: the person is single again.
        final = CivilStatus.SINGLE if e.kind is ev.Kind.MARRIAGE_ANNULLED else status
        return replace(s, civil_status=final, spouse_id=None)

    return end


def _died(s: PersonState, e: ev.Event) -> PersonState:
    return replace(s, death_date=e.effective_date)


MIN_FINGERPRINT_AGE = 12
"""EU Regulation 2019/1157 and the Polish ID-card act: no fingerprints under 12."""


def _fingerprints(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.FingerprintsEnrolled", e.payload)
    if age_on(s.birth_date, e.effective_date) < MIN_FINGERPRINT_AGE:
        raise RegisterError(f"No fingerprints are taken from children under "
                            f"{MIN_FINGERPRINT_AGE}; {s.pesel} is younger.")
    positions = [f.finger for f in p.fingers] + [m.finger for m in p.missing]
    if not positions:
        raise RegisterError("An enrolment names at least one finger, taken or missing.")
    if len(set(positions)) != len(positions):
        raise RegisterError("Each finger position may appear once in an enrolment.")
    until = None
    if p.basis in SEALED_BASES:
        bounds = (id_card_prints_until(e.effective_date, d.issued) for d in s.id_cards)
        until = min((b for b in bounds if b is not None), default=None)
    taken = {f.finger: Finger(f.finger, f.quality, f.image_sha256, e.effective_date, e.seq,
                              p.basis, until, e.authority.value) for f in p.fingers}
    kept = tuple(f for f in s.fingers if f.finger not in positions)
    missing = tuple(m for m in s.missing_fingers if m[0] not in positions)
    return replace(s, fingers=tuple(sorted((*kept, *taken.values()), key=lambda f: f.finger)),
                   missing_fingers=tuple(sorted((*missing,
                                                 *((m.finger, m.reason) for m in p.missing)))))


def _id_card_issued(s: PersonState, e: ev.Event) -> PersonState:
    """The card the ID-card prints were taken for is issued: their 90 days start."""
    s = issued("id_cards")(s, e)
    return replace(s, fingers=tuple(
        replace(f, held_until=id_card_prints_until(f.enrolled, e.effective_date))
        if f.basis in SEALED_BASES and f.held_until is None else f for f in s.fingers))


def _erased(s: PersonState, e: ev.Event) -> PersonState:
    """The erased enrolment's fingers leave the record; a later enrolment's stay."""
    p = cast("ev.BiometricsErased", e.payload)
    return replace(s, fingers=tuple(f for f in s.fingers if f.seq != p.enrolment_seq))


RESERVE_AGAIN_AFTER = datetime.timedelta(minutes=30)
"""After a withdrawal, a number can be reserved again only after this pause."""


def _reserved(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.PeselReserved", e.payload)
    if age_on(s.birth_date, e.effective_date) < ADULT_AGE:
        raise RegisterError("Only adults may reserve their PESEL.")
    last = s.last_withdrawal
    if s.reservation is not None:
        pending = s.reservation.withdraw_at
        if pending is None or pending > p.at:
            when = f" (its withdrawal is scheduled for {pending:%Y-%m-%d %H:%M})" if pending else ""
            raise RegisterError(f"PESEL {s.pesel} is already reserved{when}.")
        last = pending
    if last is not None and p.at < last + RESERVE_AGAIN_AFTER:
        raise RegisterError(
            f"PESEL {s.pesel} was withdrawn from reservation at {last:%H:%M}; it can be reserved "
            f"again from {last + RESERVE_AGAIN_AFTER:%H:%M} (30 minutes later).")
    return replace(s, reservation=Reservation(s.pesel, p.at), last_withdrawal=last)


def _withdrawn(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.ReservationWithdrawn", e.payload)
    r = s.reservation
    if r is None or (r.withdraw_at is not None and r.withdraw_at <= p.requested_at):
        raise RegisterError(f"PESEL {s.pesel} is not reserved.")
    if p.at < p.requested_at:
        raise RegisterError("A withdrawal cannot take effect before it was requested.")
    return replace(s, reservation=replace(r, withdraw_at=p.at))


def _identity_linked(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.IdentityLinked", e.payload)
    if p.role == "applicant":
        return s  # the refused application left no record; this one only remembers it
    if p.other_id is None or p.other_id == s.person_id:
        raise RegisterError("A link between identities names the other person's record.")
    if p.role == "duplicate":
        return replace(s, duplicate_of=p.other_id)
    if p.other_id in s.duplicates:
        raise RegisterError(f"{s.pesel} is already linked to that record.")
    return replace(s, duplicates=(*s.duplicates, p.other_id))


def _duplicate_cleared(s: PersonState, _e: ev.Event) -> PersonState:
    return s  # the examination is remembered in the log; the record itself is unchanged


HANDLERS: dict[ev.Kind, Handler] = {
    ev.Kind.NAME_CHANGED: _name_changed,
    ev.Kind.SEX_CHANGED: _sex_changed,
    ev.Kind.BIRTH_DATE_CORRECTED: _birth_date_corrected,
    ev.Kind.ADOPTED: _adopted,
    ev.Kind.MARRIED: _married,
    ev.Kind.DIVORCED: _marriage_ended(CivilStatus.DIVORCED),
    ev.Kind.MARRIAGE_ANNULLED: _marriage_ended(CivilStatus.SINGLE),
    ev.Kind.SPOUSE_DIED: _marriage_ended(CivilStatus.WIDOWED),
    ev.Kind.DIED: _died,
    ev.Kind.RESIDENCE_REGISTERED: residence_registered,
    ev.Kind.RESIDENCE_DEREGISTERED: residence_deregistered,
    ev.Kind.STAY_ABROAD_BEGAN: abroad_began,
    ev.Kind.STAY_ABROAD_ENDED: abroad_ended,
    ev.Kind.ID_CARD_ISSUED: _id_card_issued,
    ev.Kind.ID_CARD_INVALIDATED: invalidated("id_cards"),
    ev.Kind.PASSPORT_ISSUED: issued("passports"),
    ev.Kind.PASSPORT_INVALIDATED: invalidated("passports"),
    ev.Kind.CITIZENSHIP_ACQUIRED: citizenship_acquired,
    ev.Kind.CITIZENSHIP_LOST: citizenship_lost,
    ev.Kind.FINGERPRINTS_ENROLLED: _fingerprints,
    ev.Kind.BIOMETRICS_ERASED: _erased,
    ev.Kind.PESEL_RESERVED: _reserved,
    ev.Kind.RESERVATION_WITHDRAWN: _withdrawn,
    ev.Kind.IDENTITY_LINKED: _identity_linked,
    ev.Kind.DUPLICATE_CLEARED: _duplicate_cleared,
}

# After death the register only takes what follows from it.
AFTER_DEATH = frozenset({ev.Kind.ID_CARD_INVALIDATED, ev.Kind.PASSPORT_INVALIDATED,
                          ev.Kind.RESIDENCE_DEREGISTERED, ev.Kind.BIOMETRICS_ERASED})


def apply(state: PersonState | None, event: ev.Event) -> PersonState:
    """The state after ``event``, or a ``RegisterError`` naming the broken rule."""
    if event.kind in ev.CREATING_KINDS:
        if state is not None:
            raise RegisterError(f"This person is already in the register as {state.pesel}.")
        new = _created(event)
    else:
        if state is None:
            raise RegisterError(f"The {event.kind.value} is dated {event.effective_date}, before "
                                "the birth or registration of the person.")
        if event.effective_date < state.birth_date:
            raise RegisterError(
                f"The {event.kind.value} is dated {event.effective_date}, before the birth of "
                f"{state.pesel} on {state.birth_date}.")
        if state.duplicate_of is not None and event.kind is not ev.Kind.BIOMETRICS_ERASED:
            raise RegisterError(
                f"{state.pesel} was found to be a second identity of another person; it takes "
                "no further events (a mistaken link is fixed by a correction).")
        if state.death_date is not None and event.kind not in AFTER_DEATH | ev.ADJUDICATION_KINDS:
            raise RegisterError(
                f"{state.pesel} died on {state.death_date}; no {event.kind.value} can follow "
                "(a mistaken entry is fixed by a correction).")
        new = HANDLERS[event.kind](state, event)
    return replace(new, last_seq=max(new.last_seq, event.seq), events=new.events + 1)
