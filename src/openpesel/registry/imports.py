"""Filling an empty register from an export: what the import wrote, and its clock."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from openpesel.errors import RegisterError
from openpesel.registry import events as ev


@dataclass(frozen=True)
class Imported:
    """What an import wrote: how many events, and whose records (each access is audited)."""

    events: int
    people: tuple[uuid.UUID, ...]


class Forward:
    """An import's transaction times stop at the register's now, and run forward per person.

    One person's events are written under that person's row lock, so their
    times follow their order in the log; an earlier time after a later one
    would let an as-of-known read see an event before the record it changes.
    (Across people, concurrent writers may interleave, so no order is asked.)
    """

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now
        self.last: dict[uuid.UUID, datetime.datetime] = {}

    def check(self, e: ev.Event) -> ev.Event:
        if e.recorded_at > self.now:
            raise RegisterError(f"it was recorded at {e.recorded_at:%Y-%m-%d %H:%M:%S}, "
                                "which is later than now.")
        last = self.last.get(e.person_id)
        if last is not None and e.recorded_at < last:
            raise RegisterError(
                f"it was recorded at {e.recorded_at:%Y-%m-%d %H:%M:%S}, before an earlier line "
                "of the same person: a person's events run forward in time.")
        self.last[e.person_id] = e.recorded_at
        return e
