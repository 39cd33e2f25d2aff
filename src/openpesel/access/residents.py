"""A resident's own use cases: my record, my minor children's, my number's reservation,
and who accessed my data.

A resident's principal is tied to their person (``Principal.person_id``), so
none of these takes a PESEL of anyone else, except a parent's look at a minor
child's record, which ``policy.parent_may_read`` bounds.
"""

from __future__ import annotations

import datetime
from typing import Any

from openpesel.access.accountable import Access, Accountable, Forbidden, Touched, own_pesel
from openpesel.access.audit import AuditEntry
from openpesel.access.policy import Action, may_withdraw, parent_may_read
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.registry.commands import Command, Recorded
from openpesel.registry.dates import day_in_poland
from openpesel.registry.history import fold
from openpesel.registry.service import Register
from openpesel.registry.state import PersonState
from openpesel.storage.session import StoreTransaction


def shown_reservation(state: PersonState, log: list[ev.Event],
                      now: datetime.datetime) -> dict[str, Any]:
    """The reservation as the resident sees it: held now or not, since when, until when,
    and why (the cause event's kind, date and document), and whether they may withdraw it."""
    r = state.reservation
    held = r is not None and state.reserved_at(now)
    out: dict[str, Any] = {"pesel": state.pesel, "reserved": held, "since": None,
                           "withdraw_at": None, "cause": None}
    if r is None or not held:
        return out
    out |= {"since": r.since.isoformat(),
            "withdraw_at": r.withdraw_at.isoformat() if r.withdraw_at else None}
    cause = next((e for e in log if e.seq == r.cause_seq), None)
    if cause is not None:
        out["cause"] = {"kind": cause.kind.value, "seq": cause.seq,
                        "effective_date": cause.effective_date.isoformat(),
                        "document_ref": cause.document_ref}
    return out


def _for(access: Access) -> Touched:
    """A write on the represented person's number names them in its entry, refused or not:
    what a proxy or guardian did appears in the ward's own access report."""
    return Touched(person_id=access.principal.person_id)


