"""Reads and writes of the case log, the ABIS references, and the gallery's feed of events.

Plain SQL through SQLAlchemy Core on a caller's ``StoreTransaction``, so a case entry
commits with the register events and the audit entry of the same decision.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select

from openpesel.registry import events as ev
from openpesel.storage import schema as t
from openpesel.storage.case_tables import abis_references, adjudication_log
from openpesel.storage.event_log import row_to_event
from openpesel.storage.session import StoreTransaction


@dataclass(frozen=True)
class CaseEntry:
    seq: int
    case_id: uuid.UUID
    kind: str
    at: datetime.datetime
    principal: str
    body: dict[str, Any]


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def append_entry(s: StoreTransaction, case_id: uuid.UUID, kind: str, at: datetime.datetime,
                 principal: str, body: dict[str, Any]) -> int:
    return int(s.conn.execute(insert(adjudication_log).values(
        case_id=case_id, kind=kind, at=at, principal=principal, body=body,
    ).returning(adjudication_log.c.seq)).scalar_one())


def lock_case(s: StoreTransaction, case_id: uuid.UUID) -> None:
    """Serialise decisions on one case until the transaction ends.

    Without it two examiners confirming the same first opinion at once could
    both read "pending" and both link the records. PostgreSQL locks the case's
    ``opened`` row (a row lock, which the log's no-UPDATE trigger does not
    see); SQLite's ``BEGIN IMMEDIATE`` already serialises writers.
    """
    s.conn.execute(select(adjudication_log.c.seq)
                   .where(adjudication_log.c.case_id == case_id)
                   .where(adjudication_log.c.kind == "opened").with_for_update())


def entries(s: StoreTransaction, case_id: uuid.UUID | None = None) -> list[CaseEntry]:
    """Every entry of one case, or of all cases, in the order they were written."""
    query = select(adjudication_log).order_by(adjudication_log.c.seq)
    if case_id is not None:
        query = query.where(adjudication_log.c.case_id == case_id)
    return [CaseEntry(r.seq, r.case_id, r.kind, _utc(r.at), r.principal, dict(r.body))
            for r in s.conn.execute(query)]


def events_after(s: StoreTransaction, seq: int, kinds: Iterable[ev.Kind]) -> list[ev.Event]:
    """Events of ``kinds`` appended after ``seq``: what a derived index must catch up on."""
    query = (select(t.events).where(t.events.c.seq > seq)
             .where(t.events.c.kind.in_([k.value for k in kinds])).order_by(t.events.c.seq))
    return [row_to_event(r) for r in s.conn.execute(query)]


def last_seq(s: StoreTransaction) -> int:
    return int(s.conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one())


# -- ABIS references ---------------------------------------------------------


def abis_get(s: StoreTransaction, reference_id: str) -> list[dict[str, Any]] | None:
    row = s.conn.execute(select(abis_references.c.templates)
                         .where(abis_references.c.reference_id == reference_id)).first()
    return None if row is None else list(row.templates)


def abis_put(s: StoreTransaction, reference_id: str, templates: list[dict[str, Any]],
             at: datetime.datetime) -> None:
    s.conn.execute(insert(abis_references).values(
        reference_id=reference_id, templates=templates, inserted_at=at))


def abis_delete(s: StoreTransaction, reference_id: str) -> bool:
    done = s.conn.execute(delete(abis_references)
                          .where(abis_references.c.reference_id == reference_id))
    return bool(done.rowcount)


def abis_all(s: StoreTransaction) -> list[tuple[str, list[dict[str, Any]]]]:
    rows = s.conn.execute(select(abis_references.c.reference_id, abis_references.c.templates)
                          .order_by(abis_references.c.reference_id))
    return [(r.reference_id, list(r.templates)) for r in rows]


def abis_count(s: StoreTransaction) -> int:
    return int(s.conn.execute(select(func.count()).select_from(abis_references)).scalar_one())
