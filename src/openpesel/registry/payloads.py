"""The payload of each event kind: a Pydantic model per kind, refused at the edge.

A malformed payload is refused before any rule or database sees it, with a
message naming the field. The patterns of names, countries, TERYT codes and
document numbers are written into each model's JSON Schema too, so the
OpenAPI document states what the register checks. ``registry.events`` maps
kinds to these models (``PAYLOADS``) and re-exports them.
"""

from __future__ import annotations

import datetime
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
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from openpesel.number import Sex


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


SEALED_PREFIX = "sealed:v1:"
"""How a sealed template's text begins (``dedup/sealing.py``)."""
SEALED_BASES = frozenset({"id_card"})
"""Bases whose prints have an end: sealed with their own key, erased when it comes, and
never part of the 1:N gallery."""
BiometricBasis = Literal["id_card", "ukr_2022"]
"""The law fingerprints are held under (docs/retention.md): ``id_card``, Regulation (EU)
2019/1157 Art. 10(3), until the card is collected and no longer than 90 days after its
issue; ``ukr_2022``, the special act of 12 March 2022, a lasting gallery."""


class FingerprintsEnrolled(Payload):
    """Fingerprints taken for an ID card or passport; none from children under 12.

    The templates of an enrolment with a ``key_id`` are sealed with that enrolment's own
    key, kept outside the log: destroying the key erases them while the log, append-only,
    keeps the fact that they were taken (crypto-shredding).
    """

    fingers: list[EnrolledFinger] = Field(default_factory=list, max_length=10)
    missing: list[MissingFinger] = Field(default_factory=list, max_length=10)
    basis: BiometricBasis | None = None
    key_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")

    @model_validator(mode="after")
    def _sealed_exactly_when_the_law_ends_it(self) -> FingerprintsEnrolled:
        """Sealed templates and a key under a basis with an end, plain ones otherwise: so
        no hand-written event or correction can keep ID-card prints readable for ever, or
        make sealed text look plain."""
        sealed = [f.template.startswith(SEALED_PREFIX) for f in self.fingers]
        if self.basis in SEALED_BASES:
            if self.key_id is None or not all(sealed):
                raise ValueError(f"Prints under {self.basis} are sealed with their own key: "
                                 "only the enrolment writes them, never a hand-made event.")
        elif self.key_id is not None or any(sealed):
            raise ValueError("Only prints under a basis with an end (id_card) are sealed.")
        return self


class BiometricsErased(Payload):
    """The templates and images of one enrolment were destroyed, as its law requires."""

    enrolment_seq: int = Field(ge=1)
    basis: BiometricBasis
    rule: str = Field(min_length=3, max_length=200)


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
    ``tests/faults/test_concurrency.py``).
    """

    replacement: dict[str, Any] | None = None
    reason: str = Field(min_length=3, max_length=500)
