"""Logging in and out, the landing page, and stating the purpose of one's work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from openpesel.access.credentials import AuthError, LoginThrottled
from openpesel.access.policy import NEEDS_LEGAL_BASIS
from openpesel.web.purposes import Purpose
from openpesel.web.render import landing, page
from openpesel.web.session import (
    PURPOSE_COOKIE,
    SESSION_COOKIE,
    Csrf,
    Seen,
    current_principal,
    fresh_csrf,
    set_cookie,
    the_gate,
)

router = APIRouter()
Text = Annotated[str, Form(max_length=200)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never another site after login.

    >>> safe_next("/me"), safe_next("//evil.example"), safe_next("https://x"), safe_next(None)
    ('/me', '/', '/', '/')
    """
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


@router.get("/")
def home(request: Request) -> Response:
    if current_principal(request) is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/start", status_code=303)


@router.get("/start")
def start(v: Seen) -> Response:
    return RedirectResponse(landing(v), status_code=303)


@router.get("/nothing")
def nothing(request: Request, v: Seen) -> Response:
    """A role with no page (a machine client): say so instead of failing."""
    return page(request, "error.html", v, title="Nothing to show here",
                detail="This role works through the API (/api/v1); the web pages have "
                       "nothing for it.")


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", None, next=safe_next(next))


@router.post("/login", dependencies=[Csrf])
def login(request: Request, username: Annotated[str, Form(max_length=100)],
          secret: Annotated[str, Form(max_length=200)],
          totp: Annotated[str, Form(max_length=10)] = "",
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    client = request.client.host if request.client else "unknown"
    bucket = request.app.state.bucket
    if bucket is not None and not bucket.allow(f"login:{client}:{username}"):
        return page(request, "login.html", None, status=429, next=safe_next(next),
                    username=username, error="Too many attempts; wait a moment.")
    try:
        issued = the_gate(request).login(username, secret, totp.strip() or None, client)
    except LoginThrottled as exc:
        refused = page(request, "login.html", None, status=429, next=safe_next(next),
                       username=username, error="Too many attempts; wait a moment.")
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except AuthError:
        return page(request, "login.html", None, status=401, next=safe_next(next),
                    username=username,
                    error="The name, the secret or the one-time code is not right.")
    target = safe_next(next)
    response = RedirectResponse(target if target != "/" else "/start", status_code=303)
    ttl = int(the_gate(request).token_ttl.total_seconds())
    set_cookie(response, request, SESSION_COOKIE, issued.token, ttl)
    fresh_csrf(request, issued.token)  # rotated at login, bound to the new session
    response.delete_cookie(PURPOSE_COOKIE, path="/")  # a purpose is never inherited
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, v: Seen) -> Response:
    the_gate(request).revoke(v.principal)
    response = RedirectResponse("/login", status_code=303)
    fresh_csrf(request)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(PURPOSE_COOKIE, path="/")
    return response


@router.get("/purpose")
def purpose_form(request: Request, v: Seen, next: str | None = None) -> Response:
    return page(request, "purpose.html", v, next=safe_next(next, "/start"),
                law=v.role in NEEDS_LEGAL_BASIS, current=v.purpose)


@router.post("/purpose", dependencies=[Csrf])
def purpose(request: Request, v: Seen, purpose: Text = "", legal_basis: Text = "",
            case_ref: Annotated[str, Form(max_length=100)] = "",
            next: Annotated[str, Form(max_length=500)] = "/start") -> Response:
    stated = Purpose(purpose.strip() or None, legal_basis.strip() or None,
                     case_ref.strip() or None)
    law = v.role in NEEDS_LEGAL_BASIS
    if law and not (stated.purpose and stated.legal_basis and stated.case_ref):
        return page(request, "purpose.html", v, status=422, next=safe_next(next, "/start"),
                    law=law, current=stated,
                    error="State the purpose, the legal basis and the case reference.")
    response = RedirectResponse(safe_next(next, "/start"), status_code=303)
    set_cookie(response, request, PURPOSE_COOKIE, stated.to_cookie())
    return response


__all__ = ["router"]
