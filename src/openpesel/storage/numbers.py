"""PESEL numbers: pools, who holds which number, and reservations.

A pool's row counts the numbers issued for one birth date and sex; the n-th
uses serial ``π(n)`` of the register's keyed order (``number.order``). One
statement takes the next index and (PostgreSQL) locks the pool's row until
commit; SQLite's BEGIN IMMEDIATE already serialises writers. The
``pesel_assignments`` primary key is the last line of defence against reuse.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update

from openpesel.errors import PoolExhausted
from openpesel.number import Sex, encode
from openpesel.number.order import permute
from openpesel.number.pesel import SERIALS_PER_SEX
from openpesel.storage import schema as t
from openpesel.storage.driver import RawSql
from openpesel.storage.event_log import EventLog, utc
from openpesel.storage.secrets import Secrets

_a = t.pesel_assignments.c
_HOLDER = RawSql("SELECT person_id, retired_seq FROM pesel_assignments WHERE pesel = ?", _a.pesel)
# One statement takes the next index and locks the pool's row until commit (PostgreSQL;
# SQLite's BEGIN IMMEDIATE already serialises writers). A full pool returns no row.
_TAKE = RawSql(f"""INSERT INTO pesel_pools (birth_date, sex, issued) VALUES (?, ?, 1)
    ON CONFLICT (birth_date, sex) DO UPDATE SET issued = pesel_pools.issued + 1
    WHERE pesel_pools.issued < {SERIALS_PER_SEX} RETURNING issued""",
            t.pesel_pools.c.birth_date, t.pesel_pools.c.sex)
_ASSIGN = RawSql("INSERT INTO pesel_assignments (pesel, person_id, assigned_seq) VALUES (?, ?, ?)",
              _a.pesel, _a.person_id, _a.assigned_seq)
_RESERVATION = RawSql("SELECT since, withdraw_at FROM reservations WHERE pesel = ?",
                      t.reservations.c.pesel,
                      returns=(t.reservations.c.since, t.reservations.c.withdraw_at))
"""A bank's check, on the driver's cursor: no SQLAlchemy statement compiled or run per check."""


def as_uuid(value: Any) -> uuid.UUID:
    """SQLite keeps UUIDs as 32 hex digits; psycopg hands back ``uuid.UUID``."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


class Numbers(EventLog, Secrets):
    """Issuing, assigning, retiring and looking up numbers.

    Each number issued is checked against the assignments at once; an engine
    that can make that check part of the statement appending the new person's
    event overrides ``_leave_check`` (``PostgresNumbers``).
    """

    def holder(self, pesel: str) -> tuple[uuid.UUID, bool] | None:
        """The person who holds or held ``pesel``, and whether it is still current."""
        row = self.run(_HOLDER, pesel).fetchone()
        return None if row is None else (as_uuid(row[0]), row[1] is None)

    def holders(self, pesels: Iterable[str]) -> dict[str, uuid.UUID]:
        """Who holds or held each number, in one statement (a page of search hits)."""
        wanted = sorted(set(pesels))
        if not wanted:
            return {}
        rows = self.conn.execute(select(_a.pesel, _a.person_id).where(_a.pesel.in_(wanted)))
        return {r.pesel: r.person_id for r in rows}

    def person_ids(self) -> list[uuid.UUID]:
        return list(self.conn.execute(select(_a.person_id).distinct()).scalars())

    def allocate(self, dates: Iterable[datetime.date], sex: Sex, *,
                 check_later: bool = False) -> str:
        """Issue the next unused number from the first pool in ``dates`` with room left.

        Numbers that entered the register some other way (an import of a
        migrated record) are skipped, so the counter and the assignments can
        never disagree into a duplicate. ``check_later`` lets an engine check
        that in the statement that appends the new person's event, a round
        trip fewer: ``append`` then raises ``NumberTaken`` for a number already
        held, and the caller allocates again.
        """
        key = self.pool_key()
        tried = []
        for day in dates:
            tried.append(day)
            while (row := self.run(_TAKE, day, sex.value).fetchone()) is not None:
                issued = int(row[0])
                pesel = encode(day, permute(key, f"{day}{sex.value}", issued - 1), sex)
                if check_later and self._leave_check(pesel):
                    return pesel
                if self.holder(pesel) is None:
                    return pesel
        span = f"{tried[0]}" if len(tried) == 1 else f"{tried[0]} to {tried[-1]}"
        sex_word = "women" if sex is Sex.FEMALE else "men"
        raise PoolExhausted(
            f"All {SERIALS_PER_SEX} PESEL numbers for {sex_word} born {span} have been issued."
        )

    def _leave_check(self, pesel: str) -> bool:
        """Whether ``append`` will check ``pesel`` is unheld, so ``allocate`` need not."""
        return False

    def assign(self, pesel: str, person_id: uuid.UUID, seq: int) -> None:
        self.run(_ASSIGN, pesel, person_id, seq)

    def retire(self, pesel: str, seq: int) -> None:
        self.conn.execute(update(t.pesel_assignments).values(retired_seq=seq)
                          .where(_a.pesel == pesel))

    def reinstate(self, pesel: str) -> None:
        """A correction that withdraws a number change gives the person their old number back."""
        self.conn.execute(update(t.pesel_assignments).values(retired_seq=None)
                          .where(_a.pesel == pesel))

    def reserved(self, pesel: str, moment: datetime.datetime) -> bool:
        row = self.one(_RESERVATION, pesel)
        if row is None:
            return False
        since, until = (utc(v) for v in row)
        assert since is not None
        return since <= moment and (until is None or moment < until)


class PostgresNumbers(Numbers):
    """PostgreSQL checks a new person's number in the statement appending their event."""

    def _leave_check(self, pesel: str) -> bool:
        self._unchecked.add(pesel)
        return True
