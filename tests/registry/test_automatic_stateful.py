"""Automatic reservations (issue 20 §1) in random histories, against a model of the law.

Deaths, reported ID-card losses, own reservations and withdrawals, marriages, and deaths
corrected away, in any order. After every step the register must refuse exactly what the
model refuses; each record's reservation and its cause must be the model's; the
projections must be a fold of the log (a rebuild changes nothing); and every earlier moment,
read as known then, must still give what the model said at that moment, on both sides of a
correction that lifted a reservation.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from openpesel.errors import RegisterError
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.dates import day_in_poland
from openpesel.registry.history import fold
from openpesel.registry.rules import ADULT_AGE, RESERVE_AGAIN_AFTER, age_on
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.office import projection_snapshot

CAUSE = {"own": None, "lost": "id_document_reported_lost", "died": "died"}
"""The model's reason for a reservation, and the cause the record names for it."""


@dataclass
class Person:
    pesel: str
    birth: datetime.date
    alive: bool = True
    death_seq: int | None = None
    cards: list[str] = field(default_factory=list)  # the valid ones
    reserved: str | None = None  # None, "own", "lost" or "died"
    before_death: str | None = None  # the reservation a death took over
    last_withdrawal: datetime.datetime | None = None
    spouse: str | None = None
    marriages: int = 0
    spouse_marriages_at_death: int = 0


@dataclass
class Clock:
    now: datetime.datetime = datetime.datetime(2024, 1, 1, 9, 0, tzinfo=datetime.UTC)
    readings: list[datetime.datetime] = field(default_factory=list)

    def __call__(self) -> datetime.datetime:
        self.now += datetime.timedelta(seconds=1)
        return self.now


