"""The supervisor's audit page: browse and filter the log, and verify it against its heads.

The filter (a person, a principal, an action, a span of days in Polish time)
is handed to the gate's audited ``audit_entries`` and evaluated by storage;
this module only reads the form and words the rows.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from openpesel.errors import InvalidNumber
from openpesel.number import validate
from openpesel.registry.dates import POLAND as WARSAW
from openpesel.storage.audit_query import AuditFilter
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, Viewer, the_gate
from openpesel.web.vocabulary import AUDIT_ACTIONS

router = APIRouter()
PAGE = 50
Field = Annotated[str, Query(max_length=100)]


def _day(text: str, errors: dict[str, str], name: str, v: Viewer) -> datetime.datetime | None:
    """The start of a day in Polish time, as the moment the log compares with."""
    if not text.strip():
        return None
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = v._("Give a date as YYYY-MM-DD.")
        return None
    return datetime.datetime.combine(day, datetime.time(), WARSAW).astimezone(datetime.UTC)


def read_filter(v: Viewer, pesel: str, principal: str, action: str, since: str,
                until: str) -> tuple[AuditFilter, dict[str, str]]:
    """The form's filter, and what in it could not be read (shown beside the fields)."""
    errors: dict[str, str] = {}
    number = None
    if pesel.strip():
        try:
            number = validate(pesel.strip())
        except InvalidNumber as exc:
            errors["pesel"] = v._(str(exc))
    if action and action not in AUDIT_ACTIONS:
        errors["action"] = v._("Pick one of the listed options.")
    start, end = _day(since, errors, "since", v), _day(until, errors, "until", v)
    end = end + datetime.timedelta(days=1) if end else None  # the last day counts whole
    return AuditFilter(number, principal.strip() or None, action or None, start, end), errors


def _page(request: Request, v: Viewer, offset: int, form: dict[str, str], status: int = 200,
          **extra: Any) -> Response:
    where, errors = read_filter(v, **form)
    size, rows = (0, []) if errors else the_gate(request).audit_entries(
        v.access(), offset, PAGE + 1, where)
    query = {k: val for k, val in form.items() if val}
    return page(request, "audit.html", v, status=422 if errors else status, size=size,
                entries=rows[:PAGE], more=len(rows) > PAGE, offset=offset, step=PAGE,
                form=form, errors=errors, filtered=bool(where), actions=AUDIT_ACTIONS,
                link=lambda at: "/audit?" + urlencode(query | {"offset": at}), **extra)


@router.get("/audit")
def audit(request: Request, v: Seen, offset: Annotated[int, Query(ge=0)] = 0,
          pesel: Field = "", principal: Field = "", action: Field = "", since: Field = "",
          until: Field = "") -> Response:
    form = {"pesel": pesel, "principal": principal, "action": action, "since": since,
            "until": until}
    return _page(request, v, offset, form, verified=None)


@router.post("/audit/verify", dependencies=[Csrf])
def verify(request: Request, v: Seen) -> Response:
    """Recompute the whole tree, check every head, then sign the head as it stands."""
    gate, access = the_gate(request), v.access()
    report = gate.verify_audit(access)
    head = gate.sign_head(access)
    form = dict.fromkeys(("pesel", "principal", "action", "since", "until"), "")
    return _page(request, v, 0, form, verified=report, head=head.to_json())
