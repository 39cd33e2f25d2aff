"""The register's use cases: one method each, one transaction each.

The CLI (and later the API and web pages) are thin adapters over this class.
Every write goes the same way: check the office may record this kind of
event (Art. 10), resolve people given by PESEL, allocate numbers, append the
event, fold the person's whole history with it to prove the history is still
possible, then update numbers and projections, all in one transaction.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Generic, cast

from typing_extensions import TypeVar

from openpesel.errors import ImportFailed, OpenPeselError, PersonNotFound, RegisterError
from openpesel.number import validate
from openpesel.registry import automatic, events as ev, spouses
from openpesel.registry.as_of import record_now, record_then
from openpesel.registry.checks import (
    check_authority,
    check_correction,
    check_parent,
    parent_fields,
)
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.dates import check_dates
from openpesel.registry.history import extend, fold
from openpesel.registry.imports import Forward, Imported
from openpesel.registry.kin import (
    REWRITES_PARENTS,
    named_parents,
)
from openpesel.registry.numbering import allocate, unused, with_new_number
from openpesel.registry.ports import NumberTaken, RegisterSession, RegisterStore
from openpesel.registry.search import Hits, Query, search
from openpesel.registry.state import PersonState
from openpesel.registry.transfer import (
    CommandLine,
    EventLine,
    numbered,
    to_command,
    to_event,
)

T = TypeVar("T")
EXPORT_CHUNK = 2000
"""Events read per statement of an export: big enough that the round trips vanish in
the serialisation, small enough that a chunk is a few megabytes (``export_chunks``)."""
StoreT = TypeVar("StoreT", bound=RegisterStore, default=Any)
"""The store a ``Register`` was given, as its owner knows it (``register.store``): the
register itself only uses the ``RegisterStore`` port. ``Any`` where left unsaid."""


_NEW_NUMBER = {ev.Kind.SEX_CHANGED, ev.Kind.BIRTH_DATE_CORRECTED, ev.Kind.ADOPTED}


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Batch:
    def __init__(self, register: Register[Any], session: RegisterSession) -> None:
        self._register = register
        self._session = session

    def record(self, command: Command) -> Recorded:
        with self._session.savepoint():
            return self._register._record(self._session, command)


class Register(Generic[StoreT]):
    """The register's use cases over any store that implements ``RegisterStore``."""

    def __init__(self, store: StoreT, clock: Callable[[], datetime.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- writes ----------------------------------------------------------

    def record(self, command: Command) -> Recorded:
        with self.store.write() as s:
            return self._record(s, command)

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """One transaction for many commands, each in a savepoint of its own.

        A refused command leaves nothing behind and the rest of the batch goes
        on; bulk writers (the population generator) use this to avoid a
        commit per event.
        """
        with self.store.write() as s:
            yield Batch(self, s)

    def record_in(self, s: RegisterSession, c: Command) -> Recorded:
        """Record inside the caller's transaction (so an audit entry can share it)."""
        return self._record(s, c)

    def _record(self, s: RegisterSession, c: Command) -> Recorded:
        check_authority(c.kind, c.authority)
        if not c.document_ref.strip():
            raise RegisterError("Every event needs the reference of its document.")
        ev.check_text(c.document_ref, "document_ref")
        payload = ev.parse_payload(c.kind, c.payload)
        automatic.check_by_hand(payload)
        if c.kind in ev.GALLERY_KINDS:
            # Before any row or pool lock, so every writer takes the locks in one order.
            s.lock_gallery()
        if c.kind in ev.CREATING_KINDS:
            return self._create(s, c, cast("ev.Birth", payload))
        if c.pesel is None:
            raise RegisterError(f"A {c.kind.value} event needs the person's PESEL.")
        person_id = self._current_holder(s, c.pesel)
        payload, others = self._resolve_references(s, c.kind, payload)
        s.lock([person_id, *others])
        log = s.events_for(person_id)
        state = fold(log)
        assert state is not None
        supersedes = None
        if isinstance(payload, ev.Corrected):
            supersedes = check_correction(c.supersedes, payload, log, c.authority)
        widowed = spouses.widowed_by(c.kind, state, log, supersedes, payload)
        if widowed is not None:
            # The widowed spouse's record changes too; only now do we know who that is.
            s.lock([widowed])
        effective = c.effective_date or self.clock().date()
        if c.kind is ev.Kind.CORRECTED:
            effective = c.effective_date or next(e.effective_date for e in log
                                                 if e.seq == supersedes)
        if c.kind in _NEW_NUMBER:
            payload = with_new_number(s, state, payload)
        event = ev.Event(person_id, c.kind, payload, effective, c.authority, c.document_ref,
                         self.clock(), supersedes=supersedes)
        seq, after = self._append(s, log, event, state)
        seqs = [seq]
        if c.kind in spouses.MIRRORED:
            spouse = cast("ev.SpouseFields", payload).spouse_id
            assert spouse is not None
            seqs.append(self._append_to(s, spouses.mirrored(event, spouse, state)))
        if c.kind is ev.Kind.DIED and state.spouse_id is not None:
            seqs.append(self._append_to(s, spouses.widow(event, state.spouse_id)))
        elif widowed is not None and supersedes is not None:
            seqs.extend(spouses.unwiden(s, lambda e: self._append_to(s, e),
                                        lambda p: self._state(s, p), widowed, person_id, log,
                                        supersedes, event))
        stored = replace(event, seq=seq)
        for reserved in automatic.follows(after, stored):
            seqs.append(self._append_to(s, automatic.reservation_event(stored, reserved)))
        return Recorded(person_id, after.pesel, tuple(seqs))

    def record_file(self, lines: Iterable[str], session: RegisterSession | None = None
                    ) -> list[Recorded]:
        """Record a JSONL file of commands: all of it, or (naming the bad line) none."""
        with self._in(session, write=True) as s:
            return [self._at_line(n, lambda c=c: self._record(s, self._by_hand(c)))  # type: ignore[misc]
                    for n, c in numbered(lines, CommandLine, to_command)]

    @staticmethod
    def _by_hand(c: Command) -> Command:
        """Link and clearance events come only from an examiner's decision on a case."""
        if (reason := ev.not_by_hand(c.kind)) is not None:
            raise RegisterError(reason)
        return c

    def import_events(self, lines: Iterable[str],
                      session: RegisterSession | None = None) -> Imported:
        """Fill an empty register from an export, keeping its ids and transaction times.

        An export is a register's whole history, so it may only start one: into
        a live register it could backdate events under forged ``recorded_at``
        times, rewriting what the register "knew" in the past. Each event is
        still checked as if its office recorded it (Art. 10, corrections
        included), its times must run forward and none may be later than now.
        """
        with self._in(session, write=True) as s:
            if s.has_events():
                raise ImportFailed(
                    "An import only fills an empty register, and this one already holds events; "
                    "record new events with `record --file`, or import into a new register.")
            new_seq: dict[int, int] = {}
            people: dict[uuid.UUID, None] = {}
            clock = Forward(self.clock())
            for n, event in numbered(lines, EventLine, to_event):
                new_seq[event.seq] = self._at_line(n, lambda e=event: self._replay(  # type: ignore[misc]
                    s, clock.check(e), new_seq))
                people[event.person_id] = None
            return Imported(len(new_seq), tuple(people))

    @staticmethod
    def _at_line(number: int, action: Callable[[], T]) -> T:
        try:
            return action()
        except OpenPeselError as exc:
            raise ImportFailed(f"line {number}: {exc}") from None

    def _replay(self, s: RegisterSession, e: ev.Event, new_seq: dict[int, int]) -> int:
        check_authority(e.kind, e.authority)
        supersedes = None
        if e.supersedes is not None:
            if e.supersedes not in new_seq:
                raise RegisterError(f"it corrects event {e.supersedes}, which is not in the file.")
            supersedes = new_seq[e.supersedes]
            check_correction(supersedes, cast("ev.Corrected", e.payload),
                                   s.events_for(e.person_id), e.authority)
        if e.kind in ev.CREATING_KINDS:
            unused(s, cast("ev.Birth", e.payload).pesel or "")
        return self._append_to(s, replace(e, supersedes=supersedes))

    def _append_to(self, s: RegisterSession, event: ev.Event) -> int:
        log = s.events_for(event.person_id)
        return self._append(s, log, event, fold(log) if log else None)[0]

    def _append(self, s: RegisterSession, log: list[ev.Event], event: ev.Event,
                before: PersonState | None) -> tuple[int, PersonState]:
        """Write the event, prove the history still folds, then number and project it."""
        check_dates(event)
        seq = s.append(event)
        after = extend(before, log, replace(event, seq=seq))
        if after is None:
            raise RegisterError("The event would leave the person outside the register.")
        if event.kind in REWRITES_PARENTS:
            s.remember_parents(event.person_id, named_parents([*log, event]))
        if before is None:
            s.add_person(after, seq)
            return seq, after
        if after.pesel != before.pesel:
            held = s.holder(after.pesel)
            if held is None:
                s.assign(after.pesel, after.person_id, seq)
            elif held == (after.person_id, False):  # a withdrawn change: the old number again
                s.reinstate(after.pesel)
            s.retire(before.pesel, seq)
        s.project(before, after)
        return seq, after

    def _create(self, s: RegisterSession, c: Command, p: ev.Birth) -> Recorded:
        updates: dict[str, Any] = {}
        parents = self._parents(s, p)
        for role, parent in parents:
            check_parent(role, parent, p.birth_date)
        updates |= parent_fields(parents)
        if c.person_id is not None and s.events_for(c.person_id):
            raise RegisterError(f"Person {c.person_id} is already in the register.")
        person_id = c.person_id or uuid.uuid4()
        effective = c.effective_date or (
            p.birth_date if c.kind is ev.Kind.BIRTH else self.clock().date())
        while True:
            if p.pesel is None:
                updates["pesel"] = allocate(s, p.birth_date, p.birth_date_precision, p.sex,
                                                  check_later=True)
            else:
                updates["pesel"] = unused(s, p.pesel)
            event = ev.Event(person_id, c.kind, p.model_copy(update=updates), effective,
                             c.authority, c.document_ref, self.clock())
            try:
                seq, after = self._append(s, [], event, None)
            except NumberTaken:
                continue  # it came in by an import: the pool's next number, as allocate would
            return Recorded(person_id, after.pesel, (seq,))

    def _resolve_references(
        self, s: RegisterSession, kind: ev.Kind, p: ev.Payload
    ) -> tuple[ev.Payload, list[uuid.UUID]]:
        """Replace PESELs of other people in the payload with their stable ids and names."""
        updates: dict[str, Any] = {}
        others: list[uuid.UUID] = []
        if isinstance(p, ev.SpouseFields) and p.spouse_id is None:
            if p.spouse_pesel is None:
                raise RegisterError(f"A {kind.value} event needs the spouse's PESEL.")
            spouse = self._state(s, self._current_holder(s, p.spouse_pesel))
            updates |= {"spouse_pesel": None, "spouse_id": spouse.person_id}
            if kind is ev.Kind.MARRIED:
                updates |= {"spouse_first_name": spouse.first_names[0],
                            "spouse_family_name": spouse.family_name}
            others.append(spouse.person_id)
        if isinstance(p, ev.Adopted):
            updates |= parent_fields(self._parents(s, p))
        return (p.model_copy(update=updates) if updates else p), others

    def _parents(self, s: RegisterSession, p: ev.ParentFields) -> list[tuple[str, PersonState]]:
        """The parents a payload names by PESEL, as they stand in the register."""
        return [(role, self._state(s, self._current_holder(s, given)))
                for role in ("mother", "father")
                if (given := getattr(p, f"{role}_pesel")) is not None]

    # -- reads -----------------------------------------------------------

    @staticmethod
    def _current_holder(s: RegisterSession, pesel: str) -> uuid.UUID:
        number = validate(pesel)
        held = s.holder(number)
        if held is None:
            raise PersonNotFound(f"No person with PESEL {number} is in the register.")
        person_id, current = held
        if not current:
            now = s.record(person_id)
            raise RegisterError(
                f"PESEL {number} was retired; the person now holds {now['pesel'] if now else '?'}.")
        return person_id

    @staticmethod
    def _state(s: RegisterSession, person_id: uuid.UUID) -> PersonState:
        state = fold(s.events_for(person_id))
        if state is None:
            raise PersonNotFound()
        return state

    @contextmanager
    def _in(self, session: RegisterSession | None,
            write: bool = False) -> Iterator[RegisterSession]:
        """Use the caller's transaction (an audited access), or open one of our own."""
        if session is not None:
            yield session
        else:
            with self.store.write() if write else self.store.read() as s:
                yield s

    def resolve(self, pesel: str, session: RegisterSession | None = None) -> uuid.UUID:
        """The person who holds or once held ``pesel`` (a retired number still finds them)."""
        number = validate(pesel)
        with self._in(session) as s:
            held = s.holder(number)
        if held is None:
            raise PersonNotFound(f"No person with PESEL {number} is in the register.")
        return held[0]

    def state(self, pesel: str, session: RegisterSession | None = None) -> PersonState:
        """The current state of whoever holds or held ``pesel``."""
        with self._in(session) as s:
            return self._state(s, self.resolve(pesel, s))

    def show(self, pesel: str, as_of: datetime.date | None = None,
             known_at: datetime.datetime | None = None,
             session: RegisterSession | None = None) -> dict[str, Any]:
        """The record (current, or as of a date as known at a moment) with linked people."""
        with self._in(session) as s:
            if as_of is None and known_at is None:  # the hot path: one statement
                number = validate(pesel)
                shown = record_now(s, number)
                if shown is None:
                    raise PersonNotFound(f"No person with PESEL {number} is in the register.")
                record, links = shown
            else:
                record, links = record_then(s, self.resolve(pesel, s), as_of, known_at)
        if record is None:
            when = f" on {as_of}" if as_of else ""
            known = f" as known at {known_at:%Y-%m-%d %H:%M:%S}" if known_at else ""
            raise PersonNotFound(f"PESEL {pesel} was not in the register{when}{known}.")
        record["links"] = [{"relation": rel, "pesel": r.pesel, "name": r.name}
                           for rel, r in links]
        return record

    def search(self, query: Query, session: RegisterSession | None = None) -> Hits:
        with self._in(session) as s:
            return search(s, query)

    def history(self, pesel: str, session: RegisterSession | None = None) -> list[ev.Event]:
        with self._in(session) as s:
            return s.events_for(self.resolve(pesel, s))

    def export(self, after: int = 0, through: int | None = None) -> Iterator[ev.Event]:
        """The log after ``after`` (up to ``through``), one event at a time."""
        for chunk in self.export_chunks(after, through):
            yield from chunk

    def export_chunks(self, after: int = 0, through: int | None = None,
                      chunk: int | None = None) -> Iterator[list[ev.Event]]:
        """The log after ``after`` (up to ``through``) in keyset chunks, lazily.

        Each chunk is read in a read transaction of its own, closed before the chunk
        is handed on: a slow reader (a client over HTTP, a full disk) holds neither a
        connection nor a snapshot, nor more than one chunk in memory, however long the
        log. The log is append-only, so chunks read at different moments still join
        into one ordered log. ``through`` fixes its end, as it was when the export
        began; without it the export ends where the log does when it gets there.
        """
        size = chunk or EXPORT_CHUNK
        while True:
            with self.store.read() as s:
                events = s.events_after(after, size, through)
            if not events:
                return
            yield events
            after = events[-1].seq

    def rebuild_projections(self, session: RegisterSession | None = None) -> int:
        """Replay the whole log into fresh projections; returns the number of people."""
        with self._in(session, write=True) as s:
            s.clear_projections()
            ids = s.person_ids()
            for person_id in ids:
                log = s.events_for(person_id)
                if any(e.kind in REWRITES_PARENTS for e in log):
                    s.remember_parents(person_id, named_parents(log))
                state = fold(log)
                if state is not None:
                    s.project(None, state)
        return len(ids)
