"""The examiners' desk: 1:N identification, screened registrations, cases, ABIS.

The examiners' use cases; what a case is and how a decision changes the
register is ``dedup`` (``dedup/service.py``, ``dedup/cases.py``), its SQL
``storage/cases.py``, and the adapters only parse and present.

Each operation is an accountable transaction (``Accountable.run``) like every
other access: it is authorised by ``policy.decide`` and audited in the same
transaction as its work. An operation that discloses or changes other
people's data (the candidates of a search or a case) also leaves one audit
entry per person, so each of them finds it in their own access report.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from openpesel.access.accountable import Access, Accountable, Touched
from openpesel.access.policy import Action
from openpesel.registry import events as ev
from openpesel.storage.session import StoreTransaction

if TYPE_CHECKING:
    from openpesel.biometrics.identification import Candidate
    from openpesel.dedup.cases import Case, Decision
    from openpesel.dedup.enrolment import Scan
    from openpesel.dedup.evidence import Evidence
    from openpesel.dedup.service import Decided, DedupService, Screened


def _each(people: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, str | None]]:
    """Each person once, in order, for an entry of their own (named by id only)."""
    return [(person, None) for person in dict.fromkeys(people)]


def _people(s: StoreTransaction, pesels: Iterable[str]) -> list[uuid.UUID]:
    """The holders of these numbers, in their order, in one statement."""
    wanted = list(pesels)
    held = s.holders(wanted)
    return [held[p] for p in wanted if p in held]


class AdjudicationDesk:
    """The examiners' use cases (and the ABIS interface's) over one de-duplication service."""

    def __init__(self, accountable: Accountable, service: DedupService) -> None:
        from openpesel.abis.adapter import AbisAdapter

        self.tx = accountable
        self.service = service
        self.adapter = AbisAdapter()

    def identify(self, access: Access, scans: Sequence[Scan], sex: str | None = None,
                 birth_years: tuple[int, int] | None = None, k: int = 10,
                 ) -> list[Candidate]:
        def work(s: StoreTransaction, seen: Touched) -> list[Candidate]:
            seen.fields = [f"finger:{scan.finger}" for scan in scans]
            prepared = self.service.fingerprints.assess(scans)
            found = self.service.identify(s, prepared, k, sex, birth_years)
            self.tx.audit_people(s, access, "identify-candidate",
                                 _each(_people(s, (c.key for c in found))), seen.fields)
            return found
        return self.tx.run(access, Action.IDENTIFY, "identify", None, work, writes=False)

    def register_with_fingerprints(
            self, access: Access, kind: ev.Kind, payload: dict[str, Any], document_ref: str,
            scans: Sequence[Scan], missing: Sequence[tuple[int, str]],
            effective_date: Any = None, authority: ev.Authority | None = None,
            accept_low_quality: bool = False) -> Screened:
        """A registration screened for duplicates: recorded, or held as a case."""
        from openpesel.dedup.service import RegistrationRequest

        office = self.tx.office(access, kind, None, authority)
        app = RegistrationRequest(kind, payload, office, document_ref, effective_date)

        def work(s: StoreTransaction, seen: Touched) -> Screened:
            seen.fields = [kind.value, *payload, *(f"finger:{x.finger}" for x in scans)]
            done = self.service.register_with_fingerprints(
                s, app, scans, missing, access.principal.name, accept_low_quality)
            if done.recorded is not None:
                seen.person_id, seen.pesel = done.recorded.person_id, done.recorded.pesel
            else:
                seen.fields.append(f"held:{done.case_id}")
                self.tx.audit_people(s, access, "dedup-candidate",
                                     _each(x.person_id for x in done.suspects),
                                     [f"case:{done.case_id}"])
            return done
        return self.tx.run(access, Action.RECORD, "register", None, work)

    def queue(self, access: Access, include_decided: bool = False) -> list[Case]:
        def work(s: StoreTransaction, seen: Touched) -> list[Case]:
            seen.fields = ["cases"]
            return self.service.queue(s, include_decided)
        return self.tx.run(access, Action.ADJUDICATE, "cases", None, work, writes=False)

    def show(self, access: Access, case_id: uuid.UUID) -> Case:
        def work(s: StoreTransaction, seen: Touched) -> Case:
            case = self.service.case(s, case_id)
            seen.fields = [f"case:{case_id}"]
            self.tx.audit_people(s, access, "case-read",
                                 _each(x.person_id for x in case.suspects), seen.fields)
            return case
        return self.tx.run(access, Action.ADJUDICATE, "case-read", None, work,
                           writes=False)

    def show_named(self, access: Access, case_id: uuid.UUID,
                   ) -> tuple[Case, dict[str, dict[str, Any]]]:
        """``show`` with each candidate's name and birth date, for the examiner's page:
        a bare PESEL says nothing to compare with the subject. The names are read in
        the same audited look, and each candidate's entry lists them."""
        def work(s: StoreTransaction, seen: Touched) -> tuple[Case, dict[str, dict[str, Any]]]:
            case = self.service.case(s, case_id)
            seen.fields = [f"case:{case_id}", "first_names", "family_name", "birth_date"]
            self.tx.audit_people(s, access, "case-read",
                                 _each(x.person_id for x in case.suspects), seen.fields)
            found = s.records(x.person_id for x in case.suspects)
            named = {x.pesel: {k: found[x.person_id].get(k)
                               for k in ("first_names", "family_name", "birth_date")}
                     for x in case.suspects if x.person_id in found}
            return case, named
        return self.tx.run(access, Action.ADJUDICATE, "case-read", None, work,
                           writes=False)

    def evidence(self, access: Access, case_id: uuid.UUID, candidate: str,
                 finger: int | None = None, png: bool = True, caption: str = "",
                 ) -> tuple[Evidence, bytes | None]:
        """The data for one finger of one candidate and, if asked, its picture. The web
        page passes the picture's caption in the reader's language, as a template with
        ``{finger}``, ``{score}`` and ``{pairs}``."""
        from openpesel.dedup import case_evidence
        from openpesel.dedup.evidence import render_png

        def work(s: StoreTransaction, seen: Touched) -> tuple[Evidence, bytes | None]:
            seen.fields = [f"case:{case_id}", "evidence"]
            found, probe, theirs = case_evidence.evidence(self.service, s, case_id, candidate,
                                                          finger)
            seen.fields.append(f"finger:{found.finger}")
            text = caption.format(finger=found.finger, score=f"{found.score:.0f}",
                                  pairs=len(found.pairs))
            return found, (render_png(found, probe, theirs, text) if png else None)
        return self.tx.run(access, Action.ADJUDICATE, "case-evidence", candidate, work,
                           writes=False)

    def evidence_sheet(self, access: Access, case_id: uuid.UUID, candidate: str,
                       caption: str = "", heading: str = "") -> tuple[list[Evidence], bytes]:
        """Every finger both sides gave, for one candidate, in one picture under the fused
        score the search ranked it by: what fusion decided, finger by finger."""
        from openpesel.dedup import case_evidence
        from openpesel.dedup.evidence import render_sheet

        def work(s: StoreTransaction, seen: Touched) -> tuple[list[Evidence], bytes]:
            pages = case_evidence.evidence_pages(self.service, s, case_id, candidate)
            seen.fields = [f"case:{case_id}", "evidence",
                           *(f"finger:{e.finger}" for e, _, _ in pages)]
            found = [e for e, _, _ in pages]
            fused = found[0].candidate_score if found else 0.0
            title = (heading or "fused score {score} over {count} finger(s)").format(
                score=f"{fused:.0f}", count=len(found))
            return found, render_sheet(pages, title, caption)
        return self.tx.run(access, Action.ADJUDICATE, "case-evidence", candidate, work,
                           writes=False)

    def decide(self, access: Access, case_id: uuid.UUID, decision: Decision, comment: str,
               candidate: str | None = None, evidence: str | None = None) -> Decided:
        """Decide a case. A "same" needs evidence (prints on both sides or a named
        document) and, below the match threshold, a second examiner: the first
        "same" is then recorded as an opinion only (``Status.PENDING``)."""
        from openpesel.dedup.cases import Status

        def work(s: StoreTransaction, seen: Touched) -> Decided:
            seen.fields = [f"case:{case_id}", f"decision:{decision.value}"]
            done = self.service.decide(s, case_id, decision, comment, candidate,
                                       access.principal.name, evidence)
            if done.case.status is Status.PENDING:
                seen.fields.append("first-opinion")
            self.tx.audit_people(s, access, "case-decided", _each(done.people), seen.fields)
            return done
        return self.tx.run(access, Action.ADJUDICATE, "case-decided", None, work)

    def open_case(self, access: Access, subject: str, candidate: str) -> Case:
        def work(s: StoreTransaction, seen: Touched) -> Case:
            case = self.service.open_between(s, subject, candidate, access.principal.name)
            seen.fields = [f"case:{case.case_id}"]
            self.tx.audit_people(s, access, "case-opened",
                                 _each(x.person_id for x in case.suspects), seen.fields)
            return case
        return self.tx.run(access, Action.ADJUDICATE, "case-opened", subject, work)

    def rebuild_gallery(self) -> None:
        self.service.gallery.rebuild()

    def abis(self, access: Access, message: object) -> dict[str, Any]:
        """One MOSIP ABIS message; functional failures are answers, as MOSIP expects."""
        def work(s: StoreTransaction, seen: Touched) -> dict[str, Any]:
            answer = self.adapter.handle(s, message, self.tx.clock())
            seen.fields = [str(answer.get("id") or "abis"), f"return:{answer['returnValue']}"]
            if isinstance(message, dict) and isinstance(message.get("referenceId"), str):
                seen.fields.append(f"referenceId:{message['referenceId'][:64]}")
            return answer
        return self.tx.run(access, Action.ABIS, "abis", None, work)
