"""The events the register knows, one per change the law knows.

An event is a fact: who (which office, Art. 10) recorded what about whom,
with which document, effective on which date. The payload of each kind is a
Pydantic model so that a malformed event is refused at the edge with a
message naming the field, before any rule or database sees it.

Fields a clerk gives by PESEL (``mother_pesel``, ``spouse_pesel``) are
resolved by the service into the stable ``*_id`` of the person, and the
names are copied in, so the log stays meaningful even after numbers change.
"""

from __future__ import annotations

import datetime
import difflib
import enum
import re
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import (
    ValidationError,
)

from openpesel.errors import InvalidEvent, InvalidNumber
from openpesel.number import validate
from openpesel.registry.payloads import (  # the payload models, re-exported as ev.Birth ...
    PESEL_SCHEMA as PESEL_SCHEMA,
    Adopted as Adopted,
    BiometricsErased as BiometricsErased,
    Birth as Birth,
    BirthDateCorrected as BirthDateCorrected,
    Citizenship as Citizenship,
    Corrected as Corrected,
    Country as Country,
    DatePrecision as DatePrecision,
    Died as Died,
    Divorced as Divorced,
    DocumentInvalidated as DocumentInvalidated,
    DuplicateCleared as DuplicateCleared,
    EnrolledFinger as EnrolledFinger,
    FingerprintsEnrolled as FingerprintsEnrolled,
    ForeignerRegistered as ForeignerRegistered,
    ForeignerStatus as ForeignerStatus,
    IdCardIssued as IdCardIssued,
    IdCardNumber as IdCardNumber,
    IdentityLinked as IdentityLinked,
    MarriageAnnulled as MarriageAnnulled,
    Married as Married,
    MissingFinger as MissingFinger,
    Name as Name,
    NameChanged as NameChanged,
    ParentFields as ParentFields,
    PassportIssued as PassportIssued,
    PassportNumber as PassportNumber,
    Payload as Payload,
    PeselRef as PeselRef,
    PeselReserved as PeselReserved,
    ReservationWithdrawn as ReservationWithdrawn,
    ResidenceDeregistered as ResidenceDeregistered,
    ResidenceKind as ResidenceKind,
    ResidenceRegistered as ResidenceRegistered,
    SexChanged as SexChanged,
    SpouseDied as SpouseDied,
    SpouseFields as SpouseFields,
    StayAbroadBegan as StayAbroadBegan,
    StayAbroadEnded as StayAbroadEnded,
    Teryt as Teryt,
)


class Authority(enum.StrEnum):
    """Who may write to the register (Art. 10 of the act on population records)."""

    USC = "USC"  # civil-status office: birth, marriage, death, name change
    GMINA = "GMINA"  # municipality: residence, ID cards, foreigners' PESELs
    VOIVODE = "VOIVODE"  # citizenship
    PASSPORT = "PASSPORT"  # passport authorities
    MINISTER = "MINISTER"  # digitisation minister: new numbers, corrections of errors


class Kind(enum.StrEnum):
    BIRTH = "birth"
    FOREIGNER_REGISTERED = "foreigner_registered"
    NAME_CHANGED = "name_changed"
    SEX_CHANGED = "sex_changed"
    BIRTH_DATE_CORRECTED = "birth_date_corrected"
    ADOPTED = "adopted"
    MARRIED = "married"
    DIVORCED = "divorced"
    MARRIAGE_ANNULLED = "marriage_annulled"
    SPOUSE_DIED = "spouse_died"
    DIED = "died"
    RESIDENCE_REGISTERED = "residence_registered"
    RESIDENCE_DEREGISTERED = "residence_deregistered"
    STAY_ABROAD_BEGAN = "stay_abroad_began"
    STAY_ABROAD_ENDED = "stay_abroad_ended"
    ID_CARD_ISSUED = "id_card_issued"
    ID_CARD_INVALIDATED = "id_card_invalidated"
    PASSPORT_ISSUED = "passport_issued"
    PASSPORT_INVALIDATED = "passport_invalidated"
    CITIZENSHIP_ACQUIRED = "citizenship_acquired"
    CITIZENSHIP_LOST = "citizenship_lost"
    FINGERPRINTS_ENROLLED = "fingerprints_enrolled"
    BIOMETRICS_ERASED = "biometrics_erased"
    PESEL_RESERVED = "pesel_reserved"
    RESERVATION_WITHDRAWN = "reservation_withdrawn"
    IDENTITY_LINKED = "identity_linked"
    DUPLICATE_CLEARED = "duplicate_cleared"
    CORRECTED = "corrected"


