"""As-of reads tell the truth about relatives: every link is a fold of the log too.

The record of a date, as known at a moment, is the fold of the events effective
by that date and recorded by that moment; its links must come from the same
fold, for the person and for each relative. The oracle here folds every member
of a generated family by brute force and derives the links from those folds
alone, so it shares nothing with the register's candidate tables.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from openpesel.errors import PersonNotFound, RegisterError
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.history import fold
from openpesel.registry.service import Register
from openpesel.registry.state import PersonState
from openpesel.storage.store import Store
from tests.support.office import USC, born, event, projection_snapshot

D = datetime.date.fromisoformat
DAY = datetime.timedelta(days=1)


def _links(register: Register, pesel: str, as_of: datetime.date | None = None,
           known_at: datetime.datetime | None = None) -> set[tuple[str, str]]:
    record = register.show(pesel, as_of, known_at)
    return {(link["relation"], link["pesel"]) for link in record["links"]}


def test_no_spouse_before_the_wedding_and_no_child_before_the_birth(register: Register) -> None:
    """The issue's reproduction: 23 of 24 as-of reads listed relatives who did not exist yet."""
    anna = born(register, "Anna", "Nowak", "F", "1990-03-01").pesel
    jan = born(register, "Jan", "Kowalski", "M", "1988-07-09").pesel
    event(register, ev.Kind.MARRIED, anna, "2015-06-20", spouse_pesel=jan)
    ola = born(register, "Ola", "Kowalska", "F", "2018-02-02", mother_pesel=anna,
               father_pesel=jan).pesel

    assert _links(register, anna, D("2015-06-19")) == set()
    assert _links(register, anna, D("2015-06-20")) == {("spouse", jan)}
    assert _links(register, anna, D("2018-02-01")) == {("spouse", jan)}
    assert _links(register, anna, D("2018-02-02")) == {("spouse", jan), ("child", ola)}
    assert _links(register, jan, D("2018-02-01")) == {("spouse", anna)}
    assert _links(register, anna) == {("spouse", jan), ("child", ola)}


def test_a_relative_is_shown_as_they_were_then(register: Register) -> None:
    """A linked person's number and name come from their own fold for the same date."""
    anna = born(register, "Anna", "Nowak", "F", "1990-03-01").pesel
    jan = born(register, "Jan", "Kowalski", "M", "1988-07-09").pesel
    event(register, ev.Kind.MARRIED, anna, "2015-06-20", spouse_pesel=jan)
    event(register, ev.Kind.NAME_CHANGED, jan, "2020-01-10", family_name="Zieliński")

    then = register.show(anna, D("2016-01-01"))["links"]
    assert [(x["relation"], x["name"]) for x in then] == [("spouse", "Jan Kowalski")]
    now = register.show(anna)["links"]
    assert [(x["relation"], x["name"]) for x in now] == [("spouse", "Jan Zieliński")]


def test_an_adopted_child_belongs_to_each_parent_for_their_own_dates(register: Register) -> None:
    ewa = born(register, "Ewa", "Lis", "F", "1980-01-01").pesel
    maria = born(register, "Maria", "Wójcik", "F", "1975-05-05").pesel
    kid = born(register, "Kacper", "Lis", "M", "2010-04-04", mother_pesel=ewa)
    new = event(register, ev.Kind.ADOPTED, kid.pesel, "2014-09-01", mother_pesel=maria,
                family_name="Wójcik").pesel

    assert _links(register, ewa, D("2014-08-31")) == {("child", kid.pesel)}
    assert _links(register, ewa, D("2014-09-01")) == set()
    assert _links(register, maria, D("2014-08-31")) == set()
    assert _links(register, maria, D("2014-09-01")) == {("child", new)}
    before = projection_snapshot(register)
    register.rebuild_projections()
    assert projection_snapshot(register) == before


