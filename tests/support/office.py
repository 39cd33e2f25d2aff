"""A registry office's vocabulary for tests: short calls that read like the day's work."""

from __future__ import annotations

import datetime
from typing import Any

from openpesel.registry import events as ev
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.service import Register
from openpesel.storage.store import Store

USC, GMINA = ev.Authority.USC, ev.Authority.GMINA


def born(reg: Register, first: str, family: str, sex: str, on: str, **more: Any) -> Recorded:
    payload = {"first_names": [first], "family_name": family, "sex": sex, "birth_date": on,
               "birth_place": "Kraków", **more}
    return reg.record(Command(ev.Kind.BIRTH, payload, USC, f"USC/{on}/{first}"))


def event(reg: Register, kind: ev.Kind, pesel: str, on: str, authority: ev.Authority = USC,
          **payload: Any) -> Recorded:
    return reg.record(Command(kind, payload, authority, f"DOC/{kind.value}/{on}", pesel=pesel,
                              effective_date=datetime.date.fromisoformat(on)))


def count_events(reg: Register[Store]) -> int:
    with reg.store.read() as s:
        return s.count("events")


def projection_snapshot(reg: Register) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, sorted, so two states of the register can be compared."""
    tables = ["persons", "person_names", "person_links", "past_parents", "name_variants",
              "pesel_assignments"]
    with reg.store.read() as s:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            rows = s.conn.exec_driver_sql(f"SELECT * FROM {table}").all()
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
        return out
