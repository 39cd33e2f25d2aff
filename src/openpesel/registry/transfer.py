"""JSON Lines: the register's exchange format, one event or command per line.

Two shapes share one file format:

- an *event* line is a row of the log as ``export`` writes it (``seq``,
  ``person_id``, resolved payload, ``recorded_at``); ``import`` replays such
  lines into another register with their transaction times intact, so
  bitemporal questions give the same answers after a migration;
- a *command* line is what a clerk would type (``kind``, ``pesel``,
  ``payload`` with other people given by PESEL); ``record --file`` takes it.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from openpesel.errors import ImportFailed, OpenPeselError
from openpesel.registry import events as ev
from openpesel.registry.commands import Command

T = TypeVar("T")


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    payload: dict[str, Any]
    authority: ev.Authority
    document_ref: str
    effective_date: datetime.date | None = None
    supersedes: int | None = None
    person_id: uuid.UUID | None = None


class CommandLine(_Line):
    pesel: str | None = None


class EventLine(_Line):
    seq: int
    person_id: uuid.UUID
    effective_date: datetime.date
    recorded_at: datetime.datetime


def event_to_json(e: ev.Event) -> str:
    return json.dumps({
        "seq": e.seq, "person_id": str(e.person_id), "kind": e.kind.value,
        "payload": e.payload_json(), "effective_date": e.effective_date.isoformat(),
        "recorded_at": e.recorded_at.isoformat(), "authority": e.authority.value,
        "document_ref": e.document_ref, "supersedes": e.supersedes,
    }, ensure_ascii=False)


def to_command(line: CommandLine) -> Command:
    return Command(kind=ev.parse_kind(line.kind), payload=line.payload,
                   authority=line.authority, document_ref=line.document_ref, pesel=line.pesel,
                   effective_date=line.effective_date, supersedes=line.supersedes,
                   person_id=line.person_id)


def to_event(line: EventLine) -> ev.Event:
    kind = ev.parse_kind(line.kind)
    recorded = line.recorded_at
    if recorded.tzinfo is None:
        raise ImportFailed("recorded_at must carry a time zone")
    return ev.Event(line.person_id, kind, ev.parse_payload(kind, line.payload),
                    line.effective_date, line.authority, line.document_ref, recorded,
                    seq=line.seq, supersedes=line.supersedes)


def numbered(lines: Iterable[str], model: type[T], convert: Callable[[T], Any]
             ) -> Iterator[tuple[int, Any]]:
    """Parse each non-blank line; any failure names the line and stops everything."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            parsed = model.model_validate(json.loads(text))  # type: ignore[attr-defined]
            yield number, convert(parsed)
        except json.JSONDecodeError as exc:
            raise ImportFailed(f"line {number}: not valid JSON ({exc.msg}).") from None
        except RecursionError:  # from the decoder, or any walk over a hostile payload
            raise ImportFailed(f"line {number}: the JSON is nested too deeply to be an event."
                               ) from None
        except ValidationError as exc:
            raise ImportFailed(f"line {number}: {ev.plain_error(exc, 'line')}.") from None
        except ImportFailed as exc:
            raise ImportFailed(f"line {number}: {exc}") from None
        except OpenPeselError as exc:
            raise ImportFailed(f"line {number}: {exc}") from None
