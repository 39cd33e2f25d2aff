"""The register's accountable front door: every access is authorised and audited.

Each method takes an ``Access`` (who asks, in which role, for what purpose and
on which legal basis), decides it with ``policy.decide``, and then runs the
work and appends the audit entry in one transaction, so there are no silent
reads: if the entry cannot be written, the answer is not given either. A
refused or failed request is audited too, with its outcome.
"""

from __future__ import annotations

import datetime
import getpass
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, literal_column, select

from openpesel.access import credentials
from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.brake import Brake
from openpesel.access.login import IssuedToken, log_in
from openpesel.access.policy import ROLE_AUTHORITY, Action, Role, decide, may_record
from openpesel.errors import OpenPeselError, PersonNotFound, RegisterError
from openpesel.number import is_valid, validate
from openpesel.registry import events as ev
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.rules import age_on
from openpesel.registry.search import Hit, Query
from openpesel.registry.service import Register
from openpesel.storage import accounts, aggregates, audit_query
from openpesel.storage import schema as t
from openpesel.storage.aggregates import Dashboard
from openpesel.storage.audit_query import AuditFilter
from openpesel.storage.store import TOKEN_KEY, Session

if TYPE_CHECKING:
    from openpesel.access.adjudication import Desk
    from openpesel.biometrics import Verdict
    from openpesel.biometrics.identification import Candidate
    from openpesel.biometrics.service import Enrolment, FingerprintService, Scan
    from openpesel.dedup.service import Screened

T = TypeVar("T")
TOKEN_TTL = datetime.timedelta(hours=8)
AUTH_CACHE_SECONDS = 2
"""How stale a token's revocation state may be when revoked by another process."""


HIT_FIELDS = ("pesel", "first_names", "family_name", "birth_date", "sex", "teryt", "alive")
"""What a search hit shows of a person, as their access report names it."""


class Forbidden(OpenPeselError):
    message = "This principal may not do that."


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    person_id: uuid.UUID | None = None
    jti: str | None = None


@dataclass(frozen=True)
class Access:
    principal: Principal
    purpose: str | None = None
    legal_basis: str | None = None
    case_ref: str | None = None


@dataclass(frozen=True)
class ReservationCheck:
    pesel: str
    reserved: bool
    check_id: int
    checked_at: datetime.datetime


@dataclass
class _Outcome:
    """What an access touched, filled in as the work learns it; becomes the audit entry."""

    person_id: uuid.UUID | None = None
    pesel: str | None = None
    fields: list[str] = field(default_factory=list)
    index: int = -1


