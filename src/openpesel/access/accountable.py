"""The accountable transaction: authorise, do the work, and audit it before answering.

Every use case in ``access`` (officials', residents', examiners', the audit
administration's, principals') runs its work through ``Accountable.run``, so
there are no silent reads: if the audit entry cannot be written, the answer is
not given either. A refused or failed request is audited too, with its outcome
(``denied``, ``refused``, ``not_found``).

Work that writes (a birth, a correction) appends its entry in its own
transaction, so the change and its entry commit together. Work that only reads
runs in a read transaction and hands its entries to the process's group
committer (``access/group_commit.py``), which commits them with the entries of
concurrent reads; the answer waits until they are committed. So does a refusal
that writes nothing but its entry.

The work is a function of the transaction's session and a ``Touched``, which
it fills in as it learns whom and what it touched; that becomes the entry.
"""

from __future__ import annotations

import datetime
import getpass
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.group_commit import GroupCommitter
from openpesel.access.policy import Action, Role, decide, office_for
from openpesel.errors import InvalidNumber, NotFound, OpenPeselError, PersonNotFound
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.storage.session import StoreTransaction

T = TypeVar("T")


class Forbidden(OpenPeselError):
    message = "This principal may not do that."
    http_status = 403
    problem_type = "forbidden"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    person_id: uuid.UUID | None = None
    jti: str | None = None


@dataclass(frozen=True)
class Access:
    """Who asks, in which role, for what purpose, and (police, courts) on which legal basis."""

    principal: Principal
    purpose: str | None = None
    legal_basis: str | None = None
    case_ref: str | None = None


@dataclass
class Touched:
    """What an access touched, filled in as the work learns it; it becomes the audit entry.

    ``index`` is the entry's position in the log once written (a reservation
    check hands it to the bank as its receipt).
    """

    person_id: uuid.UUID | None = None
    pesel: str | None = None
    fields: list[str] = field(default_factory=list)
    index: int = -1


Work = Callable[[StoreTransaction, Touched], T]
"""A use case's work inside its accountable transaction."""


def console(purpose: str = "console administration") -> Access:
    """The register's operator at the console (the CLI, the demo, set-up scripts).

    Audited as ``console:<OS user>`` in the role ``operator``, like any principal.
    """
    return Access(Principal(f"console:{getpass.getuser()}", Role.OPERATOR), purpose)


def own_pesel(s: StoreTransaction, access: Access) -> str:
    """The number of the resident an account is tied to."""
    person = access.principal.person_id
    record = s.record(person) if person else None
    if record is None:
        raise PersonNotFound("This account is not tied to a person in the register.")
    return str(record["pesel"])


