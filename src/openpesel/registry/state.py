"""A person's record as the register holds it at one point: the result of a fold.

Immutable on purpose: ``rules.apply`` returns a new state, so a failed rule
can never leave a half-changed record behind, and the same fold serves
validation, projection rebuilds and as-of reads.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import uuid
from dataclasses import dataclass, field
from typing import Any

from openpesel.number import Sex


class CivilStatus(enum.StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


@dataclass(frozen=True)
class Parent:
    person_id: uuid.UUID | None
    first_name: str | None
    family_name: str | None


@dataclass(frozen=True)
class Residence:
    teryt: str
    address: str
    since: datetime.date
    until: datetime.date | None = None


@dataclass(frozen=True)
class Document:
    number: str
    issued: datetime.date
    valid_until: datetime.date
    invalidated: datetime.date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FormerName:
    first_names: tuple[str, ...]
    family_name: str
    until: datetime.date


@dataclass(frozen=True)
class Stay:
    country: str
    since: datetime.date


@dataclass(frozen=True)
class Finger:
    """An enrolled finger; the template itself stays in the event, not in the record."""

    finger: int
    quality: int
    image_sha256: str
    enrolled: datetime.date
    seq: int
    basis: str | None = None
    """The law the print is held under (``registry/retention.py``)."""
    held_until: datetime.date | None = None
    """The last day that law lets it be kept, once known (ID cards: from the issue)."""
    office: str | None = None
    """The office that took it (who holds it, for the resident to see)."""


ID_CARD_DAYS = 90
"""Regulation (EU) 2019/1157 Art. 10(3): ID-card prints go at most 90 days after issue."""


def id_card_prints_until(enrolled: datetime.date, issued: datetime.date
                         ) -> datetime.date | None:
    """The last day ID-card prints taken on ``enrolled`` may be kept, if the card issued on
    ``issued`` is the one they were taken for (issued on or after the enrolment)."""
    return issued + datetime.timedelta(days=ID_CARD_DAYS) if issued >= enrolled else None


@dataclass(frozen=True)
class Reservation:
    pesel: str
    since: datetime.datetime
    withdraw_at: datetime.datetime | None = None


@dataclass(frozen=True)
class PersonState:
    person_id: uuid.UUID
    pesel: str
    first_names: tuple[str, ...]
    family_name: str
    family_name_at_birth: str
    sex: Sex
    birth_date: datetime.date
    birth_date_precision: str
    birth_place: str
    birth_country: str
    registered_on: datetime.date
    mother: Parent | None = None
    father: Parent | None = None
    citizenships: tuple[str, ...] = ()
    foreigner_status: str | None = None
    civil_status: CivilStatus = CivilStatus.SINGLE
    spouse_id: uuid.UUID | None = None
    former_names: tuple[FormerName, ...] = ()
    former_pesels: tuple[str, ...] = ()
    permanent_residence: Residence | None = None
    temporary_residence: Residence | None = None
    abroad: Stay | None = None
    id_cards: tuple[Document, ...] = ()
    passports: tuple[Document, ...] = ()
    death_date: datetime.date | None = None
    fingers: tuple[Finger, ...] = ()
    missing_fingers: tuple[tuple[int, str], ...] = ()
    reservation: Reservation | None = None
    last_withdrawal: datetime.datetime | None = None
    duplicate_of: uuid.UUID | None = None
    """Set when an examiner found this record to be another person's second identity."""
    duplicates: tuple[uuid.UUID, ...] = ()
    last_seq: int = 0
    events: int = field(default=0, compare=False)

    @property
    def alive(self) -> bool:
        return self.death_date is None

    def reserved_at(self, moment: datetime.datetime) -> bool:
        """Whether the current number is reserved at ``moment``."""
        r = self.reservation
        return (r is not None and r.pesel == self.pesel and r.since <= moment
                and (r.withdraw_at is None or moment < r.withdraw_at))

    def to_json(self) -> dict[str, Any]:
        """A plain-JSON view, stable in key order, for projections and output."""
        out: dict[str, Any] = _jsonable(self)
        return out


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _jsonable(value: Any) -> Any:
    """What ``dataclasses.asdict`` then JSON's types would give, in one pass.

    Every registration writes a record, and ``asdict``'s deep copies made
    this a sixth of a birth's CPU time.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _jsonable(getattr(value, name)) for name in _field_names(type(value))}
    return value
