"""Pages from templates: the language, the menu and the CSRF token come with every page."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from openpesel.access.policy import PERMISSIONS, Action
from openpesel.web.display import FILTERS
from openpesel.web.i18n import LANGUAGES, translator
from openpesel.web.session import Viewer, csrf_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
TEMPLATES.env.filters.update(FILTERS)

MENU: list[tuple[str, str, Action]] = [
    ("/dashboard", "Dashboard", Action.READ_AGGREGATES),
    ("/search", "Search", Action.SEARCH),
    ("/events/new", "Record an event", Action.RECORD),
    ("/check", "Reservation check", Action.CHECK_RESERVATION),
    ("/verification", "Data verification", Action.VERIFY),
    ("/me", "My data", Action.READ_SELF),
    ("/audit", "Audit log", Action.AUDIT),
    ("/examiner", "Adjudication", Action.ADJUDICATE),
]
"""The menu: each entry is shown only to roles the policy allows its action."""


def menu(v: Viewer) -> list[tuple[str, str]]:
    allowed = PERMISSIONS[v.role]
    return [(path, label) for path, label, action in MENU if action in allowed]


def landing(v: Viewer) -> str:
    items = menu(v)
    return items[0][0] if items else "/nothing"


def lang_url(request: Request, lang: str) -> str:
    query = dict(request.query_params) | {"lang": lang}
    return f"{request.url.path}?{urlencode(query)}"


def page(request: Request, template: str, v: Viewer | None, status: int = 200,
         **context: Any) -> HTMLResponse:
    lang: str = request.state.lang
    base = {
        "v": v, "_": translator(lang), "lang": lang, "csrf": csrf_token(request),
        "menu": menu(v) if v else [], "path": request.url.path,
        "languages": [(code, lang_url(request, code)) for code in LANGUAGES],
        "today": datetime.date.today().isoformat(),
    }
    return TEMPLATES.TemplateResponse(request, template, base | context, status_code=status)