class AutomaticMachine(RuleBasedStateMachine):
    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        folder = Path(tempfile.mkdtemp(prefix="openpesel-auto-"))
        self.store = Store(f"sqlite:///{folder / 'r.sqlite'}")
        self.store.initialise()
        self.clock = Clock()
        self.register = Register(self.store, clock=self.clock)
        self.model: dict[str, Person] = {}
        self.cards = 0
        self.seen: list[tuple[datetime.datetime, dict[str, tuple[bool, str | None]]]] = []

    def teardown(self) -> None:
        self.store.dispose()

    @property
    def today(self) -> datetime.date:
        return day_in_poland(self.clock.now)

    def _record(self, kind: ev.Kind, pesel: str, authority: ev.Authority = ev.Authority.USC,
                supersedes: int | None = None, **payload: Any) -> tuple[int, ...]:
        return self.register.record(Command(
            kind, payload, authority, f"DOC/{kind.value}", pesel, self.today, supersedes)).seqs

    def _attempt(self, allowed: bool, action: Any) -> Any:
        """Run ``action``; the register must refuse exactly what the model refuses."""
        try:
            done = action()
        except RegisterError as exc:
            assert not allowed, f"the register refused what the law allows: {exc}"
            return None
        assert allowed, "the register accepted what the law refuses"
        return done

    @rule(minutes=st.sampled_from([1, 10, 29, 31, 600, 60 * 24 * 200]))
    def wait(self, minutes: int) -> None:
        self.clock.now += datetime.timedelta(minutes=minutes)

    @rule(target=people, age=st.sampled_from([3, 17, 18, 25, 40]), sex=st.sampled_from("FM"))
    def birth(self, age: int, sex: str) -> str:
        birth = self.today.replace(year=self.today.year - age, day=1)
        pesel = self.register.record(Command(ev.Kind.BIRTH, {
            "first_names": ["Ala" if sex == "F" else "Jan"], "family_name": "Lis", "sex": sex,
            "birth_date": birth.isoformat(), "birth_place": "Kraków"}, ev.Authority.USC,
            "USC/B")).pesel
        self.model[pesel] = Person(pesel, birth)
        return pesel

    @rule(a=people)
    def issue_card(self, a: str) -> None:
        p = self.model[a]
        self.cards += 1
        number = f"ABC{self.cards:06d}"
        until = (self.today + datetime.timedelta(days=3650)).isoformat()
        if self._attempt(p.alive, lambda: self._record(
                ev.Kind.ID_CARD_ISSUED, a, ev.Authority.GMINA, number=number,
                valid_until=until)) is not None:
            p.cards.append(number)

    @rule(a=people, online=st.booleans())
    def report_lost(self, a: str, online: bool) -> None:
        p = self.model[a]
        office = ev.Authority.MINISTER if online else ev.Authority.GMINA
        card = p.cards[-1] if p.cards else "ABC000000"  # a card never issued to anyone
        if self._attempt(p.alive and bool(p.cards), lambda: self._record(
                ev.Kind.ID_DOCUMENT_REPORTED_LOST, a, office, number=card,
                reported_by="resident" if online else "office")) is not None:
            p.cards.remove(card)
            if age_on(p.birth, self.today) >= ADULT_AGE:
                p.reserved = "lost"

    @rule(a=people)
    def reserve(self, a: str) -> None:
        p = self.model[a]
        at = self.clock()
        pause = p.last_withdrawal is None or at >= p.last_withdrawal + RESERVE_AGAIN_AFTER
        allowed = age_on(p.birth, self.today) >= ADULT_AGE and p.reserved is None and pause
        if self._attempt(allowed, lambda: self._record(
                ev.Kind.PESEL_RESERVED, a, ev.Authority.MINISTER,
                at=at.isoformat())) is not None:
            p.reserved = "own"

    @rule(a=people)
    def withdraw(self, a: str) -> None:
        p = self.model[a]
        at = self.clock()
        allowed = p.reserved is not None and p.reserved != "died"
        if self._attempt(allowed, lambda: self._record(
                ev.Kind.RESERVATION_WITHDRAWN, a, ev.Authority.MINISTER,
                at=at.isoformat(), requested_at=at.isoformat())) is not None:
            p.reserved, p.last_withdrawal = None, at

    @rule(a=people, b=people)
    def marry(self, a: str, b: str) -> None:
        pa, pb = self.model[a], self.model[b]
        allowed = (a != b and pa.alive and pb.alive and pa.spouse is None and pb.spouse is None
                   and min(age_on(pa.birth, self.today), age_on(pb.birth, self.today)) >= 18)
        if self._attempt(allowed, lambda: self._record(ev.Kind.MARRIED, a,
                                                       spouse_pesel=b)) is not None:
            pa.spouse, pb.spouse = b, a
            pa.marriages += 1
            pb.marriages += 1

    @rule(a=people)
    def die(self, a: str) -> None:
        p = self.model[a]
        done = self._attempt(p.alive, lambda: self._record(ev.Kind.DIED, a))
        if done is None:
            return
        p.alive, p.death_seq = False, done[0]
        p.before_death, p.reserved = p.reserved, "died"
        if p.spouse is not None:
            widow = self.model[p.spouse]
            widow.spouse = None
            p.spouse_marriages_at_death = widow.marriages

    @rule(a=people)
    def correct_the_death_away(self, a: str) -> None:
        p = self.model[a]
        widow = self.model[p.spouse] if p.spouse else None
        # The widowed spouse's own later marriage must be corrected first.
        allowed = p.death_seq is not None and (
            widow is None or widow.marriages == p.spouse_marriages_at_death)
        if self._attempt(allowed, lambda: self._record(
                ev.Kind.CORRECTED, a, supersedes=p.death_seq,
                reason="entered in error")) is not None:
            p.alive, p.death_seq, p.reserved = True, None, p.before_death
            if widow is not None:
                widow.spouse = a  # married again; and if the spouse died since, widowed
                p.spouse = p.spouse if widow.alive else None

    def _expected(self) -> dict[str, tuple[bool, str | None]]:
        return {pesel: (p.reserved is not None, CAUSE[p.reserved] if p.reserved else None)
                for pesel, p in self.model.items()}

    @invariant()
    def records_match_the_model(self) -> None:
        now = self.clock.now
        with self.store.read() as s:
            for pesel, (reserved, cause) in self._expected().items():
                record = self.register.show(pesel, session=s)
                assert s.reserved(pesel, now) is reserved, pesel
                if reserved:
                    assert record["reservation"]["cause"] == cause
                p = self.model[pesel]
                assert (record["death_date"] is None) is p.alive
                assert (record["spouse_id"] is None) is (p.spouse is None)
        self.seen.append((now, self._expected()))

    @invariant()
    def projections_are_a_fold_of_the_log(self) -> None:
        with self.store.read() as s:
            for pesel in self.model:
                pid = self.register.resolve(pesel, s)
                folded = fold(s.events_for(pid))
                assert folded is not None and s.record(pid) == folded.to_json()
        before = projection_snapshot(self.register), self._reservations()
        self.register.rebuild_projections()
        assert (projection_snapshot(self.register), self._reservations()) == before

    @invariant()
    def the_past_is_read_as_it_was_known(self) -> None:
        with self.store.read() as s:
            logs = {pesel: s.events_for(self.register.resolve(pesel, s)) for pesel in self.model}
        for moment, expected in self.seen:
            for pesel, (reserved, cause) in expected.items():
                then = fold(logs[pesel], known_at=moment)
                assert then is not None and then.reserved_at(moment) is reserved, (pesel, moment)
                if reserved:
                    assert then.reservation is not None and then.reservation.cause == cause

    def _reservations(self) -> list[tuple[Any, ...]]:
        with self.store.read() as s:
            rows = s.conn.exec_driver_sql("SELECT * FROM reservations").all()
        return sorted(tuple(str(v) for v in r) for r in rows)


TestAutomaticMachine = AutomaticMachine.TestCase
TestAutomaticMachine.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None, database=None,
    derandomize=os.environ.get("OPENPESEL_FUZZ_RANDOM") != "1",  # repeatable in CI
    suppress_health_check=list(HealthCheck))
