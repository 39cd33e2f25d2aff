"""Issue 17, item 4: deep search pages by keyset, not by offset.

A page by offset ranked ``offset + limit`` people to show ``limit``. A page now
ends with an opaque cursor (the last hit's rank key); the next page is the hits
ranked after it, on both plans of ``registry/search.py`` and both stores.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openpesel.access.gate import Gate, console
from openpesel.access.policy import Role
from openpesel.api.paging import MAX_OFFSET, encode
from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.config import Settings
from openpesel.registry import search
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from tests.conftest import Clock
from tests.support.office import born

SECRET = "correct horse battery"
PROBLEM = "application/problem+json"
# Exact bearers, a typo, a former-name-like spelling and another sex: several score tiers,
# and equal scores tied by birth date and id.
NAMES = [("Anna", "Nowak", "F"), ("Ana", "Nowak", "F"), ("Anna", "Nowakowa", "F"),
         ("Hanna", "Nowak", "F"), ("Anna", "Nowak", "F"), ("Jan", "Nowak", "M")]


@pytest.fixture
def crowd(register: Register, clock: Clock) -> int:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    for i in range(24):
        first, family, sex = NAMES[i % len(NAMES)]
        born(register, first, family, sex, f"19{50 + i % 5}-0{1 + i % 3}-1{i % 7}")
    return 24


@pytest.fixture(params=["gather", "walk"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the register ranks: with the caps at 1 no name is rare, so it walks."""
    if request.param == "walk":
        monkeypatch.setattr(search, "GATHER_CAP", 1)
        monkeypatch.setattr(search, "PLACE_CAP", 0)
    return str(request.param)


@pytest.mark.parametrize("text", ["Anna Nowak", "Nowak"])
def test_walking_every_page_by_cursor_yields_each_match_once_in_order(
        register: Register, crowd: int, plan: str, text: str) -> None:
    whole = register.search(Query(text, limit=100))
    assert len(whole) > 7
    walked: list[search.Hit] = []
    after = None
    for _ in range(50):
        page = register.search(Query(text, limit=3, after=after))
        walked += page
        if len(page) < 3:
            break
        after = page.last
    assert [h.pesel for h in walked] == [h.pesel for h in whole]


def test_a_resumed_walk_skips_people_who_ranked_in_a_tier_above_the_cursor(
        register: Register, crowd: int, plan: str) -> None:
    """'Anna Nowak' also matches 'Hanna' and 'Nowakowa' a tier down: whoever carries both
    an exact and a close name is listed once, at their best, whichever page it falls on."""
    for year in range(1950, 1955):
        born(register, "Anna", "Nowak", "F", f"{year}-01-10", first_names=["Hanna", "Anna"])
        born(register, "Anna", "Nowakowa", "F", f"{year}-01-10", first_names=["Ana", "Anna"])
    whole = [h.pesel for h in register.search(Query("Anna Nowak", limit=100))]
    for size in (1, 2, 5):
        walked, after = [], None
        while True:
            page = register.search(Query("Anna Nowak", limit=size, after=after))
            walked += [h.pesel for h in page]
            if len(page) < size:
                break
            after = page.last
        assert walked == whole, size


@pytest.fixture
def client(register: Register, crowd: int, tmp_path: Path) -> Iterator[TestClient]:
    gate: Gate = build_gate(Settings(data_dir=tmp_path), register)
    gate.add_principal(console("test set-up"), "clerk", Role.USC_REGISTRAR, SECRET)
    with TestClient(create_app(gate, warm_up=False)) as c:
        r = c.post("/api/v1/auth/token", json={"username": "clerk", "secret": SECRET})
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        c.headers["X-Purpose"] = "API tests"
        yield c


def test_the_api_pages_by_next_until_it_is_null(client: TestClient, plan: str) -> None:
    whole = client.get("/api/v1/persons", params={"q": "Nowak", "limit": 100}).json()
    assert whole["next"] is None
    walked, params = [], {"q": "Nowak", "limit": 4}
    while True:
        page = client.get("/api/v1/persons", params=params)
        assert page.status_code == 200, page.text
        walked += [h["pesel"] for h in page.json()["items"]]
        if page.json()["next"] is None:
            break
        params = {"q": "Nowak", "limit": 4, "cursor": page.json()["next"]}
    assert walked == [h["pesel"] for h in whole["items"]]


@pytest.mark.parametrize("cursor", [
    "not base64 at all!", "bm90IGpzb24", encode("persons", [0.5, "1950-01-01"]),
    encode("0" * 16, [1.0, "1950-01-01", "not-a-uuid"]), "W251bGxd"])
def test_a_bad_or_forged_cursor_is_a_400_problem(client: TestClient, cursor: str) -> None:
    r = client.get("/api/v1/persons", params={"q": "Nowak", "cursor": cursor})
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/problems/bad-cursor"


def test_a_cursor_from_another_query_is_refused(client: TestClient) -> None:
    first = client.get("/api/v1/persons", params={"q": "Nowak", "limit": 2}).json()
    r = client.get("/api/v1/persons", params={"q": "Anna", "cursor": first["next"]})
    assert r.status_code == 400 and r.json()["type"] == "/problems/bad-cursor"


def test_a_deep_offset_points_to_the_cursor(client: TestClient) -> None:
    r = client.get("/api/v1/persons", params={"q": "Nowak", "offset": MAX_OFFSET + 1})
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/problems/use-cursor" and "cursor" in r.json()["detail"]
    assert client.get("/api/v1/persons", params={"q": "Nowak", "offset": MAX_OFFSET}
                      ).status_code == 200
