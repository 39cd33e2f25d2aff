"""The gate's examiners' desk: 1:N identification, screened registrations, cases, ABIS.

Each operation goes through ``Gate._audited`` like every other access: it is
authorised by ``policy.decide`` and audited in the same transaction as its
work. An operation that discloses or changes other people's data (the
candidates of a search or a case) also leaves one audit entry per person, so
each of them finds it in their own access report.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from openpesel.access.gate import Access, Gate, _Outcome
from openpesel.access.policy import Action
from openpesel.registry import events as ev
from openpesel.storage.store import Session

if TYPE_CHECKING:
    from openpesel.biometrics.identification import Candidate
    from openpesel.biometrics.service import Scan
    from openpesel.dedup.cases import Case, Decision
    from openpesel.dedup.evidence import Evidence
    from openpesel.dedup.service import Decided, DedupService, Screened


def _audit_people(gate: Gate, s: Session, access: Access, action: str,
                  people: Iterable[uuid.UUID], fields: list[str]) -> None:
    for person in dict.fromkeys(people):
        seen = _Outcome(person_id=person, fields=list(fields))
        gate.audit.append(s, gate._entry(access, action, "allowed", seen))


def _people(s: Session, pesels: Iterable[str]) -> list[uuid.UUID]:
    out = []
    for pesel in pesels:
        held = s.holder(pesel)
        if held is not None:
            out.append(held[0])
    return out


class Desk:
    def __init__(self, gate: Gate, service: DedupService) -> None:
        from openpesel.abis.adapter import AbisAdapter

        self.gate = gate
        self.service = service
        self.adapter = AbisAdapter()

    def identify(self, access: Access, scans: Sequence[Scan], sex: str | None = None,
                 birth_years: tuple[int, int] | None = None, k: int = 10,
                 ) -> list[Candidate]:
        def work(s: Session, seen: _Outcome) -> list[Candidate]:
            seen.fields = [f"finger:{scan.finger}" for scan in scans]
            prepared = self.service.fingerprints.assess(scans)
            found = self.service.identify(s, prepared, k, sex, birth_years)
            _audit_people(self.gate, s, access, "identify-candidate",
                          _people(s, (c.key for c in found)), seen.fields)
            return found
        return self.gate._audited(access, Action.IDENTIFY, "identify", None, work, writes=False)

    def register(self, access: Access, kind: ev.Kind, payload: dict[str, Any],
                 document_ref: str, scans: Sequence[Scan], missing: Sequence[tuple[int, str]],
                 effective_date: Any = None, authority: ev.Authority | None = None,
                 accept_low_quality: bool = False) -> Screened:
        from openpesel.dedup.service import Application

        office = self.gate._office(access, kind, None, authority)
        app = Application(kind, payload, office, document_ref, effective_date)

        def work(s: Session, seen: _Outcome) -> Screened:
            seen.fields = [kind.value, *payload, *(f"finger:{x.finger}" for x in scans)]
            done = self.service.register_with_fingerprints(
                s, app, scans, missing, access.principal.name, accept_low_quality)
            if done.recorded is not None:
                seen.person_id, seen.pesel = done.recorded.person_id, done.recorded.pesel
            else:
                seen.fields.append(f"held:{done.case_id}")
                _audit_people(self.gate, s, access, "dedup-candidate",
                              (x.person_id for x in done.suspects), [f"case:{done.case_id}"])
            return done
        return self.gate._audited(access, Action.RECORD, "register", None, work)

    def queue(self, access: Access, include_decided: bool = False) -> list[Case]:
        def work(s: Session, seen: _Outcome) -> list[Case]:
            seen.fields = ["cases"]
            return self.service.queue(s, include_decided)
        return self.gate._audited(access, Action.ADJUDICATE, "cases", None, work,
                                  writes=False)

    def show(self, access: Access, case_id: uuid.UUID) -> Case:
        def work(s: Session, seen: _Outcome) -> Case:
            case = self.service.case(s, case_id)
            seen.fields = [f"case:{case_id}"]
            _audit_people(self.gate, s, access, "case-read",
                          (x.person_id for x in case.suspects), seen.fields)
            return case
        return self.gate._audited(access, Action.ADJUDICATE, "case-read", None, work,
                                  writes=False)

    def show_named(self, access: Access, case_id: uuid.UUID,
                   ) -> tuple[Case, dict[str, dict[str, Any]]]:
        """``show`` with each candidate's name and birth date, for the examiner's page:
        a bare PESEL says nothing to compare with the subject. The names are read in
        the same audited look, and each candidate's entry lists them."""
        def work(s: Session, seen: _Outcome) -> tuple[Case, dict[str, dict[str, Any]]]:
            case = self.service.case(s, case_id)
            seen.fields = [f"case:{case_id}", "first_names", "family_name", "birth_date"]
            _audit_people(self.gate, s, access, "case-read",
                          (x.person_id for x in case.suspects), seen.fields)
            found = s.records(x.person_id for x in case.suspects)
            named = {x.pesel: {k: found[x.person_id].get(k)
                               for k in ("first_names", "family_name", "birth_date")}
                     for x in case.suspects if x.person_id in found}
            return case, named
        return self.gate._audited(access, Action.ADJUDICATE, "case-read", None, work,
                                  writes=False)

    def evidence(self, access: Access, case_id: uuid.UUID, candidate: str,
                 finger: int | None = None, png: bool = True, caption: str = "",
                 ) -> tuple[Evidence, bytes | None]:
        """The data for one finger of one candidate and, if asked, its picture. The web
        page passes the picture's caption in the reader's language, as a template with
        ``{finger}``, ``{score}`` and ``{pairs}``."""
        from openpesel.dedup.evidence import render_png

        def work(s: Session, seen: _Outcome) -> tuple[Evidence, bytes | None]:
            seen.fields = [f"case:{case_id}", "evidence"]
            found, probe, theirs = self.service.evidence(s, case_id, candidate, finger)
            seen.fields.append(f"finger:{found.finger}")
            text = caption.format(finger=found.finger, score=f"{found.score:.0f}",
                                  pairs=len(found.pairs))
            return found, (render_png(found, probe, theirs, text) if png else None)
        return self.gate._audited(access, Action.ADJUDICATE, "case-evidence", candidate, work,
                                  writes=False)

    def decide(self, access: Access, case_id: uuid.UUID, decision: Decision, comment: str,
               candidate: str | None = None, evidence: str | None = None) -> Decided:
        """Decide a case. A "same" needs evidence (prints on both sides or a named
        document) and, below the match threshold, a second examiner: the first
        "same" is then recorded as an opinion only (``Status.PENDING``)."""
        from openpesel.dedup.cases import Status

        def work(s: Session, seen: _Outcome) -> Decided:
            seen.fields = [f"case:{case_id}", f"decision:{decision.value}"]
            done = self.service.decide(s, case_id, decision, comment, candidate,
                                       access.principal.name, evidence)
            if done.case.status is Status.PENDING:
                seen.fields.append("first-opinion")
            _audit_people(self.gate, s, access, "case-decided", done.people, seen.fields)
            return done
        return self.gate._audited(access, Action.ADJUDICATE, "case-decided", None, work)

    def open_case(self, access: Access, subject: str, candidate: str) -> Case:
        def work(s: Session, seen: _Outcome) -> Case:
            case = self.service.open_between(s, subject, candidate, access.principal.name)
            seen.fields = [f"case:{case.case_id}"]
            _audit_people(self.gate, s, access, "case-opened",
                          (x.person_id for x in case.suspects), seen.fields)
            return case
        return self.gate._audited(access, Action.ADJUDICATE, "case-opened", subject, work)

    def rebuild_gallery(self) -> None:
        self.service.gallery.rebuild()

    def abis(self, access: Access, message: object) -> dict[str, Any]:
        """One MOSIP ABIS message; functional failures are answers, as MOSIP expects."""
        def work(s: Session, seen: _Outcome) -> dict[str, Any]:
            answer = self.adapter.handle(s, message, self.gate.clock())
            seen.fields = [str(answer.get("id") or "abis"), f"return:{answer['returnValue']}"]
            if isinstance(message, dict) and isinstance(message.get("referenceId"), str):
                seen.fields.append(f"referenceId:{message['referenceId'][:64]}")
            return answer
        return self.gate._audited(access, Action.ABIS, "abis", None, work)