def test_a_corrected_mother_is_not_rewritten_into_the_past(register: Register,
                                                           clock: Any) -> None:
    """Before a correction was recorded, the register believed the first mother."""
    first = born(register, "Ewa", "Lis", "F", "1980-01-01").pesel
    right = born(register, "Ida", "Lis", "F", "1981-01-01").pesel
    kid = born(register, "Kacper", "Lis", "M", "2010-04-04", mother_pesel=first)
    with register.store.read() as s:
        birth = s.events_for(kid.person_id)[0]
    believed = clock.now
    replacement = birth.payload.model_dump(mode="json", exclude_none=True)
    replacement |= {"mother_id": None, "mother_pesel": right}
    replacement = _resolved(register, replacement)
    register.record(Command(ev.Kind.CORRECTED, {"replacement": replacement,
                                                "reason": "wrong mother entered"},
                            USC, "USC/K/1", pesel=kid.pesel, supersedes=birth.seq))

    assert _links(register, first, known_at=believed) == {("child", kid.pesel)}
    assert _links(register, right, known_at=believed) == set()
    assert _links(register, first) == set()
    assert _links(register, right) == {("child", kid.pesel)}


def _resolved(register: Register, payload: dict[str, Any]) -> dict[str, Any]:
    """A stored payload names parents by id; a correction's replacement does the same."""
    pesel = payload.pop("mother_pesel")
    payload["mother_id"] = str(register.resolve(pesel))
    return payload


# -- the property ------------------------------------------------------------

@dataclass
class Family:
    """The people of one generated history, and the moments its events were recorded."""

    people: dict[str, uuid.UUID] = field(default_factory=dict)
    moments: list[datetime.datetime] = field(default_factory=list)
    dates: list[datetime.date] = field(default_factory=list)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    """A family's life as steps: two partners, their children, perhaps more.

    Steps come in an order the register must accept (a parent is recorded
    before a child), but effective dates need not follow the order of
    recording, so as-of and known-at reads disagree in interesting ways.
    """
    mother_born = draw(st.dates(D("1950-01-01"), D("1985-12-31")))
    father_born = draw(st.dates(D("1950-01-01"), D("1985-12-31")))
    adult = max(mother_born, father_born).replace(day=1) + datetime.timedelta(days=366 * 19)
    wedding = draw(st.dates(adult, D("2024-12-31")))
    steps: list[tuple[str, dict[str, Any]]] = [
        ("born", {"who": "mother", "sex": "F", "on": mother_born}),
        ("born", {"who": "father", "sex": "M", "on": father_born}),
    ]
    later: list[tuple[str, dict[str, Any]]] = [("married", {"on": wedding})]
    earliest_child = mother_born + datetime.timedelta(days=366 * 13)
    for n in range(draw(st.integers(0, 3))):
        on = draw(st.dates(earliest_child, D("2025-12-31")))
        later.append(("child", {"who": f"child{n}", "on": on,
                                "father": draw(st.booleans())}))
    if draw(st.booleans()):
        later.append(("divorced", {"on": draw(st.dates(wedding, D("2025-12-31")))}))
    if draw(st.booleans()):
        later.append(("renamed", {"who": draw(st.sampled_from(["mother", "father"])),
                                  "on": draw(st.dates(adult, D("2025-12-31")))}))
    if draw(st.booleans()):
        later.append(("withdraw_wedding", {}))
    if draw(st.booleans()):
        later.append(("adopt", {"on": draw(st.dates(D("2000-01-01"), D("2025-12-31")))}))
    return steps + draw(st.permutations(later))


def _play(register: Register, clock: Any, steps: list[tuple[str, dict[str, Any]]],
          tag: str) -> Family:
    """Record the steps; a step the law refuses (a child born before an adoption) is skipped."""
    family = Family()
    pesels: dict[str, str] = {}

    def moment() -> None:
        family.moments.append(clock.now)

    for kind, step in steps:
        # The law may refuse a generated step; the history goes on without it.
        with contextlib.suppress(RegisterError):
            _step(register, kind, step, pesels, family, tag)
        moment()
    return family