PAYLOADS: dict[Kind, type[Payload]] = {
    Kind.BIRTH: Birth,
    Kind.FOREIGNER_REGISTERED: ForeignerRegistered,
    Kind.NAME_CHANGED: NameChanged,
    Kind.SEX_CHANGED: SexChanged,
    Kind.BIRTH_DATE_CORRECTED: BirthDateCorrected,
    Kind.ADOPTED: Adopted,
    Kind.MARRIED: Married,
    Kind.DIVORCED: Divorced,
    Kind.MARRIAGE_ANNULLED: MarriageAnnulled,
    Kind.SPOUSE_DIED: SpouseDied,
    Kind.DIED: Died,
    Kind.RESIDENCE_REGISTERED: ResidenceRegistered,
    Kind.RESIDENCE_DEREGISTERED: ResidenceDeregistered,
    Kind.STAY_ABROAD_BEGAN: StayAbroadBegan,
    Kind.STAY_ABROAD_ENDED: StayAbroadEnded,
    Kind.ID_CARD_ISSUED: IdCardIssued,
    Kind.ID_CARD_INVALIDATED: DocumentInvalidated,
    Kind.PASSPORT_ISSUED: PassportIssued,
    Kind.PASSPORT_INVALIDATED: DocumentInvalidated,
    Kind.CITIZENSHIP_ACQUIRED: Citizenship,
    Kind.CITIZENSHIP_LOST: Citizenship,
    Kind.FINGERPRINTS_ENROLLED: FingerprintsEnrolled,
    Kind.BIOMETRICS_ERASED: BiometricsErased,
    Kind.PESEL_RESERVED: PeselReserved,
    Kind.RESERVATION_WITHDRAWN: ReservationWithdrawn,
    Kind.IDENTITY_LINKED: IdentityLinked,
    Kind.DUPLICATE_CLEARED: DuplicateCleared,
    Kind.CORRECTED: Corrected,
}

_U, _G, _V, _P, _M = (Authority.USC, Authority.GMINA, Authority.VOIVODE,
                      Authority.PASSPORT, Authority.MINISTER)
AUTHORS: dict[Kind, frozenset[Authority]] = {
    Kind.BIRTH: frozenset({_U}),
    Kind.FOREIGNER_REGISTERED: frozenset({_G}),
    Kind.NAME_CHANGED: frozenset({_U}),
    Kind.SEX_CHANGED: frozenset({_U, _M}),
    Kind.BIRTH_DATE_CORRECTED: frozenset({_U, _M}),
    Kind.ADOPTED: frozenset({_U}),
    Kind.MARRIED: frozenset({_U}),
    Kind.DIVORCED: frozenset({_U}),
    Kind.MARRIAGE_ANNULLED: frozenset({_U}),
    Kind.SPOUSE_DIED: frozenset({_U}),
    Kind.DIED: frozenset({_U}),
    Kind.RESIDENCE_REGISTERED: frozenset({_G}),
    Kind.RESIDENCE_DEREGISTERED: frozenset({_G}),
    Kind.STAY_ABROAD_BEGAN: frozenset({_G}),
    Kind.STAY_ABROAD_ENDED: frozenset({_G}),
    Kind.ID_CARD_ISSUED: frozenset({_G}),
    Kind.ID_CARD_INVALIDATED: frozenset({_G}),
    Kind.PASSPORT_ISSUED: frozenset({_P}),
    Kind.PASSPORT_INVALIDATED: frozenset({_P}),
    Kind.CITIZENSHIP_ACQUIRED: frozenset({_V, _M}),
    Kind.CITIZENSHIP_LOST: frozenset({_V, _M}),
    Kind.FINGERPRINTS_ENROLLED: frozenset({_G, _P}),
    # The register's keeper runs the retention rules for every office.
    Kind.BIOMETRICS_ERASED: frozenset({_M}),
    # The resident acts through the minister's online service, or at any municipality.
    Kind.PESEL_RESERVED: frozenset({_G, _M}),
    Kind.RESERVATION_WITHDRAWN: frozenset({_G, _M}),
    # One person under two identities is resolved centrally, by the register's keeper.
    Kind.IDENTITY_LINKED: frozenset({_M}),
    Kind.DUPLICATE_CLEARED: frozenset({_M}),
    Kind.CORRECTED: frozenset(Authority),
}
"""Art. 10: which office may record which kind of event."""

CORRECTORS = frozenset({Authority.MINISTER})
"""Who may correct any entry besides its own author: the register's keeper, the minister
responsible for computerisation, who answers for the data's accuracy and removes
discrepancies between the register and the documents."""


