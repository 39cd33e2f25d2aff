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
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from openpesel.errors import InvalidEvent, InvalidNumber
from openpesel.number import Sex, validate


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
    PESEL_RESERVED = "pesel_reserved"
    RESERVATION_WITHDRAWN = "reservation_withdrawn"
    IDENTITY_LINKED = "identity_linked"
    DUPLICATE_CLEARED = "duplicate_cleared"
    CORRECTED = "corrected"


class ForeignerStatus(enum.StrEnum):
    """Grounds on which a foreigner is in the register (Art. 8 pkt 24a)."""

    UKR = "UKR"  # temporary protection under the act of 12 March 2022
    PERMANENT_RESIDENCE = "permanent_residence"
    EU_LONG_TERM = "eu_long_term_resident"
    REFUGEE = "refugee"
    SUBSIDIARY_PROTECTION = "subsidiary_protection"
    ASYLUM = "asylum"
    TOLERATED_STAY = "tolerated_stay"
    TEMPORARY_PROTECTION = "temporary_protection"
    HUMANITARIAN_STAY = "humanitarian_stay"
    EU_CITIZEN = "eu_citizen"


class ResidenceKind(enum.StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"


class DatePrecision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class _Match:
    """A value must match ``pattern`` whole; refused in the register's words.

    The JSON schema carries the pattern too, so the OpenAPI document states the
    rule the server applies (a generated client or schemathesis sees it).
    """

    pattern: str
    what: str

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        compiled = re.compile(self.pattern)

        def check(value: str) -> str:
            if not compiled.fullmatch(value):
                raise ValueError(f"{self.what}, not {value!r}")
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        out["pattern"] = f"^(?:{self.pattern})$"
        return out


def _match(pattern: str, what: str) -> _Match:
    return _Match(pattern, what)


PESEL_SCHEMA: dict[str, Any] = {
    "type": "string", "pattern": r"^\d{11}$", "format": "pesel",
    "description": "A PESEL: 11 digits whose date and check digit are valid "
                   "(format 'pesel'); any other string is refused with 422."}
"""How the OpenAPI document describes a PESEL; ``validate`` is the rule behind it."""

PeselRef = Annotated[str, WithJsonSchema(PESEL_SCHEMA)]
"""A field naming a person by PESEL, checked by ``parse_payload``."""


Name = Annotated[str, Field(min_length=1, max_length=80), _match(
    r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*",
    "a name is letters, with single spaces, hyphens or apostrophes between parts")]
Country = Annotated[str, _match(
    r"[A-Z]{3}", "a country is an ISO 3166 alpha-3 code such as POL or UKR")]
Teryt = Annotated[str, _match(
    r"(0[2468]|1[02468]|2[02468]|3[02])\d{4}[1-9]",
    "a TERYT TERC code is 7 digits: voivodeship (02-32, even), county, municipality, type")]
IdCardNumber = Annotated[str, _match(
    r"[A-Z]{3}\d{6}", "an ID card number is three letters and six digits")]
PassportNumber = Annotated[str, _match(
    r"[A-Z]{2}\d{7}", "a passport number is two letters and seven digits")]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class ParentFields(BaseModel):
    """A parent is given by PESEL when they are in the register, by name otherwise."""

    mother_pesel: PeselRef | None = None
    mother_id: uuid.UUID | None = None
    mother_first_name: Name | None = None
    mother_family_name: Name | None = None
    father_pesel: PeselRef | None = None
    father_id: uuid.UUID | None = None
    father_first_name: Name | None = None
    father_family_name: Name | None = None


class Birth(Payload, ParentFields):
    first_names: list[Name] = Field(min_length=1, max_length=3)
    family_name: Name
    sex: Sex
    birth_date: datetime.date
    birth_date_precision: DatePrecision = DatePrecision.DAY
    birth_place: Name
    birth_country: Country = "POL"
    citizenship: Country = "POL"
    pesel: PeselRef | None = None


class ForeignerRegistered(Birth):
    citizenship: Country
    status: ForeignerStatus
    foreign_document: str | None = Field(default=None, max_length=40)


class NameChanged(Payload):
    first_names: list[Name] | None = Field(default=None, min_length=1, max_length=3)
    family_name: Name | None = None


class SexChanged(Payload):
    sex: Sex
    new_pesel: PeselRef | None = None
    old_pesel: PeselRef | None = None


class BirthDateCorrected(Payload):
    birth_date: datetime.date
    new_pesel: PeselRef | None = None
    old_pesel: PeselRef | None = None


class Adopted(Payload, ParentFields):
    family_name: Name | None = None
    first_names: list[Name] | None = Field(default=None, min_length=1, max_length=3)
    new_pesel: PeselRef | None = None
    old_pesel: PeselRef | None = None


class SpouseFields(Payload):
    spouse_pesel: PeselRef | None = None
    spouse_id: uuid.UUID | None = None


class Married(SpouseFields):
    spouse_first_name: Name | None = None
    spouse_family_name: Name | None = None
    family_name: Name | None = None  # the name taken at marriage, if it changes
    court_consent: str | None = Field(default=None, min_length=3, max_length=60)
    """The guardianship court's decision letting a woman of 16 or 17 marry (KRO art. 10)."""


class Divorced(SpouseFields):
    family_name: Name | None = None  # a return to the earlier name


class MarriageAnnulled(SpouseFields):
    pass


class SpouseDied(SpouseFields):
    pass


class Died(Payload):
    death_place: Name | None = None


class ResidenceRegistered(Payload):
    residence: ResidenceKind
    teryt: Teryt
    address: str = Field(min_length=3, max_length=200)
    until: datetime.date | None = None


class ResidenceDeregistered(Payload):
    residence: ResidenceKind


class StayAbroadBegan(Payload):
    country: Country


class StayAbroadEnded(Payload):
    pass


class IdCardIssued(Payload):
    number: IdCardNumber
    valid_until: datetime.date


class PassportIssued(Payload):
    number: PassportNumber
    valid_until: datetime.date


class DocumentInvalidated(Payload):
    number: str = Field(min_length=5, max_length=12)
    reason: Literal["lost", "stolen", "damaged", "replaced", "expired", "death", "other"] = "other"


class Citizenship(Payload):
    country: Country


class EnrolledFinger(Payload):
    """One finger: its ISO/IEC 19794-2 template (base64), quality, and the image's hash."""

    finger: int = Field(ge=1, le=10, description="ANSI/NIST-ITL finger position")
    template: str = Field(min_length=4, max_length=20_000)
    quality: int = Field(ge=0, le=100)
    image_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class MissingFinger(Payload):
    finger: int = Field(ge=1, le=10)
    reason: Literal["amputated", "injured", "bandaged", "temporarily_impossible", "other"]


class FingerprintsEnrolled(Payload):
    """Fingerprints taken for an ID card or passport; none from children under 12."""

    fingers: list[EnrolledFinger] = Field(default_factory=list, max_length=10)
    missing: list[MissingFinger] = Field(default_factory=list, max_length=10)


class PeselReserved(Payload):
    """Zastrzeżenie numeru PESEL (act of 7 July 2023): banks must refuse credit on it."""

    at: datetime.datetime


class ReservationWithdrawn(Payload):
    """A withdrawal takes effect at ``at``: now, or at a moment the resident scheduled."""

    at: datetime.datetime
    requested_at: datetime.datetime


class IdentityLinked(Payload):
    """An examiner found two identities to be one person (docs/adjudication.md).

    ``role`` says what this record is in the link: the ``survivor`` (registered
    first, it stays the person's identity), the ``duplicate`` (it is marked and
    takes no further events; its number is never reused), or the ``applicant``
    whose held registration was refused because it was this person again.
    """

    case_id: uuid.UUID
    role: Literal["survivor", "duplicate", "applicant"]
    other_id: uuid.UUID | None = None
    other_pesel: PeselRef | None = None
    comment: str = Field(min_length=3, max_length=1000)


class DuplicateCleared(Payload):
    """An examiner found a suspected duplicate to be a different person."""

    case_id: uuid.UUID
    comment: str = Field(min_length=3, max_length=1000)


class Corrected(Payload):
    """Replaces the superseded event from this event's ``recorded_at`` on.

    ``replacement`` is the corrected payload of the same kind; ``None`` means
    the superseded entry was made in error and is withdrawn. It defaults to
    ``None`` because the log stores payloads without their ``None`` fields: a
    required field would make a stored withdrawal unreadable (found by
    ``tests/test_concurrency.py``).
    """

    replacement: dict[str, Any] | None = None
    reason: str = Field(min_length=3, max_length=500)


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
    return None

CREATING_KINDS = frozenset({Kind.BIRTH, Kind.FOREIGNER_REGISTERED})


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