def _step(register: Register, kind: str, step: dict[str, Any], pesels: dict[str, str],
          family: Family, tag: str) -> None:
    on: Any = step.get("on")
    if on is not None:
        family.dates.append(on)
    if kind == "born":
        done = born(register, "Anna" if step["sex"] == "F" else "Jan", f"Rod{tag}",
                    step["sex"], on.isoformat())
    elif kind == "child":
        parents = {"mother_pesel": pesels["mother"]}
        if step["father"]:
            parents["father_pesel"] = pesels["father"]
        done = born(register, "Ola", f"Rod{tag}", "F", on.isoformat(), **parents)
    elif kind == "married":
        event(register, ev.Kind.MARRIED, pesels["mother"], on.isoformat(),
              spouse_pesel=pesels["father"])
        return
    elif kind == "divorced":
        event(register, ev.Kind.DIVORCED, pesels["mother"], on.isoformat(),
              spouse_pesel=pesels["father"])
        return
    elif kind == "renamed":
        who = step["who"]
        pesels[who] = event(register, ev.Kind.NAME_CHANGED, pesels[who], on.isoformat(),
                            family_name=f"Nowy{tag}").pesel
        return
    elif kind == "withdraw_wedding":
        with register.store.read() as s:
            log = s.events_for(family.people["mother"])
        wedding = next((e for e in log if e.kind is ev.Kind.MARRIED), None)
        if wedding is None:
            return
        register.record(Command(ev.Kind.CORRECTED, {"reason": "entered in error"}, USC,
                                "USC/K/2", pesel=pesels["mother"], supersedes=wedding.seq))
        return
    else:  # adopt the first child into the father's care alone
        child = next((c for c in pesels if c.startswith("child")), None)
        if child is None:
            return
        pesels[child] = event(register, ev.Kind.ADOPTED, pesels[child], on.isoformat(),
                              father_pesel=pesels["father"]).pesel
        return
    pesels[step["who"]] = done.pesel
    family.people[step["who"]] = done.person_id


def _oracle(register: Register, family: Family, pid: uuid.UUID, as_of: datetime.date | None,
            known_at: datetime.datetime | None) -> dict[str, Any] | None:
    """The record and its links from nothing but folds of every family member's log."""
    with register.store.read() as s:
        folded = {p: fold(s.events_for(p), as_of, known_at) for p in family.people.values()}
    me = folded[pid]
    if me is None:
        return None
    record = me.to_json()
    links: list[tuple[str, PersonState]] = []
    for relation, other in (("mother", me.mother.person_id if me.mother else None),
                            ("father", me.father.person_id if me.father else None),
                            ("spouse", me.spouse_id)):
        then = folded.get(other) if other is not None else None
        if then is not None:
            links.append((relation, then))
    for state in folded.values():
        if state is not None and pid in {p.person_id for p in (state.mother, state.father) if p}:
            links.append(("child", state))
    record["links"] = sorted(
        ({"relation": r, "pesel": o.pesel, "name": f"{o.first_names[0]} {o.family_name}"}
         for r, o in links), key=lambda x: (x["relation"], x["pesel"]))
    return record


_serial = iter(range(10**6))


@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(steps=histories(), data=st.data())
def test_every_field_and_link_of_an_as_of_read_is_a_fold(
        register: Register[Store], clock: Any, steps: list[tuple[str, dict[str, Any]]],
        data: st.DataObject) -> None:
    tag = "abcdefghij"[next(_serial) % 10] + "abcdefghij"[next(_serial) % 10]
    family = _play(register, clock, steps, tag.capitalize())
    dates = sorted({d + delta for d in family.dates for delta in (-DAY, 0 * DAY)})
    for _ in range(6):
        as_of = data.draw(st.sampled_from([None, *dates]))
        known_at = data.draw(st.sampled_from([None, *family.moments]))
        for pid in family.people.values():
            with register.store.read() as s:
                pesel = s.events_for(pid)[0].payload.pesel  # type: ignore[attr-defined]
            expected = _oracle(register, family, pid, as_of, known_at)
            if expected is None:
                with pytest.raises(PersonNotFound):
                    register.show(pesel, as_of, known_at)
                continue
            if as_of is None and known_at is None:
                expected.pop("links")
                got = register.show(pesel)
                got_links = sorted(got.pop("links"), key=lambda x: (x["relation"], x["pesel"]))
                oracle_links = _oracle(register, family, pid, None, None)
                assert oracle_links is not None and got_links == oracle_links["links"]
                assert got == expected
                continue
            got = register.show(pesel, as_of, known_at)
            got["links"] = sorted(got["links"], key=lambda x: (x["relation"], x["pesel"]))
            assert got == expected, (as_of, known_at)
