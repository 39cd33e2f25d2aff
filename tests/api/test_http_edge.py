"""The HTTP edge (issue 14, items 7, 8, 14, 16, 17 and 18; issue 13, item 9).

What a hostile or careless caller can do before the register's rules are even
asked: send an endless chunked body, nest JSON a hundred thousand deep, state
"." as a purpose, page ten million results deep, spell a PESEL in full-width
digits, or read a response a proxy then keeps. Each test here failed on the
code at adf9a64.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from openpesel.access.policy import Action, Role, decide
from openpesel.api.paging import MAX_SEARCH_DEPTH
from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.cli.app import app as cli
from openpesel.config import Settings
from openpesel.errors import InvalidFormat
from openpesel.http.edge import MAX_BODY
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.web import forms
from openpesel.web.purposes import Purpose
from tests.conftest import Clock
from tests.support.live import Live, live_server
from tests.support.office import born

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
LAW = {"X-Legal-Basis": "art. 14 ustawy o Policji", "X-Case-Ref": "RSD-123/26"}
FULL_WIDTH = {ord("0") + d: 0xFF10 + d for d in range(10)}  # "4" -> FULLWIDTH DIGIT FOUR
PROBLEM = "application/problem+json"


@pytest.fixture
def person(register: Register, clock: Clock) -> str:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    return born(register, "Ewa", "Nowak", "F", "1980-01-01").pesel


@pytest.fixture
def live(register: Register, person: str, tmp_path: Path) -> Iterator[Live]:
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        yield server


# -- 14#7: the body limit holds for chunked bodies -------------------------------------

def test_a_chunked_body_is_cut_at_the_limit_not_read_in_full(register: Register,
                                                             tmp_path: Path) -> None:
    """The app pulls at most the limit (and one chunk) from the socket, then answers 413."""
    app = create_app(build_gate(Settings(data_dir=tmp_path), register))
    chunk, total = 64 << 10, 64 << 20
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"username": "'
        while sent < total:
            sent += chunk
            yield b"a" * chunk

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as c:
            return await c.post("/api/v1/auth/token", content=body(),
                                headers={"content-type": "application/json"})

    r = asyncio.run(post())
    assert r.status_code == 413, r.text[:200]
    assert r.headers["content-type"] == PROBLEM and r.json()["type"] == "/problems/too-large"
    assert sent <= MAX_BODY + 2 * chunk


@SQLITE_ONLY
def test_a_chunked_upload_to_a_live_server_gets_413(live: Live) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(128):  # 8 MiB, chunked: no Content-Length to refuse it by
            yield b"a" * (64 << 10)

    with live.client() as c:
        try:
            r = c.post("/auth/token", content=body(), headers={"content-type": "application/json"})
        except httpx.TransportError:  # the server may close before the client is done writing
            pytest.fail("the server hung up without a 413")
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM


# -- 14#8: nesting is a refusal, not a 500 ---------------------------------------------

@SQLITE_ONLY
@pytest.mark.parametrize("depth", [100_000, 3_000])
def test_deeply_nested_json_is_refused_cleanly(live: Live, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    with live.as_("abis_client", purpose=None) as c:
        r = c.post("/abis", content=nested, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text[:200]
        assert r.json()["returnValue"] == "2" and r.json()["failureReason"] == "4"
    with live.as_("admin", purpose="restore of the register") as c:
        r = c.post("/import", content=nested, headers={"content-type": "text/plain"})
        assert 400 <= r.status_code < 500, r.text[:200]
        assert r.headers["content-type"] == PROBLEM
    with live.as_("usc_registrar", purpose="civil-status registration") as c:
        r = c.post("/events", content=nested, headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM


def test_nested_json_in_a_web_form_or_the_purpose_cookie_is_unreadable_not_a_500() -> None:
    nested = "[" * 5_000 + "]" * 5_000  # fits a 20 kB form field, and a 4 kB cookie at 2,000
    assert Purpose.from_cookie(nested[:2_000] + nested[-2_000:]) == Purpose()
    assert forms.payload(ev.Kind.CORRECTED, {"replacement": nested})[1] == {
        "replacement": "Give the corrected fields as JSON."}


# -- 14#14: a purpose and a legal basis must say something -----------------------------

@pytest.mark.parametrize(("purpose", "basis", "words"), [
    (".", None, "purpose"),
    ("  a  ", None, "purpose"),
    ("12345", None, "purpose"),
    ("investigation", "-", "legal basis"),
    ("investigation", "art", "legal basis"),
])
def test_a_purpose_or_legal_basis_without_words_is_refused(purpose: str, basis: str | None,
                                                          words: str) -> None:
    decision = decide(Role.POLICE, Action.READ_PERSON, purpose, basis or "art. 14 ustawy",
                      "RSD-123/26")
    assert not decision.allowed and words in decision.reason
    assert decide(Role.POLICE, Action.READ_PERSON, "investigation", "art. 14 ustawy o Policji",
                  "RSD-123/26").allowed


@SQLITE_ONLY
def test_a_dot_for_a_purpose_is_refused_over_http(live: Live, person: str) -> None:
    with live.as_("usc_registrar", purpose=".") as c:
        r = c.get(f"/persons/{person}")
        assert r.status_code == 403 and "purpose" in r.json()["detail"]
    with live.as_("police", purpose="investigation", **{**LAW, "X-Legal-Basis": "-"}) as c:
        r = c.get(f"/persons/{person}")
        assert r.status_code == 403 and "legal basis" in r.json()["detail"]
    with live.as_("police", purpose="investigation", **LAW) as c:
        assert c.get(f"/persons/{person}").status_code == 200


# -- 14#16: personal data is not cached, content types are not sniffed -----------------

@SQLITE_ONLY
def test_every_api_response_forbids_caching_and_sniffing(live: Live, person: str) -> None:
    with live.as_("usc_registrar") as c:
        responses = [c.get(f"/persons/{person}"), c.get("/persons/44051401358"),
                     c.get(f"/persons/{person}", headers={"X-Purpose": ""}),
                     c.post("/events", content=b"x" * (MAX_BODY + 1)),
                     c.get("/numbers/44051401359"), c.get("/openapi.json")]
    with live.client() as anonymous:
        responses.append(anonymous.post("/auth/token", json={"username": "x", "secret": "y"}))
    for r in responses:
        assert r.headers.get("cache-control") == "no-store", (r.request.url, r.headers)
        assert r.headers.get("x-content-type-options") == "nosniff", r.request.url


# -- 14#17: a PESEL is ASCII digits, and the audit log keeps its canonical form --------

def test_a_pesel_in_full_width_digits_is_refused() -> None:
    with pytest.raises(InvalidFormat, match="0-9"):
        validate("44051401359".translate(FULL_WIDTH))
    with pytest.raises(InvalidFormat):
        validate("4405140135\u0669")  # ARABIC-INDIC DIGIT NINE
    assert validate(" 44051401359") == "44051401359"


def test_the_console_refuses_full_width_digits_with_exit_3(tmp_path: Path) -> None:
    env = {"OPENPESEL_DATA_DIR": str(tmp_path)}
    wide = CliRunner().invoke(cli, ["validate", "44051401359".translate(FULL_WIDTH)], env=env)
    assert wide.exit_code == 3 and "0-9" in wide.output
    assert CliRunner().invoke(cli, ["validate", " 44051401359"], env=env).exit_code == 0


def test_a_pesel_with_a_leading_space_or_full_width_digits_at_the_api(live: Live,
                                                                    person: str) -> None:
    wide = person.translate(FULL_WIDTH)
    with live.as_("usc_registrar") as c:
        for path in (f"/persons/{wide}", f"/persons/{wide}/history", f"/numbers/{wide}"):
            r = c.get(path)
            assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-pesel", path
        found = c.get("/persons", params={"q": wide})
        assert found.status_code == 422 or found.json()["items"] == [], found.text
        assert c.get(f"/persons/%20{person}").status_code == 200
    with live.as_("bank", purpose="credit application") as bank:
        assert bank.get(f"/reservations/{wide}").status_code == 422
    with live.gate.store.read() as s:
        size = live.gate.audit.size(s)
        entries = [e for _, e in live.gate.audit.entries(s, 0, size)]
    named = [e.pesel for e in entries if e.pesel is not None]
    assert person in named
    assert [p for p in named if p.strip() == person and p != person] == []


# -- 14#18: search pages have a bounded depth ------------------------------------------

@SQLITE_ONLY
def test_search_pages_are_bounded_and_the_schema_says_so(live: Live, person: str) -> None:
    with live.as_("usc_registrar") as c:
        deep = c.get("/persons", params={"q": "Nowak", "offset": 10_000_000})
        assert deep.status_code == 400 and deep.headers["content-type"] == PROBLEM
        assert "offset" in deep.json()["detail"] and "cursor" in deep.json()["detail"]
    schema = httpx.get(live.url + "/openapi.json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/persons"]["get"]
              ["parameters"]}
    assert params["offset"]["maximum"] + params["limit"]["maximum"] <= MAX_SEARCH_DEPTH
    with live.as_("usc_registrar") as c:
        deepest = c.get("/persons", params={"q": "Nowak", "offset": params["offset"]["maximum"],
                                            "limit": params["limit"]["maximum"]})
        assert deepest.status_code == 200


# -- 13#9: the API documents work without the internet ---------------------------------

@SQLITE_ONLY
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_outside(live: Live, page: str) -> None:
    html = httpx.get(live.url + page).text
    assert not re.findall(r"""(?:src|href)=["']https?://""", html), html
    for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", html):
        assert httpx.get(live.url + asset).status_code == 200, asset
