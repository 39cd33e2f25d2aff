"""Issue 17, item 4: every list the API returns is bounded and paged by a cursor.

Read from the OpenAPI document, so a list route added later is held to the
same rule: a ``Page`` with a ``limit`` of at most ``MAX_LIMIT`` and a
``cursor``, or one of the few lists bounded by what they are about.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpesel.access.gate import Gate, console
from openpesel.access.policy import Role
from openpesel.api.paging import MAX_LIMIT
from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.config import Settings
from openpesel.registry.service import Register
from tests.conftest import Clock
from tests.support.live import totp_code
from tests.support.office import born

SECRET = "correct horse battery"
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
BOUNDED_BY_WHAT_THEY_ARE = {
    "/api/v1/event-kinds",  # the register's event kinds: a fixed list
    "/api/v1/me/children",  # one resident's children
}
# A call of each list route, as a principal it lets in.
CALLS = {"/api/v1/persons": ("operator", {"q": "Nowak"}),
         "/api/v1/persons/{pesel}/history": ("operator", {}),
         "/api/v1/me/history": ("resident", {}),
         "/api/v1/users": ("operator", {}),
         "/api/v1/cases": ("operator", {})}


def _lists(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each GET route whose answer is a list or a page of one."""
    found = {}
    for path, methods in schema["paths"].items():
        get = methods.get("get")
        body = ((get or {}).get("responses", {}).get("200", {}).get("content", {})
                .get("application/json", {}).get("schema", {}))
        if "$ref" in body:
            body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        if body.get("type") == "array" or "items" in body.get("properties", {}):
            found[path] = get
    return found


@pytest.fixture
def app(register: Register, clock: Clock,
        tmp_path: Path) -> Iterator[tuple[TestClient, Gate, str, str]]:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    pesel = born(register, "Ewa", "Nowak", "F", "1980-01-01").pesel
    gate = build_gate(Settings(data_dir=tmp_path), register)
    gate.add_principal(console("test set-up"), "operator", Role.OPERATOR, SECRET)
    totp = gate.add_principal(console("test set-up"), "resident", Role.RESIDENT, SECRET,
                              pesel=pesel)
    assert totp is not None
    with TestClient(create_app(gate, warm_up=False)) as c:
        yield c, gate, totp, pesel


@SQLITE_ONLY
def test_every_list_route_is_a_page_with_a_bounded_limit_and_a_cursor(app: Any) -> None:
    client = app[0]
    lists = _lists(client.get("/openapi.json").json())
    assert set(CALLS) <= set(lists)
    for path, get in lists.items():
        if path in BOUNDED_BY_WHAT_THEY_ARE:
            continue
        params = {p["name"]: p["schema"] for p in get.get("parameters", [])}
        assert params.get("limit", {}).get("maximum") == MAX_LIMIT, path
        assert "cursor" in params, path
    assert set(lists) - BOUNDED_BY_WHAT_THEY_ARE == set(CALLS)


@SQLITE_ONLY
def test_every_list_route_refuses_an_over_large_limit(app: Any) -> None:
    client, gate, totp, pesel = app
    for path, (who, params) in CALLS.items():
        body = {"username": who, "secret": SECRET}
        if who == "resident":
            body["totp"] = totp_code(gate, who, totp)
        token = client.post("/api/v1/auth/token", json=body).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "API tests"}
        url = path.replace("{pesel}", pesel)
        ok = client.get(url, params={**params, "limit": MAX_LIMIT}, headers=headers)
        assert ok.status_code == 200, (path, ok.text)
        assert set(ok.json()) >= {"items", "next"}, path
        over = client.get(url, params={**params, "limit": MAX_LIMIT + 1}, headers=headers)
        assert over.status_code == 422, path
        assert over.headers["content-type"] == "application/problem+json", path
        assert "limit" in over.json()["detail"], path