class Accountable:
    """Runs use cases as accountable transactions on one store and one audit log."""

    def __init__(self, store: Any, audit: AuditLog,
                 clock: Callable[[], datetime.datetime]) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.committer = GroupCommitter(store, audit)
        # Entries a read's work added for the people it touched (``audit_people``), by the
        # read's session: they are committed with the read's own entry, after its work.
        self._deferred: dict[StoreTransaction, list[AuditEntry]] = {}

    def entry(self, access: Access, action: str, outcome: str, touched: Touched) -> AuditEntry:
        """The audit entry of one access, as its principal stated it."""
        p = access.principal
        return AuditEntry(principal=p.name, role=p.role.value,
                          purpose=access.purpose or action, legal_basis=access.legal_basis,
                          case_ref=access.case_ref, action=action, person_id=touched.person_id,
                          pesel=touched.pesel, fields=sorted(touched.fields), outcome=outcome,
                          at=self.clock())

    def run(self, access: Access, action: Action, audit_action: str, pesel: str | None,
            work: Work[T], touched: Touched | None = None, writes: bool = True) -> T:
        """Authorise, run ``work`` and audit it; the answer comes once its entry is committed.

        ``writes=False`` says the work only reads: it runs in a read transaction
        and its entries are group-committed after it (``GroupCommitter``), a
        refusal's too. Work that writes appends its entry in its own transaction;
        a refusal rolls that back but keeps its entry, group-committed on its own.
        (A savepoint would keep it in the same transaction, at two extra round
        trips for every write that succeeds, and nearly all do.) A principal the
        policy denies is audited the same way, having read only whom it named.
        """
        seen = touched or Touched()
        # The audit keeps the canonical spelling: " 44051401359" is the same person's number.
        number = _canonical(pesel)
        seen.pesel = number or pesel
        decision = decide(access.principal.role, action, access.purpose, access.legal_basis,
                          access.case_ref)
        if not decision.allowed:
            with self.store.read() as s:
                _identify(s, seen, number)
            self._commit(seen, [self.entry(access, audit_action, "denied", seen)])
            raise Forbidden(decision.reason)
        if not writes:
            return self._read(access, audit_action, number, work, seen)
        failure: OpenPeselError | None = None
        outcome = "allowed"
        try:
            with self.store.write() as s:
                _identify(s, seen, number)
                try:
                    result = work(s, seen)
                except NotFound as exc:
                    failure, outcome = exc, "not_found"
                    raise
                except OpenPeselError as exc:
                    failure, outcome = exc, "refused"
                    raise
                seen.index = self.audit.append(s, self.entry(access, audit_action, outcome,
                                                             seen))
        except OpenPeselError as exc:
            if exc is failure:  # the work is rolled back; its refusal is kept
                self._commit(seen, [self.entry(access, audit_action, outcome, seen)])
            raise
        return result

    def _read(self, access: Access, audit_action: str, number: str | None, work: Work[T],
              seen: Touched) -> T:
        """Read-only work in a read transaction; its entries group-committed after it."""
        failure: OpenPeselError | None = None
        outcome = "allowed"
        with self.store.read() as s:
            _identify(s, seen, number)
            touched = self._deferred[s] = []
            try:
                result = work(s, seen)
            except NotFound as exc:
                failure, outcome = exc, "not_found"
            except OpenPeselError as exc:
                failure, outcome = exc, "refused"
            finally:
                del self._deferred[s]
        self._commit(seen, [*touched, self.entry(access, audit_action, outcome, seen)])
        if failure is not None:
            raise failure
        return result

    def _commit(self, seen: Touched, entries: list[AuditEntry]) -> None:
        """Group-commit ``entries``, the access's own last; its index is ``seen.index``."""
        seen.index = self.committer.commit(entries)[-1]

    def refuse(self, access: Access, action: Action, audit_action: str, pesel: str | None,
               reason: str) -> NoReturn:
        """Refuse an access the law forbids before any work, audited as ``refused``."""
        def work(_s: StoreTransaction, _seen: Touched) -> None:
            raise Forbidden(reason)
        self.run(access, action, audit_action, pesel, work)
        raise AssertionError("unreachable: the work always refuses")  # pragma: no cover

    def audit_people(self, s: StoreTransaction, access: Access, action: str,
                     people: Iterable[tuple[uuid.UUID, str | None]],
                     fields: list[str]) -> None:
        """One entry per person an access touched, so each finds it in their own report.

        A bulk access (an import, a page of search results, a case's candidates)
        has its own entry too; these say, to each person concerned, what of
        theirs it touched.
        """
        entries = [self.entry(access, action, "allowed",
                              Touched(person_id=person_id, pesel=pesel, fields=list(fields)))
                   for person_id, pesel in people]
        deferred = self._deferred.get(s)
        if deferred is not None:  # a read's: committed with its own entry, after its work
            deferred.extend(entries)
        else:
            self.audit.append_many(s, entries)

    def office(self, access: Access, kind: ev.Kind, pesel: str | None,
               named: ev.Authority | None) -> ev.Authority:
        """The office an event is recorded for (``policy.office_for``); a role whose office
        may not record ``kind`` is refused, and the refusal is audited."""
        chosen = office_for(access.principal.role, kind, named)
        if chosen is None:
            self.refuse(access, Action.RECORD, "write", pesel,
                        f"A {access.principal.role.value} may not record {kind.value} "
                        "(Art. 10).")
        return chosen


def _canonical(pesel: str | None) -> str | None:
    """The number an access names, validated once; None if it names no valid number."""
    if pesel is None:
        return None
    try:
        return validate(pesel)
    except InvalidNumber:
        return None


def _identify(s: StoreTransaction, seen: Touched, number: str | None) -> None:
    """The person behind the number an access names, for the entry (a miss names no one)."""
    if number is not None:
        held = s.holder(number)
        seen.person_id = held[0] if held else None
