"""Chunks prepared in a worker process make the very register that inline preparation does.

A large load prepares chunk k+1 in a spawned process while chunk k is written
(``population.bulk._preparer``). What crosses the process boundary is pickled:
the residents, the pools' key, the assumed pool counters and event numbers. A
mistake there (a stale counter, an event number off by one, a lost field) would
show as a different register, so two loads of the same seed, one each way, must
agree row for row.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from openpesel.population.bulk import load_population
from openpesel.storage.packing import unpack
from openpesel.storage.store import Store

AS_OF = datetime.date(2026, 6, 1)


def _table(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return sorted(tuple(str(v) for v in row) for row in conn.execute(text(sql)))


def _register(tmp_path: Path, name: str, key: bytes | None) -> Store:
    store = Store(f"sqlite:///{tmp_path / name}.sqlite")
    store.initialise()
    if key is not None:
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE register_meta SET value = :v WHERE name = 'pool_key'"),
                         {"v": key})
    return store


def test_a_load_prepared_in_a_worker_process_equals_one_prepared_inline(tmp_path: Path) -> None:
    inline = _register(tmp_path, "inline", None)
    with inline.read() as s:
        key = s.pool_key()
    ahead = _register(tmp_path, "ahead", key)
    try:
        first = load_population(inline, 1_500, 21, chunk=500, as_of=AS_OF, ahead_process=False)
        second = load_population(ahead, 1_500, 21, chunk=500, as_of=AS_OF, ahead_process=True)
        assert (first.residents, first.events, first.loaded) == (
            second.residents, second.events, second.loaded) == (1_500, first.events, 3)
        for sql in ("SELECT person_id, pesel, family_name, first_names, birth_date, sex, "
                    "teryt, last_seq FROM persons",
                    "SELECT seq, person_id, kind, effective_date, document_ref FROM events",
                    "SELECT pesel, person_id, assigned_seq FROM pesel_assignments",
                    "SELECT birth_date, sex, issued FROM pesel_pools",
                    "SELECT name_norm, person_id, role FROM person_names",
                    "SELECT person_id, relation, other_id FROM person_links"):
            assert _table(inline, sql) == _table(ahead, sql), sql
        payloads = [_payloads(store) for store in (inline, ahead)]
        assert payloads[0] == payloads[1]
    finally:
        inline.dispose()
        ahead.dispose()


def _payloads(store: Store) -> list[tuple[int, str]]:
    with store.engine.connect() as conn:
        return sorted((int(seq), str(unpack(payload))) for seq, payload in conn.execute(
            text("SELECT seq, payload FROM events")))
