"""Issue 14 #15: the web forms' CSRF token is bound to the session and rotated at login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from openpesel.access import credentials
from openpesel.access.audit import AuditLog
from openpesel.access.gate import Gate
from openpesel.bootstrap.asgi import create_app
from openpesel.registry.service import Register
from openpesel.storage import accounts
from openpesel.storage.store import Store

SECRET = "correct horse battery"


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path / 'register.sqlite'}")
    store.initialise()
    gate = Gate(Register(store), AuditLog(Ed25519PrivateKey.generate()))
    with store.write() as s:
        for name in ("anna", "ewa"):
            accounts.add(s, accounts.Account(name, "usc_registrar", name,
                                             credentials.hash_secret(SECRET), None, None, True),
                         gate.clock())
    yield TestClient(create_app(gate), follow_redirects=False)
    store.dispose()


def form_token(client: TestClient, url: str, cookies: str = "") -> str:
    headers = {"cookie": cookies} if cookies else {}
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(url, headers=headers).text)
    client.cookies.clear()  # each call names its cookies: two browsers share this client
    assert found
    return found.group(1)


def log_in(app: TestClient, name: str) -> tuple[str, str, str]:
    """Log in through the form; (pre-login token, session cookie, CSRF cookie after login)."""
    before = form_token(app, "/login")
    r = app.post("/login", data={"username": name, "secret": SECRET, "csrf": before,
                                 "next": "/"},
                 headers={"cookie": f"op_csrf={before}"})
    app.cookies.clear()
    assert r.status_code == 303, r.text
    return before, r.cookies["op_session"], r.cookies.get("op_csrf", before)


def purpose(app: TestClient, session: str, cookie: str, sent: str) -> int:
    r = app.post("/purpose", data={"purpose": "marriage 2026/1", "csrf": sent},
                 headers={"cookie": f"op_session={session}; op_csrf={cookie}"})
    app.cookies.clear()
    return int(r.status_code)


def test_login_hands_out_a_new_token_and_the_old_one_stops_working(app_client: TestClient
                                                                    ) -> None:
    before, session, after = log_in(app_client, "anna")
    assert after != before  # rotated at login
    assert purpose(app_client, session, after, after) == 303
    assert purpose(app_client, session, before, before) == 403  # made before login


def test_a_token_from_another_session_is_refused(app_client: TestClient) -> None:
    """Cookie tossing: an attacker who plants their own (valid) token pair gains nothing."""
    _, anna, anna_token = log_in(app_client, "anna")
    _, ewa, ewa_token = log_in(app_client, "ewa")
    assert purpose(app_client, ewa, ewa_token, ewa_token) == 303
    assert purpose(app_client, anna, ewa_token, ewa_token) == 403
    planted = "attacker.0000"
    assert purpose(app_client, anna, planted, planted) == 403
    # The pages of a session carry that session's token.
    assert form_token(app_client, "/purpose",
                      f"op_session={anna}; op_csrf={anna_token}") == anna_token
