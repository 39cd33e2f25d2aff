"""Officials' pages: the dashboard, person search, the person page, reservation checks."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

from openpesel.access.policy import PERMISSIONS, Action, may_record
from openpesel.errors import InvalidNumber
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.registry.search import Query as SearchQuery
from openpesel.storage.aggregates import Dashboard
from openpesel.web import charts, forms
from openpesel.web.display import cause_reason, data
from openpesel.web.forms import NOT_BY_FORM
from openpesel.web.i18n import Translate
from openpesel.web.offers import possible
from openpesel.web.places import voivodeship
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, Viewer, the_gate

router = APIRouter()


def chart_set(d: Dashboard, v: Viewer) -> dict[str, str]:
    _ = v._
    bands = [(f"{low}+" if low >= 100 else f"{low}\u2013{low + 4}", m, w)
             for low, m, w in d.age_bands]
    names = {"birth": _("Births"), "died": _("Deaths"), "married": _("Marriages")}
    return {
        "regions": charts.bars([(voivodeship(code) if code != "none" else _("no address"), n)
                                for code, n in d.by_voivodeship.items()],
                               _("Living residents by voivodeship")),
        "pyramid": charts.pyramid(bands, _("Age pyramid"), _("Men"), _("Women")),
        "monthly": charts.lines(d.months, [(names[k], d.monthly[k]) for k in names],
                                _("Births, deaths and marriages per month")),
    }


@router.get("/dashboard")
def dashboard(request: Request, v: Seen) -> Response:
    d = the_gate(request).dashboard(v.access())
    return page(request, "dashboard.html", v, d=d, charts=chart_set(d, v),
                voivodeship=voivodeship)


@router.get("/search")
def search(request: Request, v: Seen,
           q: Annotated[str, Query(max_length=200)] = "",
           year: Annotated[str, Query(pattern=r"^(1[89]|2[012])?\d{0,2}$")] = "",
           sex: Annotated[str, Query(pattern="^[FM]?$")] = "") -> Response:
    v.require(Action.SEARCH)
    access = v.access()  # the law states its basis before the first search
    hits = None
    born = int(year) if len(year) == 4 else None
    if q.strip():
        hits = the_gate(request).search(access, SearchQuery(q, year=born, sex=sex or None,
                                                            limit=50))
    return page(request, "search.html", v, q=q, year=year, sex=sex, hits=hits)


def recordable(v: Viewer) -> list[ev.Kind]:
    """The kinds this role's office may record through a form (Art. 10)."""
    if Action.RECORD not in PERMISSIONS[v.role]:
        return []
    return [k for k in ev.Kind if k not in NOT_BY_FORM and k not in ev.CREATING_KINDS
            and (may_record(v.role, k) or v.role.value == "operator")]


def _shown(e: ev.Event, _: Translate) -> dict[str, Any]:
    """An event's payload for the timeline, in words: a value from a list of choices
    ("permanent", "F") is translated, a typed one is the person's data; a
    fingerprint template is no reading matter."""
    payload = {k: v for k, v in e.payload_json().items() if not k.endswith("_id")}  # internal
    if e.kind is ev.Kind.FINGERPRINTS_ENROLLED:
        payload["fingers"] = [f"{f['finger']} (Q{f['quality']})"
                              for f in payload.get("fingers", [])]
    choices = {f.name: f.choices for f in forms.fields(e.kind)}
    shown = {k: _value(val, choices.get(k, ()), _) for k, val in payload.items()
             if k not in ("cause", "cause_seq", "reported_by")}
    if "cause" in payload:  # an automatic reservation: its reason in words, and its cause
        shown["cause"] = f"{cause_reason(payload['cause'], _)} (#{payload.get('cause_seq')})"
    if "reported_by" in payload:
        shown["reported_by"] = _(f"reported by|{payload['reported_by']}")
    return shown


def _value(val: Any, choices: tuple[str, ...], _: Translate) -> Any:
    if isinstance(val, bool):
        return _("yes") if val else _("no")
    if isinstance(val, str) and val in choices:
        return _(val)
    if isinstance(val, dict):
        return data(json.dumps(val, ensure_ascii=False))
    if isinstance(val, list):
        return data(", ".join(map(str, val)))
    return data(val)


@router.get("/persons/{pesel}")
def person(request: Request, v: Seen, pesel: str, as_of: datetime.date | None = None,
           recorded: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The record and its timeline; ``recorded`` names the events just written (the
    form's redirect), confirmed only if they are on this person's timeline."""
    gate, access = the_gate(request), v.access()
    number = validate(pesel)
    record = gate.show(access, number, as_of)
    history = gate.history(access, number)
    today = gate.clock().date()
    may_enrol = ((may_record(v.role, ev.Kind.FINGERPRINTS_ENROLLED) or v.role.value == "operator")
                 and possible(ev.Kind.FINGERPRINTS_ENROLLED, record, today))
    done = [e for e in history if str(e.seq) in recorded.split(",")] if recorded else []
    return page(request, "person.html", v, r=record, pesel=number, as_of=as_of,
                events=[(e, _shown(e, v._)) for e in history],
                kinds=[k for k in recordable(v) if possible(k, record, today)],
                may_enrol=may_enrol, done=done)


@router.get("/check")
def check_form(request: Request, v: Seen) -> Response:
    v.require(Action.CHECK_RESERVATION)
    return page(request, "check.html", v, result=None)


@router.post("/check", dependencies=[Csrf])
def check(request: Request, v: Seen, pesel: Annotated[str, Form(max_length=20)]) -> Response:
    try:
        result = the_gate(request).check_reservation(v.access(), pesel.strip())
    except InvalidNumber as exc:
        return page(request, "check.html", v, status=422, result=None, pesel=pesel,
                    error=v._(str(exc)))
    return page(request, "check.html", v, result=result, pesel=pesel)
