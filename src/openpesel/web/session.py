"""The browser's side of a login: the token cookie, the CSRF token and the viewer.

The JWT the API hands out is kept in an HttpOnly, SameSite=Strict cookie, so
scripts cannot read it and other sites cannot send it. Every form carries a
CSRF token that must equal a second cookie (the double-submit pattern); a
form posted from anywhere else lacks it and is refused before it is read.

The CSRF token is also bound to the session: it is a nonce with an HMAC over
the nonce and the session cookie, keyed by the register's token key. A token
made before login, or for another browser's session, or planted in the
cookie by someone who cannot compute the HMAC, is refused; login and logout
hand out a fresh one (OWASP's "signed double-submit cookie").
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from openpesel.access.credentials import AuthError
from openpesel.access.gate import Access, Forbidden, Gate, Principal
from openpesel.access.policy import PERMISSIONS, Action, Role, decide
from openpesel.storage.store import TOKEN_KEY
from openpesel.web.i18n import Translate, translator
from openpesel.web.purposes import Purpose, effective, incomplete

SESSION_COOKIE = "op_session"
CSRF_COOKIE = "op_csrf"
PURPOSE_COOKIE = "op_purpose"
LANG_COOKIE = "op_lang"


class LoginRequired(Exception):
    """No usable session: the page sends the browser to the login form."""


class PurposeRequired(Exception):
    """The role must state why (and on which legal basis) before seeing records."""


class CsrfRefused(Forbidden):
    message = "This form was not sent from this site's page; reload the page and try again."


def set_cookie(response: Response, request: Request, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def _bind(request: Request, session: str, nonce: str) -> str:
    key = the_gate(request).store.secret(TOKEN_KEY)
    tag = hmac.new(key, b"\0".join([b"csrf", session.encode(), nonce.encode()]), "sha256")
    return f"{nonce}.{tag.hexdigest()}"


def _bound(request: Request, token: str) -> bool:
    """Was ``token`` made for this request's session (or for none, before login)?"""
    nonce = token.partition(".")[0]
    session = request.cookies.get(SESSION_COOKIE, "")
    return bool(nonce) and hmac.compare_digest(token, _bind(request, session, nonce))


def fresh_csrf(request: Request, session: str = "") -> str:
    """A new token bound to ``session`` (the new session cookie at login, "" at logout)."""
    token = _bind(request, session, secrets.token_urlsafe(24))
    request.state.new_csrf = token  # set as a cookie by the middleware
    return token


def csrf_token(request: Request) -> str:
    """The token for this browser's forms: its cookie's, if bound to this session."""
    made = getattr(request.state, "new_csrf", None)
    if made:
        return str(made)
    held = request.cookies.get(CSRF_COOKIE)
    if held and _bound(request, held):
        return held
    return fresh_csrf(request, request.cookies.get(SESSION_COOKIE, ""))


async def check_csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get("csrf")
    expected = request.cookies.get(CSRF_COOKIE)
    if not (isinstance(sent, str) and expected and hmac.compare_digest(sent, expected)
            and _bound(request, expected)):
        raise CsrfRefused()


def the_gate(request: Request) -> Gate:
    g: Gate = request.app.state.gate
    return g


@dataclass(frozen=True)
class Viewer:
    """Who is looking, in which language, and why."""

    principal: Principal
    lang: str
    stated: Purpose

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def _(self) -> Translate:
        return translator(self.lang)

    @property
    def purpose(self) -> Purpose:
        return effective(self.role, self.stated)

    def require(self, action: Action) -> None:
        """For pages that show nothing yet (an empty form): is the role allowed at all?"""
        if action not in PERMISSIONS[self.role]:
            raise Forbidden(decide(self.role, action, "page").reason)

    def access(self) -> Access:
        """The access every gate call of this page is decided and audited with."""
        p = self.purpose
        if incomplete(self.role, p):
            raise PurposeRequired()
        return Access(self.principal, p.purpose, p.legal_basis, p.case_ref)


def current_principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return the_gate(request).authenticate(token)
    except AuthError:
        return None


async def viewer(request: Request) -> Viewer:
    who = current_principal(request)
    if who is None:
        raise LoginRequired()
    return Viewer(who, request.state.lang, Purpose.from_cookie(request.cookies.get(
        PURPOSE_COOKIE)))


Seen = Annotated[Viewer, Depends(viewer)]
Csrf = Depends(check_csrf)