class Residents:
    def __init__(self, accountable: Accountable, register: Register) -> None:
        self.tx = accountable
        self.register = register
        self.clock = accountable.clock

    def my_record(self, access: Access, child_pesel: str | None = None) -> dict[str, Any]:
        """Your own record, or that of your minor child."""
        def work(s: StoreTransaction, seen: Touched) -> dict[str, Any]:
            pesel = own_pesel(s, access)
            if child_pesel is not None:
                pesel = self._minor_child(s, access, child_pesel)
            record = self.register.show(pesel, session=s)
            seen.pesel, seen.fields = pesel, list(record)
            return record
        return self.tx.run(access, Action.READ_SELF, "read", child_pesel, work, writes=False)

    def my_children(self, access: Access) -> list[dict[str, Any]]:
        def work(s: StoreTransaction, seen: Touched) -> list[dict[str, Any]]:
            me = self.register.show(own_pesel(s, access), session=s)
            seen.fields = ["links"]
            return [link for link in me["links"] if link["relation"] == "child"]
        return self.tx.run(access, Action.READ_SELF, "read", None, work, writes=False)

    def _minor_child(self, s: StoreTransaction, access: Access, child_pesel: str) -> str:
        me = self.register.show(own_pesel(s, access), session=s)
        number = validate(child_pesel)
        child = self.register.state(number, session=s)
        if not any(link["relation"] == "child" and link["pesel"] == child.pesel
                   for link in me["links"]):
            raise Forbidden("A parent may read only their own children's records.")
        if not parent_may_read(child.birth_date, self.clock().date()):
            raise Forbidden("An adult child's record is theirs alone.")
        return child.pesel

    def my_history(self, access: Access) -> list[ev.Event]:
        def work(s: StoreTransaction, seen: Touched) -> list[ev.Event]:
            seen.fields = ["history"]
            return self.register.history(own_pesel(s, access), session=s)
        return self.tx.run(access, Action.READ_SELF, "read", None, work, writes=False)

    def reserve(self, access: Access) -> Recorded:
        now = self.clock()

        def work(s: StoreTransaction, seen: Touched) -> Recorded:
            seen.fields = ["reservation"]
            return self.register.record_in(s, Command(
                ev.Kind.PESEL_RESERVED, {"at": now.isoformat()}, ev.Authority.MINISTER,
                f"online/{access.principal.name}/{now:%Y%m%d%H%M%S}",
                own_pesel(s, access), now.date()))
        return self.tx.run(access, Action.RESERVE_SELF, "reserve", None, work,
                           _for(access))

    def withdraw(self, access: Access, at: datetime.datetime | None = None) -> Recorded:
        """Withdraw now, or schedule the withdrawal for ``at``, if the reservation's cause
        lets this principal (``policy.WITHDRAWABLE``): a proxy never, a death's no one."""
        now = self.clock()
        when = max(at or now, now)

        def work(s: StoreTransaction, seen: Touched) -> Recorded:
            seen.fields = ["reservation"]
            pesel = own_pesel(s, access)
            held = self.register.state(pesel, session=s).reservation
            decision = may_withdraw(access.principal.role, held.cause if held else None)
            if not decision.allowed:
                raise Forbidden(decision.reason)
            return self.register.record_in(s, Command(
                ev.Kind.RESERVATION_WITHDRAWN,
                {"at": when.isoformat(), "requested_at": now.isoformat()},
                ev.Authority.MINISTER, f"online/{access.principal.name}/{now:%Y%m%d%H%M%S}",
                pesel, now.date()))
        return self.tx.run(access, Action.WITHDRAW_SELF, "withdraw", None, work,
                           _for(access))

    def my_reservation(self, access: Access) -> dict[str, Any]:
        """My number's reservation now, with its cause (the event that made it), if any."""
        now = self.clock()

        def work(s: StoreTransaction, seen: Touched) -> dict[str, Any]:
            seen.fields = ["reservation"]
            pesel = own_pesel(s, access)
            log = self.register.history(pesel, session=s)
            state = fold(log)
            assert state is not None
            return shown_reservation(state, log, now)
        return self.tx.run(access, Action.READ_SELF, "read", None, work, writes=False)

    def report_lost(self, access: Access, number: str, reason: str = "lost") -> Recorded:
        """Report my ID card lost or stolen: it is invalidated today and, for an adult, the
        number is reserved in the same transaction (``registry/automatic.py``)."""
        now = self.clock()

        def work(s: StoreTransaction, seen: Touched) -> Recorded:
            seen.fields = ["id_cards", "reservation"]
            return self.register.record_in(s, Command(
                ev.Kind.ID_DOCUMENT_REPORTED_LOST,
                {"number": number, "reason": reason, "reported_by": "resident"},
                ev.Authority.MINISTER, f"online/{access.principal.name}/{now:%Y%m%d%H%M%S}",
                own_pesel(s, access), day_in_poland(now)))
        return self.tx.run(access, Action.REPORT_LOSS, "report-loss", None, work,
                           _for(access))

    def my_audit(self, access: Access, only: str | None = None) -> list[tuple[int, AuditEntry]]:
        """Who accessed my data (or, with ``only="check"``, who checked my reservation)."""
        def work(s: StoreTransaction, seen: Touched) -> list[tuple[int, AuditEntry]]:
            seen.fields = ["audit"]
            person = access.principal.person_id
            assert person is not None
            entries = self.tx.audit.entries_for(s, person)
            return [(i, e) for i, e in entries if (only is None or e.action == only)
                    and e.principal != access.principal.name]
        return self.tx.run(access, Action.READ_SELF, "read-audit", None, work, writes=False)

    def access_report(self, access: Access, only: str | None = None) -> dict[str, Any]:
        """The signed report of who accessed (or, ``only="check"``, checked) my data: my
        entries, each with its inclusion proof against a freshly signed head."""
        from openpesel.access import report

        entries = self.my_audit(access, only)
        now = self.clock()
        log = self.tx.audit
        with self.tx.store.write() as s:
            head = log.head(s, now)
            proved = [(i, e, log.inclusion_proof(s, i, head.size)) for i, e in entries]
            pesel = own_pesel(s, access)
        return report.build(pesel, proved, head, log.key, now)
