"""Use cases of the offices and of those who ask them: read, search, record, bulk, fingerprints.

Registrars, clerks, passport offices, voivodes, the police and courts, the
console operator; and the banks, notaries and telecoms that may only check a
reservation. Each use case is one accountable transaction (``Accountable.run``):
authorised by the policy table and audited with what it touched.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from openpesel.access.accountable import Access, Accountable, Touched
from openpesel.access.policy import Action
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.search import Hits, Query
from openpesel.registry.service import Register
from openpesel.storage.session import StoreTransaction

if TYPE_CHECKING:
    from openpesel.biometrics import Verdict
    from openpesel.dedup.enrolment import Enrolment, FingerprintService, Scan
    from openpesel.dedup.service import DedupService

T = TypeVar("T")

HIT_FIELDS = ("pesel", "first_names", "family_name", "birth_date", "sex", "teryt", "alive")
"""What a search hit shows of a person, as their access report names it."""


@dataclass(frozen=True)
class ReservationCheck:
    pesel: str
    reserved: bool
    check_id: int
    checked_at: datetime.datetime


class Officials:
    """The offices' use cases over one register; fingerprints are built on first use."""

    def __init__(self, accountable: Accountable, register: Register,
                 fingerprints: Callable[[], FingerprintService],
                 screening: Callable[[], DedupService] | None = None) -> None:
        self.tx = accountable
        self.register = register
        self.clock = accountable.clock
        self._fingerprints = fingerprints
        self._screening = screening
        """De-duplication, which screens an enrolment (none: enrolments are not screened)."""

    # -- reading ---------------------------------------------------------

    def show(self, access: Access, pesel: str, as_of: datetime.date | None = None,
             known_at: datetime.datetime | None = None) -> dict[str, Any]:
        def work(s: StoreTransaction, seen: Touched) -> dict[str, Any]:
            record = self.register.show(pesel, as_of, known_at, session=s)
            seen.fields = list(record)
            return record
        return self.tx.run(access, Action.READ_PERSON, "read", pesel, work, writes=False)

    def history(self, access: Access, pesel: str) -> list[ev.Event]:
        def work(s: StoreTransaction, seen: Touched) -> list[ev.Event]:
            seen.fields = ["history"]
            return self.register.history(pesel, session=s)
        return self.tx.run(access, Action.READ_PERSON, "read", pesel, work, writes=False)

    def search(self, access: Access, query: Query, offset: int = 0) -> Hits:
        """One page of hits, from ``offset`` (or after ``query.after``); each person listed
        gets an entry of their own.

        A hit shows a person's number, name, birth date, sex and place, so a
        search is a read of everyone it lists: their access reports show it.
        Only the page returned is audited, never the hits ranked above it.
        """
        def work(s: StoreTransaction, seen: Touched) -> Hits:
            seen.fields = ["search:" + query.text]
            ranked = self.register.search(replace(query, limit=offset + query.limit), session=s)
            shown = ranked.skip(offset)
            ids = s.holders(h.pesel for h in shown)
            self.tx.audit_people(s, access, "search-hit", ((ids[h.pesel], h.pesel)
                                                           for h in shown), list(HIT_FIELDS))
            return shown
        return self.tx.run(access, Action.SEARCH, "search", None, work, writes=False)

    def check_reservation(self, access: Access, pesel: str) -> ReservationCheck:
        """Is this number reserved? The check's audit index is the asker's receipt."""
        number = validate(pesel)
        now = self.clock()

        def work(s: StoreTransaction, seen: Touched) -> bool:
            seen.fields = ["reservation"]
            return s.reserved(number, now)
        seen = Touched()
        reserved = self.tx.run(access, Action.CHECK_RESERVATION, "check", number, work, seen,
                               writes=False)
        return ReservationCheck(number, reserved, seen.index, now)

    # -- recording -------------------------------------------------------

    def record(self, access: Access, kind: ev.Kind, payload: dict[str, Any], document_ref: str,
               pesel: str | None = None, effective_date: datetime.date | None = None,
               supersedes: int | None = None,
               authority: ev.Authority | None = None) -> Recorded:
        """Record an event for the caller's office; the console operator names the office."""
        if (reason := ev.not_by_hand(kind)) is not None:
            self.tx.refuse(access, Action.RECORD, "write", pesel, reason)
        office = self.tx.office(access, kind, pesel, authority)

        def work(s: StoreTransaction, seen: Touched) -> Recorded:
            seen.fields = [kind.value, *payload]
            done = self.register.record_in(s, Command(
                kind, payload, office, document_ref, pesel, effective_date, supersedes))
            seen.person_id, seen.pesel = done.person_id, done.pesel
            return done
        return self.tx.run(access, Action.RECORD, "write", pesel, work)

    def enrol_fingerprints(self, access: Access, pesel: str, scans: Sequence[Scan],
                           missing: Sequence[tuple[int, str]], document_ref: str,
                           authority: ev.Authority | None = None,
                           accept_low_quality: bool = False,
                           basis: str | None = None) -> Enrolment:
        """Take fingerprints for an ID card or passport: one audited register event, under
        the law ``basis`` names (``registry/retention.py``)."""
        office = self.tx.office(access, ev.Kind.FINGERPRINTS_ENROLLED, pesel, authority)

        def work(s: StoreTransaction, seen: Touched) -> Enrolment:
            seen.fields = [f"finger:{scan.finger}" for scan in scans]
            if self._screening is None:
                return self._fingerprints().enrol(s, pesel, scans, missing, office,
                                                  document_ref,
                                                  accept_low_quality=accept_low_quality,
                                                  basis=basis)
            done = self._screening().enrol(s, pesel, scans, missing, office, document_ref,
                                           access.principal.name, accept_low_quality, basis)
            if done.case_id is not None:
                seen.fields.append(f"case:{done.case_id}")
                self.tx.audit_people(s, access, "dedup-candidate",
                                     [(p, None) for p in dict.fromkeys(done.suspects)],
                                     [f"case:{done.case_id}"])
            return done
        return self.tx.run(access, Action.RECORD, "enrol", pesel, work)

    def verify_fingerprint(self, access: Access, pesel: str, scan: Scan,
                           false_match_rate: float = 0.001) -> Verdict:
        """1:1: does this scan match the finger enrolled for ``pesel``? Audited as a read."""
        def work(s: StoreTransaction, seen: Touched) -> Verdict:
            seen.fields = [f"finger:{scan.finger}"]
            return self._fingerprints().verify(s, pesel, scan, false_match_rate)
        return self.tx.run(access, Action.READ_PERSON, "verify", pesel, work, writes=False)

    # -- the whole register at once ----------------------------------------

    def record_file(self, access: Access, lines: list[str]) -> list[Recorded]:
        """A file of commands, all or nothing, as one audited bulk write."""
        def work(s: StoreTransaction, seen: Touched) -> list[Recorded]:
            seen.fields = [f"lines:{len(lines)}"]
            return self.register.record_file(lines, session=s)
        return self.tx.run(access, Action.BULK, "bulk-record", None, work)

    def import_events(self, access: Access, lines: list[str]) -> int:
        """Fill an empty register from an export; each person imported gets an entry."""
        def work(s: StoreTransaction, seen: Touched) -> int:
            seen.fields = [f"lines:{len(lines)}"]
            done = self.register.import_events(lines, session=s)
            self.tx.audit_people(s, access, "import", _numbered(s, done.people), ["record"])
            return done.events
        return self.tx.run(access, Action.BULK, "bulk-import", None, work)

    def rebuild_projections(self, access: Access) -> int:
        def work(s: StoreTransaction, seen: Touched) -> int:
            return self.register.rebuild_projections(session=s)
        return self.tx.run(access, Action.BULK, "bulk-rebuild", None, work)

    def bulk(self, access: Access, what: str, work: Callable[[], T],
             details: Sequence[str] = ()) -> T:
        """Any whole-register operation outside the database (a backup, a synthetic load),
        audited first: an operation that dies half-way has still left its entry."""
        def audited(_s: StoreTransaction, seen: Touched) -> None:
            seen.fields = [what, *details]
        self.tx.run(access, Action.BULK, f"bulk-{what}", None, audited, writes=False)
        return work()

    def export(self, access: Access, after: int = 0) -> Iterator[list[ev.Event]]:
        """The log after ``after``, in chunks read lazily (``Register.export_chunks``).

        The export discloses everyone, so it is authorised and audited as it always
        was, and before its first event is read: a refused export reads nothing, and
        one cut off half-way (a client gone, the server stopped) has still left its
        entry. The audited transaction fixes where the export ends, so what it
        discloses is the log as it stood when it was audited, however long the
        reading takes.
        """
        def work(s: StoreTransaction, seen: Touched) -> int:
            seen.fields = ["events"]
            return s.log_end()
        end = self.tx.run(access, Action.BULK, "bulk-export", None, work)
        return self.register.export_chunks(after, end)


def _numbered(s: StoreTransaction,
              people: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, str | None]]:
    """Each person with the number their record holds now (none if it has no record)."""
    ids = list(people)
    records = s.records(ids)
    return [(p, records[p]["pesel"] if p in records else None) for p in ids]
