"""The audit log's administration, and the register's totals: supervisors, statisticians,
witnesses.

Browsing the log is an accountable access like any other (``read-audit``).
Verifying the log and signing its head are authorised (``audit``) but leave
no entry of their own: they disclose no one's data, only the log's size, its
root and the problems found, and an entry would change the very tree they
check or sign (a head signed and then at once behind its own entry). The
latest head and consistency proofs are public, for witnesses, as in
Certificate Transparency: they need no principal at all.

The one place each of these is written, for the API, the web pages and the
console alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpesel.access.accountable import Access, Accountable, Forbidden, Touched
from openpesel.access.audit import AuditEntry, VerifyReport
from openpesel.access.policy import Action, decide
from openpesel.access.signing import SignedTreeHead
from openpesel.access.witness import published, sign_pending
from openpesel.errors import NotFound
from openpesel.storage import aggregates, audit_query
from openpesel.storage.aggregates import Dashboard
from openpesel.storage.audit_query import AuditFilter
from openpesel.storage.session import StoreTransaction


class NoHeadYet(NotFound):
    message = "The register has not signed a tree head yet."


class AuditAdministration:
    def __init__(self, accountable: Accountable) -> None:
        self.tx = accountable
        self.store = accountable.store
        self.audit = accountable.audit
        self.clock = accountable.clock

    # -- totals ----------------------------------------------------------

    def statistics(self, access: Access) -> dict[str, Any]:
        def work(s: StoreTransaction, seen: Touched) -> dict[str, Any]:
            seen.fields = ["aggregates"]
            by_region = aggregates.alive_by_voivodeship_and_sex(s)
            return {"alive_by_voivodeship_and_sex": by_region,
                    "alive": sum(sum(v.values()) for v in by_region.values())}
        return self.tx.run(access, Action.READ_AGGREGATES, "aggregate", None, work,
                           writes=False)

    def dashboard(self, access: Access) -> Dashboard:
        """Totals for the office's dashboard: aggregates only, audited like statistics."""
        def work(s: StoreTransaction, seen: Touched) -> Dashboard:
            seen.fields = ["aggregates"]
            return aggregates.dashboard(s, self.clock().date())
        return self.tx.run(access, Action.READ_AGGREGATES, "aggregate", None, work,
                           writes=False)

    # -- the log ---------------------------------------------------------

    def audit_entries(self, access: Access, offset: int, limit: int,
                      where: AuditFilter | None = None,
                      ) -> tuple[int, list[tuple[int, AuditEntry]]]:
        """A page of the audit log for a supervisor, narrowed by ``where`` (a person, a
        principal, an action, a time range); the browsing, filter included, is itself
        audited. The size is the whole log's."""
        def work(s: StoreTransaction, seen: Touched) -> tuple[int, list[tuple[int, AuditEntry]]]:
            seen.fields = [f"audit:{offset}+{limit}"]
            if not where:
                return self.audit.size(s), self.audit.entries(s, offset, limit)
            seen.fields += where.describe()
            held = s.holder(where.pesel) if where.pesel else None
            rows = audit_query.filtered(s, where, held[0] if held else None, offset, limit)
            return self.audit.size(s), [(i, AuditEntry.from_canonical(b)) for i, b in rows]
        return self.tx.run(access, Action.AUDIT, "read-audit", None, work, writes=False)

    def _authorise(self, access: Access) -> None:
        decision = decide(access.principal.role, Action.AUDIT, access.purpose,
                          access.legal_basis, access.case_ref)
        if not decision.allowed:
            raise Forbidden(decision.reason)

    def verify_audit(self, access: Access,
                     witnessed: Sequence[SignedTreeHead] = ()) -> VerifyReport:
        """Recompute the whole log and check every signed head (and ``witnessed`` ones, kept
        by a witness) against it."""
        self._authorise(access)
        with self.store.read() as s:
            return self.audit.verify(s, witnessed=witnessed)

    def sign_head(self, access: Access) -> SignedTreeHead:
        """Sign the log's head as it stands now, and keep it."""
        self._authorise(access)
        with self.store.write() as s:
            return self.audit.head(s, self.clock())

    def sign_pending(self) -> SignedTreeHead | None:
        """Sign a head over entries appended since the latest one, if any: the register's
        own housekeeping (at a command's end, before a backup), on no one's behalf."""
        return sign_pending(self.store, self.audit, self.clock)

    # -- public, for witnesses ---------------------------------------------

    def latest_head(self) -> dict[str, Any]:
        """The latest signed head with the public key that checks it, as witnesses fetch it."""
        with self.store.read() as s:
            head = self.audit.latest_head(s)
        if head is None:
            raise NoHeadYet()
        return published(head, self.audit.public_key)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """The RFC 6962 proof that the log of size ``new`` extends the one of size ``old``."""
        with self.store.read() as s:
            return self.audit.consistency_proof(s, old, new)