def may_correct(authority: Authority, kind: Kind) -> bool:
    """Art. 10 holds for corrections too: an office corrects only what it may record.

    A correction rewrites or withdraws an entry of ``kind``; letting any office
    do that would let a passport office withdraw a death, or a municipality
    rewrite a name that only a civil-status office may change.

    >>> may_correct(Authority.PASSPORT, Kind.DIED), may_correct(Authority.USC, Kind.DIED)
    (False, True)
    >>> may_correct(Authority.MINISTER, Kind.RESIDENCE_REGISTERED)
    True
    """
    return authority in AUTHORS[kind] or authority in CORRECTORS


ADJUDICATION_KINDS = frozenset({Kind.IDENTITY_LINKED, Kind.DUPLICATE_CLEARED})
"""Recorded only by an examiner's decision on a case, never as a clerk's event."""


def not_by_hand(kind: Kind) -> str | None:
    """Why ``kind`` may not be recorded as a clerk's event, or None if it may."""
    if kind in ADJUDICATION_KINDS:
        return f"A {kind.value} event is recorded only by an examiner's decision on a case."
    if kind is Kind.BIOMETRICS_ERASED:
        return "Biometrics are erased only by the retention rules (openpesel fingerprints " \
               "retention), which also destroy the key."
    return None

CREATING_KINDS = frozenset({Kind.BIRTH, Kind.FOREIGNER_REGISTERED})
GALLERY_KINDS = frozenset({Kind.FINGERPRINTS_ENROLLED, Kind.BIOMETRICS_ERASED, Kind.SEX_CHANGED,
                           Kind.BIRTH_DATE_CORRECTED, Kind.ADOPTED, Kind.IDENTITY_LINKED,
                           Kind.CORRECTED})
"""Events that add, move or drop a fingerprint gallery's entry (``dedup/gallery.py``).

A transaction appends one only under the gallery lock (``RegisterSession.lock_gallery``),
so these events commit in the order of their numbers and a gallery can follow them by
number without missing one that commits late."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(value: object, where: str) -> None:
    """Refuse control characters anywhere in a value: no register field needs them,
    and PostgreSQL cannot store NUL at all."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise InvalidEvent(f"{where}: control characters are not allowed.")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, where)
            check_text(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            check_text(item, where)


def plain_error(exc: ValidationError, default: str) -> str:
    """The first problem as ``field: what is wrong``, dates in a clerk's words.

    Pydantic's date messages ("invalid character in month") describe its parser,
    not the form a clerk should type, so they are replaced by the expected form.
    """
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or default
    kind = str(first["type"])
    if kind.startswith(("date_", "datetime_")):
        form = "YYYY-MM-DD" if kind.startswith("date_") else "YYYY-MM-DDTHH:MM (ISO 8601)"
        return f"{where}: {first.get('input')!r} is not a real date; write it as {form}"
    return f"{where}: {first['msg']}"


def _check_pesels(kind: Kind, data: dict[str, Any]) -> None:
    """A mistyped PESEL in a field is refused naming that field (``spouse_pesel``)."""
    for name, value in data.items():
        if name.endswith("pesel") and isinstance(value, str):
            try:
                validate(value)
            except InvalidNumber as exc:
                raise type(exc)(f"{kind.value}: {name}: {value!r}: {exc}") from None


def parse_payload(kind: Kind, data: dict[str, Any]) -> Payload:
    """Validate raw data as the payload of ``kind``; the error names the field."""
    check_text(data, kind.value)
    _check_pesels(kind, data)
    try:
        return PAYLOADS[kind].model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(f"{kind.value}: {plain_error(exc, kind.value)}") from None


def parse_kind(name: str) -> Kind:
    """An event kind by name (``-`` for ``_`` allowed); a typo gets the nearest kinds."""
    try:
        return Kind(name.replace("-", "_"))
    except ValueError:
        near = difflib.get_close_matches(name.replace("-", "_").lower(), list(Kind), n=3)
        hint = (f"did you mean {' or '.join(near)}?" if near
                else "`openpesel kinds` lists them all.")
        raise InvalidEvent(f"Unknown event kind {name!r}; {hint}") from None


@dataclass(frozen=True)
class Event:
    """One row of the log. ``seq`` and ``recorded_at`` exist once it is stored."""

    person_id: uuid.UUID
    kind: Kind
    payload: Payload
    effective_date: datetime.date
    authority: Authority
    document_ref: str
    recorded_at: datetime.datetime
    seq: int = 0
    supersedes: int | None = None

    def payload_json(self) -> dict[str, Any]:
        return self.payload.model_dump(mode="json", exclude_none=True)
