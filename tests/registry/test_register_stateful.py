"""Random histories against a simple model of the law, checking invariants after every step."""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from openpesel.errors import RegisterError
from openpesel.number import get_birth_date, is_valid
from openpesel.registry import events as ev
from openpesel.registry.rules import age_on
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.office import GMINA, born, event, projection_snapshot


@dataclass
class Person:
    pesel: str
    birth: datetime.date
    alive: bool = True
    spouse: str | None = None
    home: bool = False
    names: list[str] = field(default_factory=list)


class RegisterMachine(RuleBasedStateMachine):
    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        folder = Path(tempfile.mkdtemp(prefix="openpesel-state-"))
        self.store = Store(f"sqlite:///{folder / 'r.sqlite'}")
        self.store.initialise()
        self.register = Register(self.store)
        self.today = datetime.date(2000, 1, 1)
        self.model: dict[str, Person] = {}

    def teardown(self) -> None:
        self.store.dispose()

    def _tick(self, days: int) -> str:
        self.today += datetime.timedelta(days=days)
        return self.today.isoformat()

    def _attempt(self, allowed: bool, action: object) -> bool:
        """Run ``action``; the register must refuse exactly what the model refuses."""
        try:
            action()  # type: ignore[operator]
        except RegisterError:
            assert not allowed, "the register refused what the law allows"
            return False
        assert allowed, "the register accepted an impossible history"
        return True

    @rule(target=people, age=st.integers(0, 60), sex=st.sampled_from("FM"),
          days=st.integers(1, 400))
    def birth(self, age: int, sex: str, days: int) -> str:
        on = self._tick(days)
        birth = datetime.date.fromisoformat(on).replace(year=self.today.year - age, day=1)
        pesel = born(self.register, "Anna" if sex == "F" else "Jan", "Nowak", sex,
                     birth.isoformat()).pesel
        self.model[pesel] = Person(pesel, birth)
        return pesel

    @rule(a=people, b=people, days=st.integers(1, 400))
    def marry(self, a: str, b: str, days: int) -> None:
        on = self._tick(days)
        pa, pb = self.model[a], self.model[b]
        allowed = (a != b and pa.alive and pb.alive and pa.spouse is None and pb.spouse is None
                   and min(age_on(pa.birth, self.today), age_on(pb.birth, self.today)) >= 18)
        if self._attempt(allowed, lambda: event(self.register, ev.Kind.MARRIED, a, on,
                                                spouse_pesel=b)):
            pa.spouse, pb.spouse = b, a

    @rule(a=people, days=st.integers(1, 400))
    def divorce(self, a: str, days: int) -> None:
        on = self._tick(days)
        pa = self.model[a]
        spouse = pa.spouse
        allowed = (pa.alive and spouse is not None and self.model[spouse].alive
                   and self.model[spouse].spouse == a)
        if self._attempt(allowed, lambda: event(self.register, ev.Kind.DIVORCED, a, on,
                                                spouse_pesel=spouse or a)):
            assert spouse is not None
            pa.spouse = self.model[spouse].spouse = None

    @rule(a=people, days=st.integers(1, 400))
    def die(self, a: str, days: int) -> None:
        on = self._tick(days)
        pa = self.model[a]
        if self._attempt(pa.alive, lambda: event(self.register, ev.Kind.DIED, a, on)):
            pa.alive = False
            if pa.spouse is not None:
                # The survivor is widowed; the deceased's record still names the spouse.
                self.model[pa.spouse].spouse = None

    @rule(a=people, days=st.integers(1, 400))
    def move_in(self, a: str, days: int) -> None:
        on = self._tick(days)
        pa = self.model[a]
        allowed = pa.alive and not pa.home
        if self._attempt(allowed, lambda: event(
                self.register, ev.Kind.RESIDENCE_REGISTERED, a, on, GMINA,
                residence="permanent", teryt="1465011", address="ul. Polna 1, Warszawa")):
            pa.home = True

    @rule(a=people, days=st.integers(1, 400))
    def move_out(self, a: str, days: int) -> None:
        on = self._tick(days)
        pa = self.model[a]
        if self._attempt(pa.home, lambda: event(self.register, ev.Kind.RESIDENCE_DEREGISTERED,
                                                a, on, GMINA, residence="permanent")):
            pa.home = False

    @invariant()
    def records_match_the_model(self) -> None:
        for pesel, person in self.model.items():
            record = self.register.show(pesel)
            assert record["death_date"] is None if person.alive else record["death_date"]
            spouse = record["spouse_id"]
            assert (spouse is None) == (person.spouse is None)
            assert (record["permanent_residence"] is not None) == person.home
            assert is_valid(pesel) and get_birth_date(pesel) == person.birth

    @invariant()
    def numbers_are_unique_and_projections_are_a_fold(self) -> None:
        with self.store.read() as s:
            assert s.count("pesel_assignments") == len(self.model) == s.count("persons")
        before = projection_snapshot(self.register)
        self.register.rebuild_projections()
        assert projection_snapshot(self.register) == before


TestRegisterMachine = RegisterMachine.TestCase
TestRegisterMachine.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None, database=None,
    derandomize=os.environ.get("OPENPESEL_FUZZ_RANDOM") != "1",  # repeatable in CI
    suppress_health_check=list(HealthCheck))
