"""Story tests of the register, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import datetime
import uuid

import pytest
from sqlalchemy import text

from openpesel.errors import (
    ImportFailed,
    InvalidEvent,
    PersonNotFound,
    RegisterError,
    StorageError,
)
from openpesel.number import get_birth_date, get_sex
from openpesel.population.build import build
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.registry.transfer import event_to_json
from openpesel.storage.store import Store
from tests.conftest import RegisterFactory, fresh_postgres
from tests.support.office import GMINA, born, count_events, event, projection_snapshot


def test_a_family_story(register: Register) -> None:
    # Two people are born and registered, marry, have a child, and one dies.
    anna = born(register, "Anna", "Wójcik", "F", "1980-03-02")
    piotr = born(register, "Piotr", "Kowalski", "M", "1978-07-11")
    assert get_birth_date(anna.pesel) == datetime.date(1980, 3, 2)
    assert get_sex(piotr.pesel).value == "M"

    event(register, ev.Kind.MARRIED, anna.pesel, "2005-06-01", spouse_pesel=piotr.pesel,
          family_name="Kowalska")
    jan = born(register, "Jan", "Kowalski", "M", "2007-01-05", mother_pesel=anna.pesel,
               father_pesel=piotr.pesel)
    event(register, ev.Kind.DIED, piotr.pesel, "2020-01-01")

    mother = register.show(anna.pesel)
    assert mother["family_name"] == "Kowalska"
    assert mother["civil_status"] == "widowed"
    assert {(link["relation"], link["pesel"]) for link in mother["links"]} == {("child", jan.pesel)}
    child = register.show(jan.pesel)
    assert {link["relation"] for link in child["links"]} == {"mother", "father"}
    assert register.show(piotr.pesel)["death_date"] == "2020-01-01"


def test_as_of_a_date_and_as_known_at_a_moment(register: Register) -> None:
    ewa = born(register, "Ewa", "Nowak", "F", "1990-01-01")
    event(register, ev.Kind.RESIDENCE_REGISTERED, ewa.pesel, "2010-05-01", GMINA,
          residence="permanent", teryt="1465011", address="ul. Polna 1, Warszawa")
    married = event(register, ev.Kind.NAME_CHANGED, ewa.pesel, "2015-02-02", family_name="Nowacka")
    before_fix = register.clock()
    # The name was entered wrongly; the USC corrects the entry.
    register.record(Command(ev.Kind.CORRECTED, {"replacement": {"family_name": "Nowakowska"},
                                                "reason": "typing error in the decision"},
                            ev.Authority.USC, "USC/fix/1", pesel=ewa.pesel,
                            supersedes=married.seqs[0]))

    assert register.show(ewa.pesel)["family_name"] == "Nowakowska"
    assert register.show(ewa.pesel, as_of=datetime.date(2012, 1, 1))["family_name"] == "Nowak"
    as_then = register.show(ewa.pesel, known_at=before_fix)
    assert as_then["family_name"] == "Nowacka"  # what the register believed before the fix
    with pytest.raises(PersonNotFound, match="not in the register on 1989-12-31"):
        register.show(ewa.pesel, as_of=datetime.date(1989, 12, 31))
    history = register.history(ewa.pesel)
    assert [e.kind for e in history][-1] is ev.Kind.CORRECTED  # the original entry stays


def test_sex_change_gives_a_new_number_and_retires_the_old(register: Register) -> None:
    old = born(register, "Maria", "Lis", "F", "1985-04-04")
    new = event(register, ev.Kind.SEX_CHANGED, old.pesel, "2021-01-01", sex="M")
    assert new.pesel != old.pesel
    assert get_sex(new.pesel).value == "M"
    assert get_birth_date(new.pesel) == get_birth_date(old.pesel)
    record = register.show(old.pesel)  # a retired number still finds the person
    assert record["pesel"] == new.pesel and record["former_pesels"] == [old.pesel]
    with pytest.raises(RegisterError, match="retired"):
        event(register, ev.Kind.NAME_CHANGED, old.pesel, "2022-01-01", first_names=["Marek"])
    with pytest.raises(RegisterError, match="never reused"):
        born(register, "Ola", "Lis", "F", "1985-04-04", pesel=old.pesel)


def test_birth_date_correction_moves_the_number_to_the_right_pool(register: Register) -> None:
    p = born(register, "Adam", "Duda", "M", "1970-01-01")
    fixed = event(register, ev.Kind.BIRTH_DATE_CORRECTED, p.pesel, "2000-01-01",
                  ev.Authority.MINISTER, birth_date="1970-01-10")
    assert get_birth_date(fixed.pesel) == datetime.date(1970, 1, 10)
    assert register.show(p.pesel)["former_pesels"] == [p.pesel]


@pytest.mark.parametrize(
    ("story", "message"),
    [
        ("after_death", "died on 2000-01-01"),
        ("bigamy", "already married"),
        ("two_homes", "already has a permanent residence"),
        ("child_before_parent", "at least 12 years older"),
        ("wrong_office", "may not record"),
        ("bad_teryt", "TERYT"),
        ("unknown_person", "No person with PESEL"),
    ],
)
def test_impossible_histories_are_refused_and_leave_nothing(
        register: Register, story: str, message: str) -> None:
    a = born(register, "Jan", "Nowak", "M", "1950-01-01")
    b = born(register, "Ala", "Kot", "F", "1952-01-01")
    c = born(register, "Ola", "Mysz", "F", "1953-01-01")
    event(register, ev.Kind.MARRIED, a.pesel, "1975-01-01", spouse_pesel=b.pesel)
    event(register, ev.Kind.RESIDENCE_REGISTERED, c.pesel, "1980-01-01", GMINA,
          residence="permanent", teryt="1261011", address="ul. Długa 5, Kraków")
    event(register, ev.Kind.DIED, b.pesel, "2000-01-01")
    before = count_events(register), projection_snapshot(register)

    attempts = {
        "after_death": lambda: event(register, ev.Kind.NAME_CHANGED, b.pesel, "2001-01-01",
                                     family_name="Inna"),
        "bigamy": lambda: event(register, ev.Kind.MARRIED, c.pesel, "1990-01-01",
                                spouse_pesel=a.pesel),
        "two_homes": lambda: event(register, ev.Kind.RESIDENCE_REGISTERED, c.pesel, "1990-01-01",
                                   GMINA, residence="permanent", teryt="1465011",
                                   address="ul. Krótka 1, Warszawa"),
        "child_before_parent": lambda: born(register, "Kid", "Mysz", "F", "1950-06-01",
                                            mother_pesel=c.pesel),
        "wrong_office": lambda: event(register, ev.Kind.RESIDENCE_REGISTERED, c.pesel,
                                      "1990-01-01", ev.Authority.USC, residence="temporary",
                                      teryt="1465011", address="ul. Krótka 1"),
        "bad_teryt": lambda: event(register, ev.Kind.RESIDENCE_REGISTERED, c.pesel, "1990-01-01",
                                   GMINA, residence="temporary", teryt="9999999",
                                   address="ul. Krótka 1"),
        "unknown_person": lambda: event(register, ev.Kind.DIED, "44051401359", "1990-01-01"),
    }
    with pytest.raises((RegisterError, InvalidEvent), match=message):
        attempts[story]()
    assert (count_events(register), projection_snapshot(register)) == before


def test_a_backdated_event_is_checked_against_the_whole_history(register: Register) -> None:
    p = born(register, "Jan", "Nowak", "M", "1950-01-01")
    event(register, ev.Kind.DIED, p.pesel, "2000-01-01")
    # Deregistering after death is what a municipality does; moving in after death is not.
    with pytest.raises(RegisterError, match="died"):
        event(register, ev.Kind.RESIDENCE_REGISTERED, p.pesel, "2005-01-01", GMINA,
              residence="permanent", teryt="1261011", address="ul. Długa 5, Kraków")
    event(register, ev.Kind.RESIDENCE_REGISTERED, p.pesel, "1990-01-01", GMINA,
          residence="permanent", teryt="1261011", address="ul. Długa 5, Kraków")
    assert register.show(p.pesel)["permanent_residence"]["teryt"] == "1261011"


def test_the_event_log_is_append_only_in_the_database(register: Register) -> None:
    born(register, "Jan", "Nowak", "M", "1950-01-01")
    for statement in ("UPDATE events SET kind = 'died'", "DELETE FROM events"):
        with pytest.raises(StorageError, match="append-only"), register.store.write() as s:
            s.conn.execute(text(statement))
    assert count_events(register) == 1


def test_rebuild_equals_the_incremental_projections(register: Register) -> None:
    build(register, 150, seed=3, today=datetime.date(2026, 6, 1))
    incremental = projection_snapshot(register)
    register.rebuild_projections()
    assert projection_snapshot(register) == incremental
    assert incremental["persons"]  # the comparison was not of two empty registers


def test_search_tolerates_missing_diacritics_and_typos(register: Register) -> None:
    lukasz = born(register, "Łukasz", "Wójcik", "M", "1990-05-05")
    kowalski = born(register, "Jan", "Kowalski", "M", "1960-01-01")
    born(register, "Jan", "Kowalczyk", "M", "1960-01-01")
    born(register, "Ewa", "Kowalska", "F", "1960-01-01")
    assert [h.pesel for h in register.search(Query("Lukasz Wojcik"))] == [lukasz.pesel]
    found = register.search(Query("Kowalsky"))
    assert found[0].pesel == kowalski.pesel
    assert register.search(Query("Kowalsky", sex="F"))[0].family_name == "Kowalska"
    assert register.search(Query("Jan Kowalski", year=1961)) == []
    assert [h.pesel for h in register.search(Query(kowalski.pesel))] == [kowalski.pesel]
    assert register.search(Query("Zzyzx")) == []
    # A former name still finds its bearer, after the people who carry it now.
    event(register, ev.Kind.NAME_CHANGED, lukasz.pesel, "2020-01-01", family_name="Kowalski")
    ranked = [h.pesel for h in register.search(Query("Kowalski"))]
    assert ranked[0] == kowalski.pesel and lukasz.pesel in ranked
    assert [h.pesel for h in register.search(Query("Wojcik"))] == [lukasz.pesel]


def test_export_and_import_round_trip_keeps_every_answer(register: Register,
                                                         store_url: str) -> None:
    a = born(register, "Anna", "Wójcik", "F", "1980-03-02")
    b = born(register, "Piotr", "Kowalski", "M", "1978-07-11")
    event(register, ev.Kind.MARRIED, a.pesel, "2005-06-01", spouse_pesel=b.pesel)
    moment = register.clock()
    event(register, ev.Kind.DIVORCED, a.pesel, "2010-06-01", spouse_pesel=b.pesel)
    lines = [event_to_json(e) for e in register.export()]

    url = (store_url.replace("register.sqlite", "copy.sqlite") if store_url.startswith("sqlite")
           else fresh_postgres(store_url))
    copy_store = Store(url)
    copy_store.initialise()
    copy = Register(copy_store)
    assert copy.import_events(lines).events == len(lines)
    assert copy.show(a.pesel) == register.show(a.pesel)
    assert copy.show(a.pesel, known_at=moment)["civil_status"] == "married"
    copy_store.dispose()


def test_a_bad_import_line_is_named_and_nothing_is_imported(
        register: Register, make_register: RegisterFactory) -> None:
    a = born(register, "Anna", "Wójcik", "F", "1980-03-02")
    lines = [event_to_json(e) for e in register.export()]
    twin = lines[0].replace(str(a.person_id), str(uuid.uuid4()))
    empty = make_register()
    with pytest.raises(ImportFailed, match=r"line 2: .*payload"):
        empty.import_events([lines[0], '{"seq": 9, "kind": "birth"}'])
    with pytest.raises(ImportFailed, match=r"line 2: .*already been issued"):
        empty.import_events([lines[0], twin])
    assert count_events(empty) == 0
    with pytest.raises(ImportFailed, match="empty register"):
        register.import_events(lines)
    assert count_events(register) == 1


def test_fingerprint_enrolment_is_an_event_and_spares_children(register: Register) -> None:
    adult = born(register, "Jan", "Nowak", "M", "1990-01-01")
    child = born(register, "Ola", "Nowak", "F", "2020-01-01")
    finger = {"finger": 2, "template": "Rk1SACAyMAA=", "quality": 71, "image_sha256": "ab" * 32}
    event(register, ev.Kind.FINGERPRINTS_ENROLLED, adult.pesel, "2025-01-01", GMINA,
          fingers=[finger], missing=[{"finger": 7, "reason": "bandaged"}])
    record = register.show(adult.pesel)
    assert [f["finger"] for f in record["fingers"]] == [2]
    assert record["missing_fingers"] == [[7, "bandaged"]]
    with pytest.raises(RegisterError, match="under 12"):
        event(register, ev.Kind.FINGERPRINTS_ENROLLED, child.pesel, "2025-01-01", GMINA,
              fingers=[finger])
    with pytest.raises(RegisterError, match="once"):
        event(register, ev.Kind.FINGERPRINTS_ENROLLED, adult.pesel, "2025-02-01", GMINA,
              fingers=[finger], missing=[{"finger": 2, "reason": "injured"}])
    # A later enrolment of the bandaged finger replaces the note that it was missing.
    event(register, ev.Kind.FINGERPRINTS_ENROLLED, adult.pesel, "2025-03-01", GMINA,
          fingers=[dict(finger, finger=7)])
    record = register.show(adult.pesel)
    assert [f["finger"] for f in record["fingers"]] == [2, 7] and record["missing_fingers"] == []
