"""A case of suspected duplicate identity: the fold of its entries in the case log.

Pure: no I/O, no clock. The case log holds two kinds of entries, ``opened``
(once, with the subject and the candidates the search found) and ``decided``
(one per examiner's decision). What a case is now follows from them, the
same way a person's record follows from their events.

Four eyes (issue 14, item 12): a "same" decision freezes a record for ever,
so it needs evidence, fingerprints compared on a common finger or a named
document, and where the candidate's score is below the match threshold one
examiner's "same" is only a first opinion: a second examiner must confirm it
before anything is written to the register, as in MOSIP's manual adjudication.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from openpesel.errors import CaseNotFound, InvalidEvent, RegisterError


class Decision(enum.StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    INCONCLUSIVE = "inconclusive"


class Status(enum.StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"  # an examiner found it inconclusive; a second examiner decides
    PENDING = "pending"  # a "same" below the threshold awaits a second examiner's confirmation
    SAME = "same"
    DIFFERENT = "different"


class Origin(enum.StrEnum):
    APPLICATION = "application"  # a held registration: no one has the subject's number yet
    REGISTERED = "registered"  # two people already in the register


UNDECIDED = frozenset({Status.OPEN, Status.ESCALATED, Status.PENDING})
MIN_EVIDENCE = 3
"""Characters of the document reference a "same" decision without fingerprints names."""


class CaseClosed(RegisterError):
    message = "This case has been decided; a decision is final."


@dataclass(frozen=True)
class Suspect:
    """A candidate the screening found, and why."""

    pesel: str
    person_id: uuid.UUID
    score: float
    rank: int
    fingers: tuple[tuple[int, float], ...]
    reasons: tuple[str, ...]  # "biometric", "demographic"

    def matches(self, threshold: float) -> bool:
        """Did the screening's fingerprints alone make this a match (fused or any finger)?"""
        return reaches(threshold, self.score, (score for _, score in self.fingers))

    def to_json(self) -> dict[str, Any]:
        return {"pesel": self.pesel, "person_id": str(self.person_id), "score": self.score,
                "rank": self.rank, "fingers": [{"finger": f, "score": sc}
                                               for f, sc in self.fingers],
                "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Suspect:
        return cls(data["pesel"], uuid.UUID(data["person_id"]), float(data["score"]),
                   int(data["rank"]), tuple((int(f["finger"]), float(f["score"]))
                                            for f in data["fingers"]),
                   tuple(data["reasons"]))


@dataclass(frozen=True)
class HeldMatch:
    """Another case whose fingers reached the threshold against this case's subject.

    A held application is in no gallery (it has no number yet), so screening
    also searches the undecided applications' fingers; a hit holds the new
    application too and links the two cases both ways (``link_held``).
    """

    case_id: uuid.UUID
    score: float
    fingers: tuple[tuple[int, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"case_id": str(self.case_id), "score": self.score,
                "fingers": [{"finger": f, "score": sc} for f, sc in self.fingers]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldMatch:
        return cls(uuid.UUID(data["case_id"]), float(data["score"]),
                   tuple((int(f["finger"]), float(f["score"])) for f in data["fingers"]))


@dataclass(frozen=True)
class Ruling:
    decision: Decision
    comment: str
    by: str
    at: datetime.datetime
    candidate: str | None
    outcome: dict[str, Any]
    evidence: str | None = None
    """The document a "same" decision rests on besides (or instead of) fingerprints."""
    first_opinion: bool = False
    """A "same" below the threshold, not yet confirmed: nothing was written for it."""


@dataclass(frozen=True)
class Case:
    case_id: uuid.UUID
    origin: Origin
    opened_at: datetime.datetime
    opened_by: str
    subject: dict[str, Any]
    """For an application: kind, payload, authority, document_ref, effective_date, fingers
    (finger, template, quality, image_sha256) and missing. For registered people: the
    subject's pesel and person_id."""
    suspects: tuple[Suspect, ...]
    rulings: tuple[Ruling, ...] = field(default=())
    held: tuple[HeldMatch, ...] = field(default=())
    """Other cases with the subject's fingers: found at screening, or found it since."""

    @property
    def status(self) -> Status:
        final = [r for r in self.rulings
                 if r.decision is not Decision.INCONCLUSIVE and not r.first_opinion]
        if final:
            return Status(final[-1].decision.value)
        if self.opinion() is not None:
            return Status.PENDING
        return Status.ESCALATED if self.rulings else Status.OPEN

    def opinion(self) -> Ruling | None:
        """The latest first opinion awaiting confirmation, if any."""
        return next((r for r in reversed(self.rulings) if r.first_opinion), None)

    def suspect(self, pesel: str) -> Suspect:
        for s in self.suspects:
            if s.pesel == pesel:
                return s
        named = ", ".join(s.pesel for s in self.suspects)
        raise InvalidEvent(f"{pesel} is not a candidate in this case; the candidates are "
                           f"{named}.")

    def summary(self) -> dict[str, Any]:
        return {"case_id": str(self.case_id), "status": self.status.value,
                "origin": self.origin.value, "opened_at": self.opened_at.isoformat(),
                "opened_by": self.opened_by, "subject": _who(self),
                "candidates": [s.pesel for s in self.suspects],
                "top_score": max((s.score for s in self.suspects), default=0.0)}

    def detail(self) -> dict[str, Any]:
        """The summary with the subject, the candidates' scores and every decision.

        Templates are left out: they are for the matcher, the examiner sees images
        (their hashes are here) and the evidence.
        """
        subject = dict(self.subject)
        if "enrolment" in subject:
            enrolment = subject["enrolment"]
            subject["enrolment"] = {
                "fingers": [{k: v for k, v in f.items() if k != "template"}
                            for f in enrolment["fingers"]],
                "missing": enrolment.get("missing", [])}
        return self.summary() | {
            "subject_detail": subject, "suspects": [x.to_json() for x in self.suspects],
            "held": [h.to_json() for h in self.held],
            "decisions": [{"decision": r.decision.value, "comment": r.comment, "by": r.by,
                           "at": r.at.isoformat(), "candidate": r.candidate,
                           "evidence": r.evidence, "first_opinion": r.first_opinion,
                           "outcome": r.outcome} for r in self.rulings]}


def _who(case: Case) -> str:
    if case.origin is Origin.REGISTERED:
        return str(case.subject["pesel"])
    p = case.subject["payload"]
    return f"{' '.join(p['first_names'])} {p['family_name']}, born {p['birth_date']}"


def opened_body(origin: Origin, subject: dict[str, Any], suspects: Sequence[Suspect],
                held: Sequence[HeldMatch] = ()) -> dict[str, Any]:
    return {"origin": origin.value, "subject": subject,
            "suspects": [s.to_json() for s in suspects], "held": [h.to_json() for h in held]}


def decided_body(decision: Decision, comment: str, candidate: str | None,
                 outcome: dict[str, Any], evidence: str | None = None,
                 first_opinion: bool = False) -> dict[str, Any]:
    return {"decision": decision.value, "comment": comment, "candidate": candidate,
            "outcome": outcome, "evidence": evidence, "first_opinion": first_opinion}


def fold(case_id: uuid.UUID, entries: Iterable[Any]) -> Case:
    """The case from its entries (``storage.cases.CaseEntry``-like), oldest first."""
    case: Case | None = None
    rulings: list[Ruling] = []
    for e in entries:
        if e.kind == "opened":
            b = e.body
            case = Case(case_id, Origin(b["origin"]), e.at, e.principal, b["subject"],
                        tuple(Suspect.from_json(x) for x in b["suspects"]),
                        held=tuple(HeldMatch.from_json(x) for x in b.get("held", ())))
        elif e.kind == "decided":
            b = e.body
            rulings.append(Ruling(Decision(b["decision"]), b["comment"], e.principal, e.at,
                                  b.get("candidate"), b.get("outcome", {}),
                                  b.get("evidence"), bool(b.get("first_opinion", False))))
    if case is None:
        raise CaseNotFound(f"No adjudication case {case_id}.")
    return replace(case, rulings=tuple(rulings))


def fold_all(entries: Iterable[Any]) -> list[Case]:
    by_case: dict[uuid.UUID, list[Any]] = {}
    for e in entries:
        by_case.setdefault(e.case_id, []).append(e)
    return [fold(case_id, group) for case_id, group in by_case.items()]


def identity(case: Case) -> tuple[str, uuid.UUID] | None:
    """The register's record a case's subject is now, if it has one.

    A registered subject is their record; a held application gets one when a
    final decision records it (released) or links it (same). Outcomes written
    before they named the person carry no ``person_id`` and give none.
    """
    if case.origin is Origin.REGISTERED:
        return str(case.subject["pesel"]), uuid.UUID(case.subject["person_id"])
    final = [r for r in case.rulings
             if r.decision is not Decision.INCONCLUSIVE and not r.first_opinion]
    if final and final[-1].outcome.get("pesel") and final[-1].outcome.get("person_id"):
        return str(final[-1].outcome["pesel"]), uuid.UUID(final[-1].outcome["person_id"])
    return None


def link_held(cases: Iterable[Case]) -> dict[uuid.UUID, Case]:
    """Every case by id, with its held matches made mutual and turned into suspects.

    A screening writes only the later case's half of a match; here the earlier
    case learns of it too. Once one side of a match is a record of the register
    (registered, released or linked), it becomes a candidate ("held-match") of
    the other, so an examiner can decide "same" on it as on any candidate.
    """
    by_id = {c.case_id: c for c in cases}
    held: dict[uuid.UUID, dict[uuid.UUID, HeldMatch]] = {k: {} for k in by_id}
    for case in by_id.values():
        for m in case.held:
            if m.case_id in by_id:
                held[case.case_id].setdefault(m.case_id, m)
                held[m.case_id].setdefault(case.case_id, replace(m, case_id=case.case_id))
    out = {}
    for key, case in by_id.items():
        suspects = list(case.suspects)
        for other, m in held[key].items():
            found = identity(by_id[other])
            if found is not None and found[0] not in {x.pesel for x in suspects}:
                suspects.append(Suspect(found[0], found[1], m.score, len(suspects) + 1,
                                        m.fingers, ("held-match",)))
        out[key] = replace(case, suspects=tuple(suspects), held=tuple(held[key].values()))
    return out


def queue(cases: Iterable[Case], include_decided: bool = False) -> list[Case]:
    """Undecided cases first, oldest first; decided ones after them when asked for."""
    chosen = [c for c in cases if include_decided or c.status in UNDECIDED]
    return sorted(chosen, key=lambda c: (c.status not in UNDECIDED, c.opened_at,
                                         str(c.case_id)))


def check_decision(case: Case, decision: Decision, comment: str, candidate: str | None,
                   by: str) -> str | None:
    """The candidate a decision is about (for "same"), or an error saying what is wrong.

    An escalated case needs a second examiner: whoever found it inconclusive may
    not also close it. A case awaiting confirmation of a first opinion may not be
    decided again by the examiner who gave it.
    """
    if case.status not in UNDECIDED:
        raise CaseClosed(f"Case {case.case_id} was decided {case.status.value!r}; a decision "
                         "is final (a mistaken one is fixed by a correction in the register).")
    if len(comment.strip()) < 3:
        raise InvalidEvent("An examiner's decision needs a comment (at least 3 characters).")
    if case.status is Status.PENDING and by in {r.by for r in case.rulings if r.first_opinion}:
        raise RegisterError("You gave this case's first opinion; a second examiner must "
                            "confirm or reject it.")
    if decision is Decision.INCONCLUSIVE:
        return None
    if case.status is Status.ESCALATED and by in {r.by for r in case.rulings}:
        raise RegisterError("This case was escalated as inconclusive; a second examiner "
                            "must decide it.")
    if decision is Decision.DIFFERENT:
        if candidate is not None:
            case.suspect(candidate)
        return None
    if candidate is None:
        if len(case.suspects) != 1:
            raise InvalidEvent("Name the candidate who is the same person (the case has "
                               f"{len(case.suspects)}).")
        return case.suspects[0].pesel
    return case.suspect(candidate).pesel


def reaches(threshold: float, score: float, finger_scores: Iterable[float]) -> bool:
    """The screening's rule: the fused score or any finger's score at or above the threshold."""
    return score >= threshold or any(f >= threshold for f in finger_scores)


def check_same(case: Case, chosen: str, threshold: float, compared: bool,
               evidence: str | None) -> bool:
    """Whether a "same" decision on ``chosen`` is final (True) or a first opinion (False).

    ``compared``: the subject and the candidate have a finger in common, so the
    examiner had prints to compare. Without that, a named document must carry
    the decision (a confirmation may rest on the first opinion's). Below
    ``threshold`` one examiner's "same" is a first opinion; a second
    examiner's "same" on the same candidate confirms it.
    """
    opinion = case.opinion()
    if opinion is not None and opinion.candidate == chosen:
        evidence = evidence or opinion.evidence
    if not compared and len((evidence or "").strip()) < MIN_EVIDENCE:
        raise InvalidEvent("A \"same\" decision needs evidence: the two have no finger in "
                           "common to compare, so name the document it rests on.")
    if case.suspect(chosen).matches(threshold):
        return True
    if opinion is None:
        return False
    if opinion.candidate != chosen:
        raise RegisterError(f"The first opinion found the subject to be {opinion.candidate}; "
                            "confirm that, or decide different or inconclusive.")
    return True  # check_decision has refused the opinion's own author
