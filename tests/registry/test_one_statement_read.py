"""A current read by number is one statement (issue 16), and says what the record, the links
and the relatives' records say."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from openpesel.registry import events as ev
from openpesel.registry.kin import Relative
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.office import born, event as record_event


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def _family(register: Register) -> tuple[str, str, str, str]:
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    jan = born(register, "Jan Paweł", "Nowak", "M", "1979-05-05")
    record_event(register, ev.Kind.MARRIED, anna.pesel, "2005-06-01", spouse_pesel=jan.pesel)
    ola = born(register, "Ola", "Nowak", "F", "2010-02-02", mother_pesel=anna.pesel,
               father_pesel=jan.pesel)
    return anna.pesel, jan.pesel, ola.pesel, born(register, "Ewa", "Lis", "F", "1990-03-03").pesel


def test_a_lookup_by_number_is_one_statement(register: Register) -> None:
    anna, jan, ola, _ = _family(register)
    with register.store.read() as s, statements(register.store) as seen:
        record = register.show(anna, session=s)
    assert len(seen) == 1, seen
    assert sorted((link["relation"], link["pesel"]) for link in record["links"]) == [
        ("child", ola), ("spouse", jan)]


def test_it_says_what_the_record_links_and_relatives_say(register: Register) -> None:
    for pesel in _family(register):
        with register.store.read() as s:
            shown = register.show(pesel, session=s)
            holder = s.holder(pesel)
            assert holder is not None
            record = s.record(holder[0])
            assert record is not None
            links = s.linked(holder[0])
            linked = s.records(o for _, o in links)
            relatives = {o: Relative.of_record(r) for o, r in linked.items()}
        expected = [{"relation": rel, "pesel": relatives[o].pesel, "name": relatives[o].name}
                    for rel, o in links]
        assert {k: v for k, v in shown.items() if k != "links"} == record
        assert sorted(shown["links"], key=str) == sorted(expected, key=str)
