"""What the register needs from storage, declared here and implemented there.

The register's use cases (``service.py``) and its search (``search.py``) are
written against these Protocols, never against a database: ``storage/``
implements them (one session class per engine) and points up at this module,
so no import runs from the domain to the adapters (dependency inversion, as
recorders implement ``AggregateRecorder`` in the ``eventsourcing`` library).
The data the ports exchange (search filters, index keys) is declared here too,
as plain values; how storage turns them into SQL is storage's business.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from openpesel.number import Sex
from openpesel.registry import events as ev
from openpesel.registry.kin import Relative
from openpesel.registry.state import PersonState


class NumberTaken(Exception):
    """A number allocated with ``check_later`` turned out to be held already.

    A signal from ``RegisterSession.append`` to the register, which allocates
    again; not one of the register's errors, so it can never reach a caller as
    a refusal.
    """


@dataclass(frozen=True)
class Current:
    """A current read by number, as one statement gives it (``RegisterSession.current``)."""

    person_id: uuid.UUID
    record: dict[str, Any] | None
    """None if the number has a holder but no projected record (a rebuild under way)."""
    links: list[tuple[str, uuid.UUID, Relative]]
    """(relation, the relative, their number and name): parents and spouse, then children."""


@dataclass(frozen=True)
class PersonFilter:
    """Narrowing a search by birth date range, sex and TERYT prefix."""

    born_from: datetime.date | None = None
    born_to: datetime.date | None = None
    sex: str | None = None
    teryt_prefix: str | None = None


EARLIEST = datetime.date(1, 1, 1)
LATEST = datetime.date(9999, 12, 31)

Key = tuple[datetime.date, uuid.UUID]
"""Where a bearer stands in the name index's order, after name and sex."""

NameKey = tuple[str, Sequence[str]]
"""A name and the roles it counts in (current, or former)."""


@dataclass(frozen=True)
class Narrowing:
    """The filters of a name search, in the form the name index takes them.

    ``teryt`` is a prefix of digits; ``teryt_range`` turns it into a range of
    the column, because a range of digit strings is a range in any collation,
    whereas ``LIKE 'prefix%'`` uses an index only under the C collation.
    """

    sexes: tuple[str, ...]
    born_from: datetime.date = EARLIEST
    born_to: datetime.date = LATEST
    teryt: str | None = None

    def teryt_range(self) -> tuple[str, str]:
        assert self.teryt is not None
        if set(self.teryt) == {"9"}:
            return self.teryt, "9" * 8  # longer than any code: after all of them
        return self.teryt, str(int(self.teryt) + 1).zfill(len(self.teryt))


class NameIndex(Protocol):
    """The name index's queries a search combines into a ranking (see ``search.py``)."""

    def count_bearers(self, groups: Sequence[tuple[Sequence[str], Sequence[str]]],
                      where: Narrowing, cap: int) -> list[dict[str, int]]:
        """Per (names, roles) group and per sex, how many keys pass, counting to ``cap``."""

    def count_residents(self, where: Narrowing, cap: int) -> int:
        """How many people live under the TERYT prefix, counting to ``cap``."""

    def walk(self, driver: NameKey, others: Sequence[NameKey], sex: str, where: Narrowing,
             limit: int, after: Key | None = None) -> list[Key]:
        """The first ``limit`` bearers of ``driver`` in index order who carry ``others``
        (after the key ``after``)."""

    def best(self, ids: Sequence[uuid.UUID], options: Sequence[Sequence[NameKey]]
             ) -> dict[uuid.UUID, tuple[int | None, ...]]:
        """Per person, per word, the first of its options they carry (None: none)."""

    def gather(self, driver: Sequence[str] | None, options: Sequence[Sequence[NameKey]],
               where: Narrowing, cap: int) -> list[Any] | None:
        """Everyone the driver's names (or the place) bring, with their best option per word."""

    def people(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """The columns a search hit shows, for one page of people."""


class SearchSession(Protocol):
    """What a search reads, inside one transaction."""

    def holder(self, pesel: str) -> tuple[uuid.UUID, bool] | None:
        """Who holds or held ``pesel``, and whether it is still theirs."""

    def people_by_id(self, ids: list[uuid.UUID], filters: PersonFilter) -> list[Any]:
        """Hit rows (pesel, names, birth date, sex, teryt, alive) of these people."""

    def names_like(self, token: str) -> list[str]:
        """Vocabulary names sharing a deletion variant with ``token``."""

    def name_index(self) -> AbstractContextManager[NameIndex]:
        """The name index's queries, planned for the values of this search."""


class RegisterSession(SearchSession, Protocol):
    """One transaction's view of the register: the event log, numbers and projections."""

    # -- reads
    def events_for(self, person_id: uuid.UUID) -> list[ev.Event]: ...
    def iter_events(self, batch: int = 5000) -> Iterator[ev.Event]: ...
    def events_after(self, after: int, limit: int,
                     through: int | None = None) -> list[ev.Event]: ...
    def log_end(self) -> int: ...
    def has_events(self) -> bool: ...
    def person_ids(self) -> list[uuid.UUID]: ...
    def record(self, person_id: uuid.UUID) -> dict[str, Any] | None: ...
    def current(self, pesel: str) -> Current | None: ...
    def records(self, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]: ...
    def linked(self, person_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]: ...
    def past_children(self, parent_id: uuid.UUID) -> list[uuid.UUID]: ...

    # -- writes
    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: what it wrote is undone if its block raises."""

    def lock(self, person_ids: Iterable[uuid.UUID]) -> None:
        """Serialise writers on the same people until the transaction ends."""

    def allocate(self, dates: Iterable[datetime.date], sex: Sex, *,
                 check_later: bool = False) -> str:
        """The next unused number from the first pool in ``dates`` with room left.

        With ``check_later`` the engine may leave the check that the number is
        unheld to ``append``, which then raises ``NumberTaken``.
        """

    def append(self, event: ev.Event) -> int:
        """Append ``event`` to the log; returns its seq."""

    def lock_gallery(self) -> None:
        """Hold the gallery lock until the transaction ends (``ev.GALLERY_KINDS``).

        Writers of those events, and de-duplication's screening, take it one
        transaction at a time: the events then commit in the order of their
        numbers, and a screening sees every enrolment committed before it.
        """

    def assign(self, pesel: str, person_id: uuid.UUID, seq: int) -> None: ...
    def retire(self, pesel: str, seq: int) -> None: ...
    def reinstate(self, pesel: str) -> None: ...
    def add_person(self, after: PersonState, seq: int) -> None: ...
    def project(self, before: PersonState | None, after: PersonState) -> None: ...
    def remember_parents(self, child_id: uuid.UUID, parent_ids: Iterable[uuid.UUID]) -> None: ...
    def clear_projections(self) -> None: ...


class RegisterStore(Protocol):
    """A register database: read and write transactions."""

    def read(self) -> AbstractContextManager[RegisterSession]: ...
    def write(self) -> AbstractContextManager[RegisterSession]: ...
