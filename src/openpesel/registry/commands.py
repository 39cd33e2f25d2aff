"""What a write asks for and what it produced, shared by every interface."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from openpesel.registry import events as ev


@dataclass(frozen=True)
class Recorded:
    """What a write produced: the person, their number after it, the new log rows."""

    person_id: uuid.UUID
    pesel: str
    seqs: tuple[int, ...]


@dataclass(frozen=True)
class Command:
    """A clerk's request to record one event, as it arrives from any interface."""

    kind: ev.Kind
    payload: dict[str, Any]
    authority: ev.Authority
    document_ref: str
    pesel: str | None = None
    effective_date: datetime.date | None = None
    supersedes: int | None = None
    person_id: uuid.UUID | None = None
