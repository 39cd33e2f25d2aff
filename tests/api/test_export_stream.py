"""Issue 17, item 4: the export streams JSON Lines, a keyset chunk at a time.

``GET /api/v1/export`` built the whole event log in memory and sliced a page
out of it. It now sends the log as JSONL while it reads it, one chunk per
short read transaction, audited and authorised before the first byte as
before, and resumable after any ``seq``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpesel.access.gate import Gate, console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.config import Settings
from openpesel.registry import service
from openpesel.registry.service import Register
from openpesel.registry.transfer import event_to_json
from openpesel.storage.session import StoreTransaction
from tests.conftest import Clock
from tests.support.office import born

SECRET = "correct horse battery"
PROBLEM = "application/problem+json"


@pytest.fixture
def people(register: Register, clock: Clock) -> list[str]:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    return [born(register, f"Anna{'a' * i}", "Nowak", "F", f"19{60 + i}-01-0{1 + i % 9}").pesel
            for i in range(7)]


@pytest.fixture
def gate(register: Register, people: list[str], tmp_path: Path) -> Gate:
    gate = build_gate(Settings(data_dir=tmp_path), register)
    for role in (Role.ADMIN, Role.USC_REGISTRAR):
        gate.add_principal(console("test set-up"), role.value, role, SECRET)
    return gate


@pytest.fixture
def client(gate: Gate) -> Iterator[TestClient]:
    with TestClient(create_app(gate, warm_up=False)) as c:
        yield c


def as_(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"username": name, "secret": SECRET})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", "X-Purpose": "API tests"}


def the_log(register: Register) -> list[str]:
    return [event_to_json(e) for e in register.export()]


def test_the_streamed_lines_are_the_log_read_in_tiny_chunks(
        client: TestClient, register: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "EXPORT_CHUNK", 2)
    with client.stream("GET", "/api/v1/export", headers=as_(client, "admin")) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        lines = list(r.iter_lines())
    assert lines == the_log(register) and len(lines) == 7


def test_the_export_is_audited_before_anything_is_read_and_then_read_lazily(
        gate: Gate, register: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    """A spy on the keyset read: each pull reads one chunk of the asked size, and none
    is read until the body asks for it; so memory holds a chunk, never the log."""
    expected = the_log(register)
    reads: list[tuple[int, int]] = []
    real = StoreTransaction.events_after

    def spy(self: StoreTransaction, after: int, limit: int, through: int | None = None
            ) -> Any:
        got = real(self, after, limit, through)
        reads.append((after, len(got)))
        assert limit == 3
        return got

    monkeypatch.setattr(StoreTransaction, "events_after", spy)
    monkeypatch.setattr(service, "EXPORT_CHUNK", 3)
    admin = console("export test")
    with gate.store.read() as s:
        before = gate.audit.size(s)
    chunks = gate.export(admin)
    with gate.store.read() as s:
        entries = [e for _, e in gate.audit.entries(s, 0, gate.audit.size(s) - before)]
    assert [(e.action, e.outcome, e.fields) for e in entries] == [
        ("bulk-export", "allowed", ["events"])]
    assert reads == []  # audited, not yet read
    first = next(chunks)
    assert len(first) == 3 and len(reads) == 1
    rest = [e for chunk in chunks for e in chunk]
    assert [event_to_json(e) for e in first + rest] == expected
    assert [n for _, n in reads] == [3, 3, 1, 0]  # keyset: each read starts after the last
    assert [after for after, _ in reads] == [0, first[-1].seq, rest[2].seq, rest[-1].seq]


def test_the_export_ends_where_the_log_did_when_it_was_audited(
        gate: Gate, register: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "EXPORT_CHUNK", 2)
    expected = the_log(register)
    chunks = gate.export(console("export test"))
    shown = [event_to_json(e) for e in next(chunks)]
    born(register, "Zofia", "Later", "F", "1999-09-09")
    shown += [event_to_json(e) for chunk in chunks for e in chunk]
    assert shown == expected


def test_a_cut_export_resumes_after_the_last_seq_it_got(
        client: TestClient, register: Register) -> None:
    headers = as_(client, "admin")
    log = the_log(register)
    seq = json.loads(log[2])["seq"]
    r = client.get("/api/v1/export", params={"after_seq": seq}, headers=headers)
    assert r.status_code == 200 and r.text.splitlines() == log[3:]
    assert client.get("/api/v1/export", params={"after_seq": 10**9},
                      headers=headers).text == ""
    bad = client.get("/api/v1/export", params={"after_seq": -1}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM


def test_a_refused_export_is_a_problem_not_a_stream(client: TestClient, gate: Gate) -> None:
    r = client.get("/api/v1/export", headers=as_(client, "usc_registrar"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    with gate.store.read() as s:
        last = gate.audit.entries(s, 0, 1)  # newest first
    assert [(e.action, e.outcome) for _, e in last] == [("bulk-export", "denied")]
