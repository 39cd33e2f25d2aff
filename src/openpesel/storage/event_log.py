"""The append-only event log: appending an event, reading a person's or everyone's.

The database refuses UPDATE and DELETE on ``events`` (a trigger on both
engines); this module only ever inserts and selects.

Events a fingerprint gallery follows (``ev.GALLERY_KINDS``) are appended only
under the gallery lock, held until commit. Event numbers come from a sequence,
taken at insert, so on PostgreSQL a transaction that took number 10 can commit
after one that took 11; a gallery that caught up to 11 would then never read 10
(issue 18: a duplicate slipped through until a rebuild). Under the lock, two
transactions that append such events never overlap, so those events commit in
the order of their numbers, and "everything after the last number read" is
exactly what committed since. The lock is one advisory lock (no table, no
migration); it is taken before the person's row and number-pool locks
(``Register._record``), so writers never wait on each other in a cycle.
SQLite needs none: ``BEGIN IMMEDIATE`` already lets one writer in at a time.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import bindparam, func, select

from openpesel.registry import events as ev
from openpesel.registry.ports import NumberTaken
from openpesel.storage import schema as t
from openpesel.storage.driver import RawSql, Transaction

_a, _e = t.pesel_assignments.c, t.events.c
_APPEND = RawSql("""INSERT INTO events (person_id, kind, payload, effective_date, recorded_at,
    authority, document_ref, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq""",
              _e.person_id, _e.kind, _e.payload, _e.effective_date, _e.recorded_at,
              _e.authority, _e.document_ref, _e.supersedes)
_APPEND_UNLESS_HELD = RawSql("""INSERT INTO events (person_id, kind, payload, effective_date,
    recorded_at, authority, document_ref, supersedes) SELECT ?, ?, ?, ?, ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM pesel_assignments WHERE pesel = ?) RETURNING seq""",
                          *_APPEND.columns, _a.pesel)
_EVENTS_FOR = select(t.events).where(t.events.c.person_id == bindparam("pid")).order_by(
    t.events.c.seq)
GALLERY_LOCK_KEY = 0x4F50_4741_4C4C
"""The advisory lock's key (PostgreSQL): "OPGALL", unlikely to collide with another's."""
_LOCK_GALLERY = RawSql(f"SELECT pg_advisory_xact_lock({GALLERY_LOCK_KEY})")
_CHUNK = {bounded: select(t.events).where(
    _e.seq > bindparam("after"), *([_e.seq <= bindparam("through")] if bounded else [])
).order_by(_e.seq).limit(bindparam("limit")) for bounded in (False, True)}
"""One keyset chunk of the log, with or without an upper bound, built once."""


def utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment


def row_to_event(row: Any) -> ev.Event:
    kind = ev.Kind(row.kind)
    recorded = utc(row.recorded_at)
    assert recorded is not None
    return ev.Event(
        person_id=row.person_id,
        kind=kind,
        payload=ev.parse_payload(kind, row.payload),
        effective_date=row.effective_date,
        authority=ev.Authority(row.authority),
        document_ref=row.document_ref,
        recorded_at=recorded,
        seq=row.seq,
        supersedes=row.supersedes,
    )


class EventLog(Transaction):
    """The log's statements."""

    _unchecked: set[str]
    """Numbers allocated with ``check_later`` (``numbers.PostgresNumbers``), checked here."""

    def append(self, event: ev.Event) -> int:
        """Append ``event``; a new person's number allocated with ``check_later`` is
        checked in the same statement, raising ``NumberTaken`` if it is held."""
        values = (event.person_id, event.kind.value, event.payload_json(), event.effective_date,
                  event.recorded_at, event.authority.value, event.document_ref, event.supersedes)
        if event.kind in ev.GALLERY_KINDS:
            self.lock_gallery()  # also for paths that do not pass through ``Register._record``
        pesel = getattr(event.payload, "pesel", None)
        if pesel not in self._unchecked or event.kind not in ev.CREATING_KINDS:
            return int(self.run(_APPEND, *values).fetchone()[0])
        self._unchecked.discard(pesel)
        row = self.run(_APPEND_UNLESS_HELD, *values, pesel).fetchone()
        if row is None:
            raise NumberTaken(pesel)
        return int(row[0])

    def lock_gallery(self) -> None:
        """SQLite: nothing to do, its writers already run one at a time (BEGIN IMMEDIATE)."""

    def events_for(self, person_id: uuid.UUID) -> list[ev.Event]:
        return [row_to_event(r) for r in self.conn.execute(_EVENTS_FOR, {"pid": person_id})]

    def iter_events(self, batch: int = 5000) -> Iterator[ev.Event]:
        """The whole log in order, ``batch`` events a statement (``events_after``)."""
        last = 0
        while chunk := self.events_after(last, batch):
            yield from chunk
            last = chunk[-1].seq

    def events_after(self, after: int, limit: int, through: int | None = None) -> list[ev.Event]:
        """The next ``limit`` events after ``after`` (up to ``through``), by keyset.

        ``seq > after ORDER BY seq LIMIT n`` is one range of the primary key however
        deep it starts, where an offset would read and drop every event before it: so
        an export, or a caller resuming one, costs the same for its last chunk as for
        its first, and no more than one chunk is ever held."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if through is not None:
            params["through"] = through
        rows = self.conn.execute(_CHUNK[through is not None], params).all()
        return [row_to_event(r) for r in rows]

    def log_end(self) -> int:
        """The log's last ``seq`` (0 when empty): an export's end, fixed when it is audited."""
        return int(self.conn.execute(select(func.coalesce(func.max(_e.seq), 0))).scalar_one())

    def has_events(self) -> bool:
        """Whether the log holds anything: one index probe, where a count reads it all."""
        return self.conn.execute(select(t.events.c.seq).limit(1)).first() is not None

    def count(self, table: str) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.metadata.tables[table]))
                   .scalar_one())


class PostgresEventLog(EventLog):
    """PostgreSQL's log: the gallery lock is a transaction-level advisory lock.

    Not cached per session: a savepoint rolled back releases the locks taken
    inside it, and taking a lock already held is one cheap round trip.
    """

    def lock_gallery(self) -> None:
        self.run(_LOCK_GALLERY)
