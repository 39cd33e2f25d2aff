"""A case of suspected duplicate identity: the fold of its entries in the case log.

Pure: no I/O, no clock. The case log holds two kinds of entries, ``opened``
(once, with the subject and the candidates the search found) and ``decided``
(one per examiner's decision). What a case is now follows from them, the
same way a person's record follows from their events.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpesel.errors import InvalidEvent, PersonNotFound, RegisterError


class Decision(enum.StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    INCONCLUSIVE = "inconclusive"


class Status(enum.StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"  # an examiner found it inconclusive; a second examiner decides
    SAME = "same"
    DIFFERENT = "different"


class Origin(enum.StrEnum):
    APPLICATION = "application"  # a held registration: no one has the subject's number yet
    REGISTERED = "registered"  # two people already in the register


UNDECIDED = frozenset({Status.OPEN, Status.ESCALATED})


class CaseNotFound(PersonNotFound):
    message = "No adjudication case has this id."


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
class Ruling:
    decision: Decision
    comment: str
    by: str
    at: datetime.datetime
    candidate: str | None
    outcome: dict[str, Any]


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

    @property
    def status(self) -> Status:
        final = [r for r in self.rulings if r.decision is not Decision.INCONCLUSIVE]
        if final:
            return Status(final[-1].decision.value)
        return Status.ESCALATED if self.rulings else Status.OPEN

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
            "decisions": [{"decision": r.decision.value, "comment": r.comment, "by": r.by,
                           "at": r.at.isoformat(), "candidate": r.candidate,
                           "outcome": r.outcome} for r in self.rulings]}


def _who(case: Case) -> str:
    if case.origin is Origin.REGISTERED:
        return str(case.subject["pesel"])
    p = case.subject["payload"]
    return f"{' '.join(p['first_names'])} {p['family_name']}, born {p['birth_date']}"


def opened_body(origin: Origin, subject: dict[str, Any], suspects: Sequence[Suspect]
                ) -> dict[str, Any]:
    return {"origin": origin.value, "subject": subject,
            "suspects": [s.to_json() for s in suspects]}


def decided_body(decision: Decision, comment: str, candidate: str | None,
                 outcome: dict[str, Any]) -> dict[str, Any]:
    return {"decision": decision.value, "comment": comment, "candidate": candidate,
            "outcome": outcome}


def fold(case_id: uuid.UUID, entries: Iterable[Any]) -> Case:
    """The case from its entries (``storage.cases.CaseEntry``-like), oldest first."""
    case: Case | None = None
    rulings: list[Ruling] = []
    for e in entries:
        if e.kind == "opened":
            b = e.body
            case = Case(case_id, Origin(b["origin"]), e.at, e.principal, b["subject"],
                        tuple(Suspect.from_json(x) for x in b["suspects"]))
        elif e.kind == "decided":
            b = e.body
            rulings.append(Ruling(Decision(b["decision"]), b["comment"], e.principal, e.at,
                                  b.get("candidate"), b.get("outcome", {})))
    if case is None:
        raise CaseNotFound(f"No adjudication case {case_id}.")
    return Case(case.case_id, case.origin, case.opened_at, case.opened_by, case.subject,
                case.suspects, tuple(rulings))


def fold_all(entries: Iterable[Any]) -> list[Case]:
    by_case: dict[uuid.UUID, list[Any]] = {}
    for e in entries:
        by_case.setdefault(e.case_id, []).append(e)
    return [fold(case_id, group) for case_id, group in by_case.items()]


def queue(cases: Iterable[Case], include_decided: bool = False) -> list[Case]:
    """Undecided cases first, oldest first; decided ones after them when asked for."""
    chosen = [c for c in cases if include_decided or c.status in UNDECIDED]
    return sorted(chosen, key=lambda c: (c.status not in UNDECIDED, c.opened_at,
                                         str(c.case_id)))


def check_decision(case: Case, decision: Decision, comment: str, candidate: str | None,
                   by: str) -> str | None:
    """The candidate a decision is about (for "same"), or an error saying what is wrong.

    An escalated case needs a second examiner: whoever found it inconclusive may
    not also close it.
    """
    if case.status not in UNDECIDED:
        raise CaseClosed(f"Case {case.case_id} was decided {case.status.value!r}; a decision "
                         "is final (a mistaken one is fixed by a correction in the register).")
    if len(comment.strip()) < 3:
        raise InvalidEvent("An examiner's decision needs a comment (at least 3 characters).")
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
