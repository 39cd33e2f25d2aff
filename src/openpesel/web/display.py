"""How values from the register read on a page: moments in Polish time beside UTC,
purposes and audit actions in words, and people's own data marked as such.

The register keeps every moment in UTC and the log keeps purposes and actions
as the code wrote them; a clerk in Warsaw reads local time and words. The
``zoneinfo`` database (Debian's tzdata) is enough for one fixed zone and a
fixed, sortable format, so Babel is not needed for it.

Whatever a person typed (a name, a document reference, a stated purpose) is
wrapped in ``translate="no"``: it is data, not the interface, and the Polish
walk test (``tests/web/test_polish.py``) skips it while holding every other
word on a Polish page to the catalogue.
"""

from __future__ import annotations

import datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from openpesel.registry.dates import POLAND as WARSAW
from openpesel.web.i18n import Translate, polish


def moment(value: datetime.datetime | str) -> datetime.datetime:
    """A stored moment as an aware UTC datetime; a naive one was written in UTC.

    >>> moment("2026-07-01T10:00:00+00:00").hour, moment(datetime.datetime(2026, 1, 1)).tzinfo
    (10, datetime.timezone.utc)
    """
    at = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    return at.replace(tzinfo=datetime.UTC) if at.tzinfo is None else at.astimezone(datetime.UTC)


def when(value: datetime.datetime | str | None, _: Translate, seconds: bool = False) -> Markup:
    """Polish time first, UTC beside it (the log's own clock), in a ``<time>`` element.

    >>> str(when("2026-07-01T22:30:00Z", lambda s: s))  # doctest: +NORMALIZE_WHITESPACE
    '<time datetime="2026-07-01T22:30:00Z">2026-07-02 00:30</time> Polish time
     <span class="muted">(2026-07-01 22:30 UTC)</span>'
    """
    if value is None or value == "":
        return Markup("")
    utc = moment(value)
    local = utc.astimezone(WARSAW)
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return Markup(
        '<time datetime="{iso}">{local}</time> {zone} <span class="muted">({utc} UTC)</span>'
    ).format(iso=utc.strftime("%Y-%m-%dT%H:%M:%SZ"), local=local.strftime(shape),
             zone=_("Polish time"), utc=utc.strftime(shape))


def local_input(value: str) -> datetime.datetime:
    """A ``datetime-local`` field's value, typed in Polish time, as UTC.

    >>> local_input("2026-01-15T12:00").isoformat()
    '2026-01-15T11:00:00+00:00'
    """
    typed = datetime.datetime.fromisoformat(value)
    return typed.replace(tzinfo=WARSAW).astimezone(datetime.UTC)


def data(value: Any) -> Markup:
    """Someone's own words or a code: shown as written, marked as not interface text."""
    if value is None or value == "":
        return Markup("")
    return Markup('<span translate="no">{}</span>').format(value)


def known(key: str) -> bool:
    return key in polish()


def purpose_of(value: str | None, _: Translate) -> Markup:
    """A purpose in words: a role's default (or an action the gate wrote for one) is
    translated, one a person stated is their data.

    >>> str(purpose_of("statistics", lambda s: s.upper())), str(purpose_of("x", str))
    ('PURPOSE|STATISTICS', '<span translate="no">x</span>')
    """
    if not value:
        return Markup("")
    for key in (f"purpose|{value}", f"action|{value}"):
        if known(key):
            return escape(_(key))
    return data(value)


@pass_context
def _when(context: Context, value: datetime.datetime | str | None,
          seconds: bool = False) -> Markup:
    return when(value, context["_"], seconds)


@pass_context
def _purpose(context: Context, value: str | None) -> Markup:
    return purpose_of(value, context["_"])


CAUSE_REASONS = {
    "died": "Reserved by law on the holder's death; it cannot be withdrawn.",
    "id_document_reported_lost": "Reserved by law because an ID card was reported lost or "
                                 "stolen.",
}
"""Why the law reserved a number (``registry/automatic.py``), in words: the timeline and the
resident's portal show this, never the cause's code."""


def cause_reason(cause: str | None, _: Translate) -> str:
    """The reason of an automatic reservation in the page's language ('' if reserved on
    request)."""
    return _(CAUSE_REASONS[cause]) if cause in CAUSE_REASONS else ""


@pass_context
def _cause(context: Context, value: str | None) -> str:
    return cause_reason(value, context["_"])


FILTERS = {"when": _when, "purpose": _purpose, "data": data, "cause": _cause}
"""Registered on the page templates in ``render.py``."""
