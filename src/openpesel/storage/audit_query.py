"""A supervisor's search of the audit log: by person, principal, action and time.

The log stores each entry as its signed canonical JSON bytes (only
``person_id`` is copied into a column, for residents' reports), and the
append-only tables are not to be widened for browsing. So the other fields
are read out of the bytes by the database itself, with each engine's JSON
functions: ``json_extract`` on SQLite, ``jsonb`` on PostgreSQL. The canonical
time format (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) sorts as text, so a time range
is a text comparison. A filtered page scans the log newest first and stops at
the page's end; a person's entries use the ``person_id`` index.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from openpesel.storage.audit_tables import audit_entries
from openpesel.storage.store import StoreTransaction

_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class AuditFilter:
    """What a supervisor narrows the log to; an empty filter is the whole log."""

    pesel: str | None = None
    principal: str | None = None
    action: str | None = None
    since: datetime.datetime | None = None  # inclusive
    until: datetime.datetime | None = None  # exclusive

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.pesel, self.principal, self.action,
                                           self.since, self.until))

    def describe(self) -> list[str]:
        """The filter as the browsing's own audit entry lists it.

        >>> AuditFilter(principal="anna", action="read").describe()
        ['principal:anna', 'action:read']
        """
        out = []
        for name in ("pesel", "principal", "action", "since", "until"):
            value = getattr(self, name)
            if value is not None:
                shown = value.strftime(_STAMP) if isinstance(value, datetime.datetime) else value
                out.append(f"{name}:{shown}")
        return out


def _field(s: StoreTransaction, name: str) -> ColumnElement[str]:
    """One field of the entry's JSON bytes, as text, in the engine's own dialect."""
    if s.conn.dialect.name == "postgresql":
        doc = cast(func.convert_from(audit_entries.c.entry, "UTF8"), JSONB)
        text: ColumnElement[str] = doc[name].astext
        return text
    return func.json_extract(cast(audit_entries.c.entry, Text), f"$.{name}",
                             type_=Text)


def filtered(s: StoreTransaction, where: AuditFilter, person: uuid.UUID | None, offset: int,
             limit: int) -> list[tuple[int, bytes]]:
    """A page of the entries matching ``where``, newest first, as (index, stored bytes).

    ``person`` is the record ``where.pesel`` belongs to, when it is in the
    register: then every entry about that person is found by its index, under
    any of their numbers, and an entry naming the number without a record (a
    look-up of someone not registered) by the number itself.
    """
    query = select(audit_entries.c.idx, audit_entries.c.entry)
    if where.pesel is not None:
        by_number = _field(s, "pesel") == where.pesel
        query = query.where(or_(audit_entries.c.person_id == person, by_number)
                            if person is not None else by_number)
    if where.principal is not None:
        query = query.where(_field(s, "principal") == where.principal)
    if where.action is not None:
        query = query.where(_field(s, "action") == where.action)
    if where.since is not None:
        query = query.where(_field(s, "at") >= where.since.astimezone(datetime.UTC)
                            .strftime(_STAMP))
    if where.until is not None:
        query = query.where(_field(s, "at") < where.until.astimezone(datetime.UTC)
                            .strftime(_STAMP))
    rows = s.conn.execute(query.order_by(audit_entries.c.idx.desc()).offset(offset)
                          .limit(limit))
    return [(int(row.idx), bytes(row.entry)) for row in rows]
