"""The examiner's screens: the queue of suspected duplicates, the evidence, the decision.

Built on the gate's desk (``Gate.desk``): every look at a case and at its
evidence is authorised and audited there, for the examiner and for each
person in the case. The page shows the subject beside each candidate, the
back end's picture of both prints with their minutiae and the pairs the
matcher made, and a vector drawing of the same minutiae the examiner can
zoom into; the decision is a form with a comment.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from openpesel.errors import OpenPeselError
from openpesel.web.i18n import Translate
from openpesel.web.minutiae import evidence_svg
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, Viewer, the_gate

if TYPE_CHECKING:
    from openpesel.dedup.cases import Case

router = APIRouter()
DECISIONS = ("same", "different", "inconclusive")


@router.get("/examiner")
def queue(request: Request, v: Seen,
          all_cases: Annotated[bool, Query(alias="all")] = False) -> Response:
    cases = the_gate(request).desk.queue(v.access(), all_cases)
    return page(request, "examiner_queue.html", v,
                cases=[c.summary() | {"subject": subject(c, v._)} for c in cases],
                all_cases=all_cases)


def subject(case: Case, _: Translate) -> str:
    """Who the case is about, in the page's language: a registered person's PESEL, or
    the applicant's name and birth date."""
    if "payload" not in case.subject:
        return str(case.subject.get("pesel", ""))
    p = case.subject["payload"]
    return f"{' '.join(p['first_names'])} {p['family_name']}, {_('born')} {p['birth_date']}"


def caption(_: Translate) -> str:
    """The evidence picture's caption; plain ASCII, as the picture's font may lack
    Polish letters."""
    return _("finger {finger}: score {score}, {pairs} paired minutiae")


def _case_page(request: Request, v: Viewer, case_id: uuid.UUID, pesel: str | None,
               finger: int | None, status: int = 200, errors: dict[str, str] | None = None,
               values: dict[str, str] | None = None, decided: str | None = None) -> Response:
    """The case; ``decided`` (the decision form's redirect) is confirmed by a banner
    only if it is the case's latest decision."""
    desk = the_gate(request).desk
    access = v.access()
    case, named = desk.show_named(access, case_id)
    detail = case.detail() | {"subject": subject(case, v._)}
    last = case.rulings[-1].decision.value if case.rulings else None
    chosen = pesel or (case.suspects[0].pesel if case.suspects else None)
    evidence: dict[str, Any] | None = None
    drawing, problem = "", None
    if chosen is not None:
        try:
            found, _ = desk.evidence(access, case_id, chosen, finger, png=False)
        except OpenPeselError as exc:
            problem = v._(str(exc))
        else:
            evidence = found.to_json()
            drawing = evidence_svg(found, v._("Probe"), v._("Candidate"),
                                   lambda kind: v._(f"minutia|{kind}"))
    return page(request, "examiner_case.html", v, status=status, case=detail, chosen=chosen,
                evidence=evidence, drawing=drawing, problem=problem, errors=errors or {},
                values=values or {}, decisions=DECISIONS, named=named,
                decided=decided if decided and decided == last else None)


@router.get("/examiner/cases/{case_id}")
def case(request: Request, v: Seen, case_id: uuid.UUID, candidate: str | None = None,
         finger: Annotated[int | None, Query(ge=1, le=10)] = None,
         decided: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return _case_page(request, v, case_id, candidate, finger, decided=decided)


@router.get("/examiner/cases/{case_id}/evidence/{pesel}.png")
def evidence_png(request: Request, v: Seen, case_id: uuid.UUID, pesel: str,
                 finger: Annotated[int | None, Query(ge=1, le=10)] = None,
                 all_fingers: bool = False) -> Response:
    desk = the_gate(request).desk
    if all_fingers:
        _, sheet = desk.evidence_sheet(v.access(), case_id, pesel, caption(v._),
                                       v._("fused score {score} over {count} finger(s)"))
        return Response(sheet, media_type="image/png")
    _, png = desk.evidence(v.access(), case_id, pesel, finger, png=True, caption=caption(v._))
    return Response(png or b"", media_type="image/png")


@router.post("/examiner/cases/{case_id}/decision", dependencies=[Csrf])
def decide(request: Request, v: Seen, case_id: uuid.UUID,
           decision: Annotated[str, Form(max_length=20)] = "",
           comment: Annotated[str, Form(max_length=1000)] = "",
           candidate: Annotated[str, Form(max_length=20)] = "",
           evidence: Annotated[str, Form(max_length=200)] = "") -> Response:
    from openpesel.dedup.cases import Decision

    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = v._("Pick one of the listed options.")
    if len(comment.strip()) < 3:
        errors["comment"] = v._("Say in a few words what the decision rests on.")
    if decision == "same" and not candidate:
        errors["candidate"] = v._("Say which candidate the subject is.")
    values = {"decision": decision, "comment": comment, "candidate": candidate,
              "evidence": evidence}
    if not errors:
        try:
            the_gate(request).desk.decide(v.access(), case_id, Decision(decision),
                                          comment.strip(), candidate or None,
                                          evidence.strip() or None)
        except OpenPeselError as exc:
            errors["form"] = v._(str(exc))
        else:
            return RedirectResponse(f"/examiner/cases/{case_id}?decided={decision}#done",
                                    status_code=303)
    return _case_page(request, v, case_id, candidate or None, None, 422, errors, values)
