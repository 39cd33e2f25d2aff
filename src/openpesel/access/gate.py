"""The register's accountable front door: every access is authorised and audited.

``Gate`` is a facade. It builds one ``Accountable`` (the accountable
transaction: authorise with ``policy.decide``, run the work and append the
audit entry in one transaction; ``access/accountable.py``) and hands out the
use cases of each audience as its own methods, so the API, the web pages and
the console have one object to call:

- principals and tokens: ``access/authentication.py`` (and ``login.py``);
- officials (read, search, record, bulk, fingerprints): ``access/officials.py``;
- residents (my record, my children, my reservation, my audit): ``access/residents.py``;
- examiners (1:N, screened registrations, cases, ABIS): ``access/adjudication.py``;
- the audit log's administration and the totals: ``access/audit_admin.py``;
- Art. 49 verification and certificates: ``access/verification.py``, ``certificates.py``.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpesel.access.accountable import Access, Accountable, Forbidden, Principal, console
from openpesel.access.audit import AuditLog
from openpesel.access.audit_admin import AuditAdministration, NoHeadYet
from openpesel.access.authentication import AUTH_CACHE_SECONDS, TOKEN_TTL, Authentication
from openpesel.access.brake import Brake
from openpesel.access.certificates import Certificates
from openpesel.access.officials import HIT_FIELDS, Officials, ReservationCheck
from openpesel.access.residents import Residents
from openpesel.access.retention import Retention
from openpesel.access.verification import Verifications
from openpesel.registry import events as ev
from openpesel.registry.service import Register

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openpesel.access.adjudication import AdjudicationDesk
    from openpesel.biometrics.identification import Candidate
    from openpesel.dedup.enrolment import FingerprintService, Scan
    from openpesel.dedup.service import Screened

__all__ = ["AUTH_CACHE_SECONDS", "HIT_FIELDS", "TOKEN_TTL", "Access", "Forbidden", "Gate",
           "NoHeadYet", "Principal", "ReservationCheck", "access_report", "console"]


class Gate:
    """Every use case of the register, for every audience, each one accountable."""

    def __init__(self, register: Register, audit: AuditLog,
                 token_ttl: datetime.timedelta = TOKEN_TTL,
                 image_dir: Path = Path("data") / "fingerprints") -> None:
        self.register = register
        self.store = register.store
        self.audit = audit
        self.clock = register.clock
        self.image_dir = image_dir
        self.accountable = Accountable(register.store, audit, register.clock)
        self._fingerprints: FingerprintService | None = None
        self._desk: AdjudicationDesk | None = None

        self.auth = Authentication(self.accountable, register, token_ttl)
        self.add_principal = self.auth.add_principal
        self.deactivate = self.auth.deactivate
        self.principals = self.auth.principals
        self.login = self.auth.login
        self.authenticate = self.auth.authenticate
        self.revoke = self.auth.revoke

        self.officials = Officials(self.accountable, register, lambda: self.fingerprints,
                                   lambda: self.desk.service)
        self.show = self.officials.show
        self.history = self.officials.history
        self.search = self.officials.search
        self.check_reservation = self.officials.check_reservation
        self.record = self.officials.record
        self.record_file = self.officials.record_file
        self.import_events = self.officials.import_events
        self.rebuild_projections = self.officials.rebuild_projections
        self.bulk = self.officials.bulk
        self.export = self.officials.export
        self.enrol_fingerprints = self.officials.enrol_fingerprints
        self.verify_fingerprint = self.officials.verify_fingerprint

        self.retention = Retention(self.accountable, register, lambda: self.fingerprints)
        self.erase_expired_biometrics = self.retention.erase_expired

        self.residents = Residents(self.accountable, register)
        self.my_record = self.residents.my_record
        self.my_children = self.residents.my_children
        self.my_history = self.residents.my_history
        self.reserve = self.residents.reserve
        self.withdraw = self.residents.withdraw
        self.my_audit = self.residents.my_audit

        # Art. 49 verification mode and certificates (issue 19; docs/verification.md)
        self.verifications = Verifications(self.accountable, register)
        self.verify = self.verifications.verify
        self.certificates = Certificates(self.accountable, register)
        self.issue_certificate = self.certificates.issue
        self.certificate = self.certificates.get
        self.revoke_certificate = self.certificates.revoke
        self.check_certificate = self.certificates.check

        self.audit_admin = AuditAdministration(self.accountable)
        self.statistics = self.audit_admin.statistics
        self.dashboard = self.audit_admin.dashboard
        self.audit_entries = self.audit_admin.audit_entries
        self.verify_audit = self.audit_admin.verify_audit
        self.sign_head = self.audit_admin.sign_head
        self.sign_pending = self.audit_admin.sign_pending
        self.latest_head = self.audit_admin.latest_head
        self.consistency_proof = self.audit_admin.consistency_proof

    def close(self) -> None:
        """Commit the audit entries still queued (``access/group_commit.py``) and end the
        committer's thread: the server calls this as it stops."""
        self.accountable.committer.close()

    @property
    def token_ttl(self) -> datetime.timedelta:
        """How long a token issued by ``login`` lasts."""
        return self.auth.token_ttl

    @property
    def brake(self) -> Brake:
        """The login brake (``access/brake.py``); a test or a deployment may set its own."""
        return self.auth.brake

    @brake.setter
    def brake(self, brake: Brake) -> None:
        self.auth.brake = brake

    # -- fingerprints, identification and adjudication: built on first use --

    @property
    def fingerprints(self) -> FingerprintService:
        """Built on first use: the fingerprint stack takes a while to import."""
        if self._fingerprints is None:
            from openpesel.biometrics import ImageStore
            from openpesel.dedup.enrolment import FingerprintService

            self._fingerprints = FingerprintService(self.register, ImageStore(self.image_dir))
        return self._fingerprints

    @property
    def desk(self) -> AdjudicationDesk:
        """The examiners' desk (identification, screened registrations, cases, ABIS)."""
        if self._desk is None:
            from openpesel.access.adjudication import AdjudicationDesk
            from openpesel.dedup.gallery import RegisterGallery
            from openpesel.dedup.service import DedupService

            service = DedupService(self.register, self.fingerprints, RegisterGallery())
            self._desk = AdjudicationDesk(self.accountable, service)
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
        return self.desk.register_with_fingerprints(access, kind, payload, document_ref, scans,
                                                    missing, effective_date, authority,
                                                    accept_low_quality)


def access_report(gate: Gate, access: Access, only: str | None = None) -> dict[str, Any]:
    """The signed report of who accessed (or, ``only="check"``, checked) my data."""
    return gate.residents.access_report(access, only)