class Gate:
    def __init__(self, register: Register, audit: AuditLog,
                 token_ttl: datetime.timedelta = TOKEN_TTL,
                 image_dir: Path = Path("data") / "fingerprints") -> None:
        self.register = register
        self.store = register.store
        self.audit = audit
        self.clock = register.clock
        self.token_ttl = token_ttl
        self._auth_cache: dict[str, tuple[Principal, datetime.datetime]] = {}
        self.brake = Brake()  # failed logins slow the next ones (access/brake.py)
        self.image_dir = image_dir
        self._fingerprints: FingerprintService | None = None
        self._desk: Desk | None = None

    # -- principals ------------------------------------------------------

    def add_principal(self, access: Access, name: str, role: Role, secret: str,
                      display_name: str = "", pesel: str | None = None) -> str | None:
        """Create a principal; a resident is tied to their PESEL and gets a TOTP secret.

        Authorised and audited like any access: an account bound to a PESEL can
        read that person's record, so the entry names the person, who sees it in
        their access report, even when the creation is refused.
        """
        totp = credentials.new_totp_secret() if role is Role.RESIDENT else None
        # argon2 is slow on purpose: hashed before the write transaction (see ``login``).
        hashed = credentials.hash_secret(secret) if len(secret) >= 12 else ""
        bound = pesel if role is Role.RESIDENT else None

        def work(s: Session, seen: _Outcome) -> str | None:
            seen.fields = [f"principal:{name}", f"role:{role.value}"]
            if not hashed:
                raise credentials.AuthError("A secret must have at least 12 characters.")
            person_id = None
            if role is Role.RESIDENT:
                if pesel is None:
                    raise RegisterError("A resident's account needs their PESEL.")
                person_id = seen.person_id = self.register.resolve(pesel, s)
            if accounts.find(s, name) is not None:
                raise RegisterError(f"A principal named {name!r} already exists.")
            accounts.add(s, accounts.Account(name, role.value, display_name or name, hashed,
                                             totp, person_id, True), self.clock())
            return totp
        return self._audited(access, Action.MANAGE_USERS, "add-principal", bound, work)

    def deactivate(self, access: Access, name: str) -> None:
        """Deactivate a principal, audited; a resident's deactivation names the person."""
        def work(s: Session, seen: _Outcome) -> None:
            seen.fields = [f"principal:{name}"]
            account = accounts.find(s, name)
            if account is None or not accounts.deactivate(s, name):
                raise PersonNotFound(f"No principal named {name!r}.")
            seen.person_id = account.person_id
        self._audited(access, Action.MANAGE_USERS, "deactivate-principal", None, work)
        self._auth_cache.clear()

    def principals(self, access: Access) -> list[accounts.Account]:
        """Every principal (with a resident's TOTP secret): authorised and audited."""
        def work(s: Session, seen: _Outcome) -> list[accounts.Account]:
            seen.fields = ["principals"]
            return accounts.all_accounts(s)
        return self._audited(access, Action.MANAGE_USERS, "list-principals", None, work,
                             writes=False)

    def login(self, name: str, secret: str, totp: str | None = None,
              address: str = "local") -> IssuedToken:
        """A token for a secret (and TOTP code), from a client ``address``; see access/login.py.

        Raises ``LoginThrottled`` while the login brake holds this name and address.
        """
        return log_in(self, name, secret, totp, address)

    def authenticate(self, token: str) -> Principal:
        """The principal behind a token; revocation and deactivation take effect at once.

        The signature and expiry are checked on every call; the database (is the
        token revoked, is the principal active?) is asked at most once per
        ``AUTH_CACHE_SECONDS`` per token, and a revocation through this gate
        empties the cache.
        """
        now = self.clock()
        cached = self._auth_cache.get(token)
        if cached is not None and cached[1] > now:
            credentials.read(self.store.secret(TOKEN_KEY), token, now)
            return cached[0]
        with self.store.read() as s:
            claims = credentials.read(s.secret(TOKEN_KEY), token, self.clock())
            if not accounts.token_usable(s, claims.jti, claims.principal):
                raise credentials.TokenInvalid("The bearer token has been revoked.")
            account = accounts.find(s, claims.principal)
        if account is None:
            raise credentials.TokenInvalid()
        who = Principal(account.name, Role(account.role), account.person_id, claims.jti)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[token] = (who, now + datetime.timedelta(seconds=AUTH_CACHE_SECONDS))
        return who

    def revoke(self, principal: Principal, jti: str | None = None) -> None:
        """Revoke one's own token, or (an administrator) anyone's."""
        target = jti or principal.jti
        if target is None:
            raise credentials.TokenInvalid()
        if jti is not None and jti != principal.jti and principal.role is not Role.ADMIN:
            raise Forbidden("Only an administrator may revoke another principal's token.")
        with self.store.write() as s:
            if not accounts.revoke_token(s, target, self.clock()):
                raise PersonNotFound("No such active token.")
        self._auth_cache.clear()

    # -- the audited path ------------------------------------------------

    def _entry(self, access: Access, action: str, outcome: str, seen: _Outcome) -> AuditEntry:
        p = access.principal
        return AuditEntry(principal=p.name, role=p.role.value,
                          purpose=access.purpose or action, legal_basis=access.legal_basis,
                          case_ref=access.case_ref, action=action, person_id=seen.person_id,
                          pesel=seen.pesel, fields=sorted(seen.fields), outcome=outcome,
                          at=self.clock())

    def _audited(self, access: Access, action: Action, audit_action: str, pesel: str | None,
                 work: Callable[[Session, _Outcome], T], seen: _Outcome | None = None,
                 writes: bool = True) -> T:
        """Authorise, run ``work`` and audit it in one transaction.

        A refusal rolls back the work but keeps its audit entry: work that writes
        is rolled back with its whole transaction, and the entry is written in a
        fresh one. (A savepoint would do the same at two extra round trips for
        every write that succeeds, and nearly all do.) Read-only work has nothing
        to roll back, so its refusal shares the transaction.
        """
        seen = seen or _Outcome()
        # The audit keeps the canonical spelling: " 44051401359" is the same person's number.
        seen.pesel = validate(pesel) if pesel is not None and is_valid(pesel) else pesel
        decision = decide(access.principal.role, action, access.purpose, access.legal_basis,
                          access.case_ref)
        if not decision.allowed:
            with self.store.write() as s:
                self._identify(s, seen)
                self.audit.append(s, self._entry(access, audit_action, "denied", seen))
            raise Forbidden(decision.reason)
        failure: OpenPeselError | None = None
        outcome = "allowed"
        try:
            with self.store.write() as s:
                self._identify(s, seen)
                try:
                    result = work(s, seen)
                except PersonNotFound as exc:
                    failure, outcome = exc, "not_found"
                except OpenPeselError as exc:
                    failure, outcome = exc, "refused"
                if failure is not None and writes:
                    raise failure
                seen.index = self.audit.append(s, self._entry(access, audit_action, outcome,
                                                              seen))
        except OpenPeselError as exc:
            if exc is not failure:
                raise
            with self.store.write() as s:  # the work is rolled back; its refusal is kept
                seen.index = self.audit.append(s, self._entry(access, audit_action, outcome,
                                                              seen))
        if failure is not None:
            raise failure
        return result

    @staticmethod
    def _identify(s: Session, seen: _Outcome) -> None:
        if seen.pesel and is_valid(seen.pesel):
            held = s.holder(validate(seen.pesel))
            seen.person_id = held[0] if held else None

    # -- officials -------------------------------------------------------

    def show(self, access: Access, pesel: str, as_of: datetime.date | None = None,
             known_at: datetime.datetime | None = None) -> dict[str, Any]:
        def work(s: Session, seen: _Outcome) -> dict[str, Any]:
            record = self.register.show(pesel, as_of, known_at, session=s)
            seen.fields = list(record)
            return record
        return self._audited(access, Action.READ_PERSON, "read", pesel, work, writes=False)

    def history(self, access: Access, pesel: str) -> list[ev.Event]:
        def work(s: Session, seen: _Outcome) -> list[ev.Event]:
            seen.fields = ["history"]
            return self.register.history(pesel, session=s)
        return self._audited(access, Action.READ_PERSON, "read", pesel, work)

    def search(self, access: Access, query: Query, offset: int = 0) -> list[Hit]:
        """One page of hits, from ``offset``; each person listed gets an entry of their own.

        A hit shows a person's number, name, birth date, sex and place, so a
        search is a read of everyone it lists: their access reports show it.
        Only the page returned is audited, never the hits ranked above it.
        """
        def work(s: Session, seen: _Outcome) -> list[Hit]:
            seen.fields = ["search:" + query.text]
            ranked = self.register.search(replace(query, limit=offset + query.limit), session=s)
            shown = ranked[offset:]
            ids = s.holders(h.pesel for h in shown)
            self._audit_people(s, access, "search-hit", ((ids[h.pesel], h.pesel) for h in shown),
                               list(HIT_FIELDS))
            return shown
        return self._audited(access, Action.SEARCH, "search", None, work)

    def _office(self, access: Access, kind: ev.Kind, pesel: str | None,
                named: ev.Authority | None) -> ev.Authority:
        """The office an event is recorded for: the caller's role's, under Art. 10.

        Only the console operator names the office; a role whose office may not
        record ``kind`` is refused, and the refusal is audited.
        """
        role = access.principal.role
        if role in ROLE_AUTHORITY and not may_record(role, kind):
            self._audited(access, Action.RECORD, "write", pesel, _refuse(
                f"A {role.value} may not record {kind.value} (Art. 10)."))
        if role is Role.OPERATOR and named is not None:
            return named
        return ROLE_AUTHORITY.get(role, next(iter(sorted(ev.AUTHORS[kind]))))

    def record(self, access: Access, kind: ev.Kind, payload: dict[str, Any], document_ref: str,
               pesel: str | None = None, effective_date: datetime.date | None = None,
               supersedes: int | None = None,
               authority: ev.Authority | None = None) -> Recorded:
        """Record an event for the caller's office; the console operator names the office."""
        if (reason := ev.not_by_hand(kind)) is not None:
            self._audited(access, Action.RECORD, "write", pesel, _refuse(reason))
        authority = self._office(access, kind, pesel, authority)

        def work(s: Session, seen: _Outcome) -> Recorded:
            seen.fields = [kind.value, *payload]
            done = self.register.record_in(s, Command(kind, payload, authority, document_ref,
                                                      pesel, effective_date, supersedes))
            seen.person_id, seen.pesel = done.person_id, done.pesel
            return done
        return self._audited(access, Action.RECORD, "write", pesel, work)

    def record_file(self, access: Access, lines: list[str]) -> list[Recorded]:
        """A file of commands, all or nothing, as one audited bulk write."""
        def work(s: Session, seen: _Outcome) -> list[Recorded]:
            seen.fields = [f"lines:{len(lines)}"]
            return self.register.record_file(lines, session=s)
        return self._audited(access, Action.BULK, "bulk-record", None, work)

    def import_events(self, access: Access, lines: list[str]) -> int:
        """Fill an empty register from an export; each person imported gets an entry."""
        def work(s: Session, seen: _Outcome) -> int:
            seen.fields = [f"lines:{len(lines)}"]
            done = self.register.import_events(lines, session=s)
            self._audit_people(s, access, "import", ((p, None) for p in done.people),
                               ["record"])
            return done.events
        return self._audited(access, Action.BULK, "bulk-import", None, work)

    def _audit_people(self, s: Session, access: Access, action: str,
                      people: Iterable[tuple[uuid.UUID, str | None]],
                      fields: list[str]) -> None:
        """One entry per person an access touched, so each finds it in their own report.

        A bulk access (an import, a page of search results) has its own entry
        too; these say, to each person concerned, what of theirs it touched.
        """
        entries = []
        for person_id, pesel in people:
            if pesel is None:
                record = s.record(person_id)
                pesel = record["pesel"] if record else None
            seen = _Outcome(person_id=person_id, pesel=pesel, fields=fields)
            entries.append(self._entry(access, action, "allowed", seen))
        self.audit.append_many(s, entries)

    def rebuild_projections(self, access: Access) -> int:
        def work(s: Session, seen: _Outcome) -> int:
            return self.register.rebuild_projections(session=s)
        return self._audited(access, Action.BULK, "bulk-rebuild", None, work)

    def bulk(self, access: Access, what: str, work: Callable[[], T],
             details: Sequence[str] = ()) -> T:
        """Any whole-register operation outside the database (a backup, a synthetic load),
        audited first: an operation that dies half-way has still left its entry."""
        def audited(_s: Session, seen: _Outcome) -> None:
            seen.fields = [what, *details]
        self._audited(access, Action.BULK, f"bulk-{what}", None, audited, writes=False)
        return work()

    def export(self, access: Access) -> list[ev.Event]:
        """The whole log; the export itself is audited, as it discloses everyone."""
        def work(s: Session, seen: _Outcome) -> list[ev.Event]:
            seen.fields = ["events"]
            return list(s.iter_events())
        return self._audited(access, Action.BULK, "bulk-export", None, work)

    # -- fingerprints ----------------------------------------------------

    def enrol_fingerprints(self, access: Access, pesel: str, scans: Sequence[Scan],
                           missing: Sequence[tuple[int, str]], document_ref: str,
                           authority: ev.Authority | None = None,
                           accept_low_quality: bool = False) -> Enrolment:
        """Take fingerprints for an ID card or passport: one audited register event."""
        office = self._office(access, ev.Kind.FINGERPRINTS_ENROLLED, pesel, authority)

        def work(s: Session, seen: _Outcome) -> Enrolment:
            seen.fields = [f"finger:{scan.finger}" for scan in scans]
            return self.fingerprints.enrol(s, pesel, scans, missing, office, document_ref,
                                           accept_low_quality=accept_low_quality)
        return self._audited(access, Action.RECORD, "enrol", pesel, work)

    def verify_fingerprint(self, access: Access, pesel: str, scan: Scan,
                           false_match_rate: float = 0.001) -> Verdict:
        """1:1: does this scan match the finger enrolled for ``pesel``? Audited as a read."""
        def work(s: Session, seen: _Outcome) -> Verdict:
            seen.fields = [f"finger:{scan.finger}"]
            return self.fingerprints.verify(s, pesel, scan, false_match_rate)
        return self._audited(access, Action.READ_PERSON, "verify", pesel, work, writes=False)

    @property
    def fingerprints(self) -> FingerprintService:
        """Built on first use: the fingerprint stack takes a while to import."""
        if self._fingerprints is None:
            from openpesel.biometrics import ImageStore
            from openpesel.biometrics.service import FingerprintService

            self._fingerprints = FingerprintService(self.register, ImageStore(self.image_dir))
        return self._fingerprints

    # -- identification and adjudication ---------------------------------

    @property
    def desk(self) -> Desk:
        """The examiners' desk (identification, screened registrations, cases, ABIS)."""
        if self._desk is None:
            from openpesel.access.adjudication import Desk
            from openpesel.dedup.gallery import RegisterGallery
            from openpesel.dedup.service import DedupService

            service = DedupService(self.register, self.fingerprints, RegisterGallery())
            self._desk = Desk(self, service)
        return self._desk

    def identify(self, access: Access, scans: Sequence[Scan], sex: str | None = None,
                 birth_years: tuple[int, int] | None = None, k: int = 10) -> list[Candidate]:
        """1:N: who among everyone enrolled left these prints? Audited, per candidate too."""
        return self.desk.identify(access, scans, sex, birth_years, k)

    def register_with_fingerprints(
            self, access: Access, kind: ev.Kind, payload: dict[str, Any], document_ref: str,
            scans: Sequence[Scan], missing: Sequence[tuple[int, str]] = (),
            effective_date: datetime.date | None = None, authority: ev.Authority | None = None,
            accept_low_quality: bool = False) -> Screened:
        """A registration with fingerprints: recorded, or held as a case if it may be someone
        already registered (docs/adjudication.md)."""
        return self.desk.register(access, kind, payload, document_ref, scans, missing,
                                  effective_date, authority, accept_low_quality)

    def check_reservation(self, access: Access, pesel: str) -> ReservationCheck:
        number = validate(pesel)
        now = self.clock()

        def work(s: Session, seen: _Outcome) -> bool:
            seen.fields = ["reservation"]
            return s.reserved(number, now)
        seen = _Outcome()
        reserved = self._audited(access, Action.CHECK_RESERVATION, "check", number, work, seen,
                                 writes=False)
        return ReservationCheck(number, reserved, seen.index, now)

    def statistics(self, access: Access) -> dict[str, Any]:
        def work(s: Session, seen: _Outcome) -> dict[str, Any]:
            seen.fields = ["aggregates"]
            c = t.persons.c
            # Literal arguments, not bound ones: PostgreSQL must see the same expression in
            # SELECT and GROUP BY.
            region = func.substr(c.teryt, literal_column("1"), literal_column("2"))
            rows = s.conn.execute(select(region, c.sex, func.count())
                                  .where(c.alive.is_(True)).group_by(region, c.sex)).all()
            by_region: dict[str, dict[str, int]] = {}
            for region, sex, count in rows:
                by_region.setdefault(region or "none", {})[sex] = int(count)
            return {"alive_by_voivodeship_and_sex": by_region,
                    "alive": sum(sum(v.values()) for v in by_region.values())}
        return self._audited(access, Action.READ_AGGREGATES, "aggregate", None, work)

    def dashboard(self, access: Access) -> Dashboard:
        """Totals for the office's dashboard: aggregates only, audited like statistics."""
        def work(s: Session, seen: _Outcome) -> Dashboard:
            seen.fields = ["aggregates"]
            return aggregates.dashboard(s, self.clock().date())
        return self._audited(access, Action.READ_AGGREGATES, "aggregate", None, work,
                             writes=False)

    def audit_entries(self, access: Access, offset: int, limit: int,
                      where: AuditFilter | None = None,
                      ) -> tuple[int, list[tuple[int, AuditEntry]]]:
        """A page of the audit log for a supervisor, narrowed by ``where`` (a person, a
        principal, an action, a time range); the browsing, filter included, is itself
        audited. The size is the whole log's."""
        def work(s: Session, seen: _Outcome) -> tuple[int, list[tuple[int, AuditEntry]]]:
            seen.fields = [f"audit:{offset}+{limit}"]
            if not where:
                return self.audit.size(s), self.audit.entries(s, offset, limit)
            seen.fields += where.describe()
            held = s.holder(where.pesel) if where.pesel else None
            rows = audit_query.filtered(s, where, held[0] if held else None, offset, limit)
            return self.audit.size(s), [(i, AuditEntry.from_canonical(b)) for i, b in rows]
        return self._audited(access, Action.AUDIT, "read-audit", None, work, writes=False)

    # -- residents -------------------------------------------------------

    def _own_pesel(self, s: Session, access: Access) -> str:
        person = access.principal.person_id
        record = s.record(person) if person else None
        if record is None:
            raise PersonNotFound("This account is not tied to a person in the register.")
        return str(record["pesel"])

    def my_record(self, access: Access, child_pesel: str | None = None) -> dict[str, Any]:
        """Your own record, or that of your minor child."""
        def work(s: Session, seen: _Outcome) -> dict[str, Any]:
            pesel = self._own_pesel(s, access)
            if child_pesel is not None:
                pesel = self._minor_child(s, access, child_pesel)
            record = self.register.show(pesel, session=s)
            seen.pesel, seen.fields = pesel, list(record)
            return record
        return self._audited(access, Action.READ_SELF, "read", child_pesel, work)

    def my_children(self, access: Access) -> list[dict[str, Any]]:
        def work(s: Session, seen: _Outcome) -> list[dict[str, Any]]:
            me = self.register.show(self._own_pesel(s, access), session=s)
            seen.fields = ["links"]
            return [link for link in me["links"] if link["relation"] == "child"]
        return self._audited(access, Action.READ_SELF, "read", None, work)

    def _minor_child(self, s: Session, access: Access, child_pesel: str) -> str:
        me = self.register.show(self._own_pesel(s, access), session=s)
        number = validate(child_pesel)
        child = self.register.state(number, session=s)
        if not any(link["relation"] == "child" and link["pesel"] == child.pesel
                   for link in me["links"]):
            raise Forbidden("A parent may read only their own children's records.")
        if age_on(child.birth_date, self.clock().date()) >= 18:
            raise Forbidden("An adult child's record is theirs alone.")
        return child.pesel

    def my_history(self, access: Access) -> list[ev.Event]:
        def work(s: Session, seen: _Outcome) -> list[ev.Event]:
            seen.fields = ["history"]
            return self.register.history(self._own_pesel(s, access), session=s)
        return self._audited(access, Action.READ_SELF, "read", None, work)

    def reserve(self, access: Access) -> Recorded:
        now = self.clock()

        def work(s: Session, seen: _Outcome) -> Recorded:
            seen.fields = ["reservation"]
            return self.register.record_in(s, Command(
                ev.Kind.PESEL_RESERVED, {"at": now.isoformat()}, ev.Authority.MINISTER,
                f"online/{access.principal.name}/{now:%Y%m%d%H%M%S}",
                self._own_pesel(s, access), now.date()))
        return self._audited(access, Action.RESERVE_SELF, "reserve", None, work)

    def withdraw(self, access: Access, at: datetime.datetime | None = None) -> Recorded:
        """Withdraw now, or schedule the withdrawal for ``at``."""
        now = self.clock()
        when = max(at or now, now)

        def work(s: Session, seen: _Outcome) -> Recorded:
            seen.fields = ["reservation"]
            return self.register.record_in(s, Command(
                ev.Kind.RESERVATION_WITHDRAWN,
                {"at": when.isoformat(), "requested_at": now.isoformat()},
                ev.Authority.MINISTER, f"online/{access.principal.name}/{now:%Y%m%d%H%M%S}",
                self._own_pesel(s, access), now.date()))
        return self._audited(access, Action.RESERVE_SELF, "withdraw", None, work)

    def my_audit(self, access: Access, only: str | None = None) -> list[tuple[int, AuditEntry]]:
        """Who accessed my data (or, with ``only="check"``, who checked my reservation)."""
        def work(s: Session, seen: _Outcome) -> list[tuple[int, AuditEntry]]:
            seen.fields = ["audit"]
            person = access.principal.person_id
            assert person is not None
            entries = self.audit.entries_for(s, person)
            return [(i, e) for i, e in entries if (only is None or e.action == only)
                    and e.principal != access.principal.name]
        return self._audited(access, Action.READ_SELF, "read-audit", None, work)


def console(purpose: str = "console administration") -> Access:
    """The register's operator at the console (the CLI, the demo, set-up scripts).

    Audited as ``console:<OS user>`` in the role ``operator``, like any principal.
    """
    return Access(Principal(f"console:{getpass.getuser()}", Role.OPERATOR), purpose)


def _refuse(reason: str) -> Callable[[Session, _Outcome], Any]:
    def work(_s: Session, _seen: _Outcome) -> Any:
        raise Forbidden(reason)
    return work


def access_report(gate: Gate, access: Access, only: str | None = None) -> dict[str, Any]:
    """The signed report of who accessed (or, ``only="check"``, checked) my data."""
    from openpesel.access import report

    entries = gate.my_audit(access, only)
    now = gate.clock()
    with gate.store.write() as s:
        head = gate.audit.head(s, now)
        proved = [(i, e, gate.audit.inclusion_proof(s, i, head.size)) for i, e in entries]
        pesel = gate._own_pesel(s, access)
    return report.build(pesel, proved, head, gate.audit.key, now)
