"""The synthetic population: deterministic, lifelike, and written through the event path."""

from __future__ import annotations

import datetime
from collections import Counter

from openpesel.number import get_birth_date
from openpesel.population import data
from openpesel.population.build import build
from openpesel.population.plan import feminine, plan
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from tests.conftest import Clock

TODAY = datetime.date(2026, 6, 1)


def test_the_same_seed_gives_the_same_plan_and_another_seed_does_not() -> None:
    def summary(seed: int) -> list[tuple[datetime.date, str, int]]:
        return [(e.date, e.kind.value, e.subject) for e in plan(400, seed, TODAY)]

    assert summary(5) == summary(5)
    assert summary(5) != summary(6)


def test_the_plan_follows_the_age_pyramid_and_the_law() -> None:
    events = plan(4000, 11, TODAY)
    kinds = Counter(e.kind for e in events)
    creations = [e for e in events if e.kind in ev.CREATING_KINDS]
    assert len(creations) == 4000
    ages = [(TODAY - datetime.date.fromisoformat(e.payload["birth_date"])).days // 365
            for e in creations]
    bands = Counter(min(a // 5, 17) for a in ages)
    expected = [b / sum(data.AGE_BANDS_THOUSANDS) for b in data.AGE_BANDS_THOUSANDS]
    for band, share in enumerate(expected):
        assert abs(bands[band] / 4000 - share) < 0.02, band
    foreigners = kinds[ev.Kind.FOREIGNER_REGISTERED] / 4000
    assert 0.015 < foreigners < 0.04
    assert kinds[ev.Kind.MARRIED] > 0.25 * 4000 / 2 and kinds[ev.Kind.DIED] > 0
    # Replayed in date order, a death is the last event of whoever it concerns.
    died = {e.subject: e.date for e in events if e.kind is ev.Kind.DIED}
    assert all(e.date <= died[e.subject] for e in events if e.subject in died)


def test_the_population_is_recorded_through_the_register(register: Register,
                                                          clock: Clock) -> None:
    clock.now = datetime.datetime.combine(TODAY, datetime.time(9), tzinfo=datetime.UTC)
    built = build(register, 300, seed=9, today=TODAY)
    assert built.people == 300
    assert sum(built.refused.values()) <= 3  # the plan obeys the law almost always
    with register.store.read() as s:
        assert s.count("persons") == 300
        assert s.count("events") == built.events
        assert s.count("person_links") > 0
    born = [get_birth_date(p) for p in built.pesels]
    assert min(born) < datetime.date(1950, 1, 1) < max(born)
    families = [register.show(p) for p in built.pesels[-40:]]
    assert any(link["relation"] in ("mother", "father") for f in families for link in f["links"])


def test_feminine_forms_of_adjectival_surnames() -> None:
    assert [feminine(n) for n in ("Kowalski", "Nowak", "Zawadzki", "Wysocki")] == [
        "Kowalska", "Nowak", "Zawadzka", "Wysocka"]
