"""Packed records and payloads (issue 16): a round trip, the register's own rows, and the
migration of registers written before revision 0009."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import inspect

from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.packing import PAYLOADS, RECORDS, pack, pack_text, unpack, unpack_text
from openpesel.storage.store import Store
from tests.support.migrations import downgrade
from tests.support.office import born, event

OLD_REGISTER = Path(__file__).parent / "data" / "register-0008.sqlite"
"""A register of 20 synthetic residents (births, marriages, ID cards, passports, deaths,
moves), written by commit d0a899c's ``openpesel demo --size 20``: schema 0008, plain JSON."""

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(value=st.dictionaries(st.text(), _json, max_size=8),
       dict_id=st.sampled_from([RECORDS, PAYLOADS]))
def test_any_json_object_packs_and_unpacks_to_itself(value: dict[str, Any], dict_id: int) -> None:
    blob = pack(value, dict_id)
    assert blob[0] == dict_id
    assert unpack(blob) == value
    assert unpack_text(blob) == unpack_text(pack_text(unpack_text(blob), dict_id))


def test_plain_json_of_an_older_register_still_reads() -> None:
    assert unpack(b'{"a": [1, "\\u0142"]}') == {"a": [1, "ł"]}
    assert unpack('{"a": 1}') == {"a": 1}


def _raw(store: Store, sql: str) -> list[tuple[Any, ...]]:
    with store.read() as s:
        return [tuple(r) for r in s.conn.exec_driver_sql(sql)]


def _text(value: Any) -> str:
    """A stored value's JSON text (psycopg hands a ``json`` column back parsed)."""
    return json.dumps(value) if isinstance(value, dict) else unpack_text(value)


def _texts(store: Store) -> tuple[dict[str, str], dict[int, str]]:
    """Every record's and payload's JSON text, by person and by seq, as stored."""
    records = {str(k): _text(v) for k, v in _raw(store, "SELECT person_id, record FROM persons")}
    payloads = {int(k): _text(v) for k, v in _raw(store, "SELECT seq, payload FROM events")}
    return records, payloads


def _all_packed(store: Store) -> bool:
    rows = _raw(store, "SELECT record FROM persons") + _raw(store, "SELECT payload FROM events")
    return all(isinstance(v, bytes | memoryview) and bytes(v)[0] in (RECORDS, PAYLOADS)
               for (v,) in rows)


def _index_names(store: Store) -> set[str]:
    with store.read() as s:
        found = inspect(s.conn)
        return {str(i["name"]) for t in ("persons", "pesel_assignments")
                for i in found.get_indexes(t)}


def test_the_register_writes_packed_rows_a_fraction_of_their_json(register: Register) -> None:
    anna = born(register, "Anna", "Wiśniewska", "F", "1980-01-01")
    event(register, ev.Kind.ID_CARD_ISSUED, anna.pesel, "2020-01-01", ev.Authority.GMINA,
          number="ABC123456", valid_until="2030-01-01")
    assert _all_packed(register.store)
    records, _ = _texts(register.store)
    (stored,) = _raw(register.store, "SELECT record FROM persons")
    assert len(bytes(stored[0])) * 3 < len(next(iter(records.values())))
    assert register.show(anna.pesel)["first_names"] == ["Anna"]
    assert [e.kind for e in register.history(anna.pesel)] == [ev.Kind.BIRTH,
                                                              ev.Kind.ID_CARD_ISSUED]


def test_an_old_register_is_packed_in_place_and_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    shutil.copy(OLD_REGISTER, path)
    store = Store(f"sqlite:///{path}")
    try:
        before = _texts(store)
        assert not _all_packed(store) and "ix_persons_birth_date" in _index_names(store)
        register = Register(store)
        pesels = [str(p) for (p,) in _raw(store, "SELECT pesel FROM persons ORDER BY pesel")]
        store.initialise()  # what `openpesel init` and every start run: the upgrade
        assert _all_packed(store)
        assert _texts(store) == before, "every record and payload is the same text, packed"
        assert not {"ix_persons_birth_date", "ix_pesel_assignments_person_id"} & _index_names(
            store)
        for pesel in pesels:
            assert register.show(pesel)["pesel"] == pesel
            assert register.history(pesel)
        with pytest.raises(Exception, match="append-only"), store.write() as s:
            s.conn.exec_driver_sql("UPDATE events SET document_ref = 'x'")
    finally:
        store.dispose()


def test_a_register_taken_back_to_0008_is_plain_and_upgrades_again(register: Register) -> None:
    anna = born(register, "Anna", "Wiśniewska", "F", "1980-01-01")
    jan = born(register, "Jan", "Wiśniewski", "M", "1979-01-01")
    event(register, ev.Kind.MARRIED, anna.pesel, "2005-06-01", spouse_pesel=jan.pesel,
          family_name="Wiśniewska")
    store = register.store
    before = _texts(store)
    downgrade(store, "0008")
    assert _texts(store) == before
    assert not any(bytes(v)[:1] in (b"\x01", b"\x02") if isinstance(v, bytes | memoryview)
                   else False for (v,) in _raw(store, "SELECT payload FROM events"))
    store.initialise()
    assert _all_packed(store) and _texts(store) == before
    assert register.show(anna.pesel)["civil_status"] == "married"
