"""Issue 20 §1 over HTTP, on SQLite and PostgreSQL: ``GET /me/reservation`` shows the cause,
``POST /me/documents/lost`` reports a loss, the office goes through ``POST /events``, and bad
input is answered with problem details, never a 5xx."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.config import Settings
from openpesel.registry.service import Register
from tests.conftest import Clock
from tests.support.live import SECRET, Live, live_server
from tests.support.office import born

CARD = "ABC123456"
PROBLEM = "application/problem+json"


@pytest.fixture
def ewa(register: Register, clock: Clock) -> str:
    clock.now = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    return born(register, "Ewa", "Nowak", "F", "1980-01-01").pesel


@pytest.fixture
def live(register: Register, ewa: str, tmp_path: Path) -> Iterator[Live]:
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        for name, role in (("ewa", Role.RESIDENT), ("proxy", Role.PROXY),
                           ("guardian", Role.GUARDIAN)):
            totp = server.gate.add_principal(console("test set-up"), name, role, SECRET,
                                             pesel=ewa)
            assert totp is not None
            server.totp[name] = totp
        yield server


def office_event(c: httpx.Client, kind: str, pesel: str, ref: str, **payload: object
                 ) -> httpx.Response:
    return c.post("/events", json={"kind": kind, "pesel": pesel, "payload": payload,
                                   "document_ref": ref})


def card_issued(live: Live, pesel: str) -> None:
    with live.as_("municipal_clerk") as c:
        r = office_event(c, "id_card_issued", pesel, "GMINA/DO/1", number=CARD,
                         valid_until="2034-01-01")
        assert r.status_code == 201, r.text


def test_the_resident_reports_a_loss_and_sees_the_cause(live: Live, ewa: str) -> None:
    card_issued(live, ewa)
    with live.as_("ewa", purpose=None) as me, live.as_("bank") as bank:
        assert me.get("/me/reservation").json() == {
            "pesel": ewa, "reserved": False, "since": None, "withdraw_at": None, "cause": None}
        done = me.post("/me/documents/lost", json={"number": CARD, "reason": "stolen"})
        assert done.status_code == 201, done.text
        lost, reserved = done.json()["seqs"]
        shown = me.get("/me/reservation").json()
        assert shown["reserved"] is True and shown["cause"]["kind"] == "id_document_reported_lost"
        assert shown["cause"]["seq"] == lost and shown["cause"]["effective_date"] == "2026-03-02"
        assert bank.get(f"/reservations/{ewa}").json()["reserved"] is True
        history = me.get("/me/history").json()["items"]
        auto = next(e for e in history if e["seq"] == reserved)
        assert auto["kind"] == "pesel_reserved" and auto["payload"]["cause_seq"] == lost
        # A loss's reservation is withdrawn like one's own.
        assert me.post("/me/reservation/withdrawal", json={}).status_code == 201
        assert bank.get(f"/reservations/{ewa}").json()["reserved"] is False


BAD = [({"number": "12"}, 422), ({"number": "abc123456"}, 422), ({}, 422),
       ({"number": CARD, "reason": "burnt"}, 422), ({"number": CARD, "extra": 1}, 422),
       ({"number": "XYZ654321"}, 409)]  # the last well-formed, but of a card she does not hold


def test_bad_reports_are_problems(live: Live, ewa: str) -> None:
    card_issued(live, ewa)
    with live.as_("ewa", purpose=None) as me:
        for body, status in BAD:
            r = me.post("/me/documents/lost", json=body)
            assert r.status_code == status, (body, r.text)
            assert r.headers["content-type"] == PROBLEM and r.json()["detail"]
        assert me.get("/me/reservation").json()["reserved"] is False


def test_the_office_path_a_death_and_its_correction(live: Live, ewa: str) -> None:
    card_issued(live, ewa)
    with live.as_("municipal_clerk") as gmina, live.as_("usc_registrar") as usc, \
            live.as_("ewa", purpose=None) as me, live.as_("proxy", purpose=None) as proxy, \
            live.as_("guardian", purpose=None) as guardian:
        lost = office_event(gmina, "id_document_reported_lost", ewa, "GMINA/ZG/1", number=CARD)
        assert lost.status_code == 201 and len(lost.json()["seqs"]) == 2
        assert guardian.get("/me/reservation").json()["cause"]["kind"] == (
            "id_document_reported_lost")
        refused = proxy.post("/me/reservation/withdrawal", json={})
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
        died = office_event(usc, "died", ewa, "USC/Z/1")
        assert died.status_code == 201
        assert me.get("/me/reservation").json()["cause"]["kind"] == "died"
        for who in (me, guardian):
            r = who.post("/me/reservation/withdrawal", json={})
            assert r.status_code == 403 and "death" in r.json()["detail"]
        fix = usc.post("/events", json={"kind": "corrected", "pesel": ewa, "document_ref": "K/1",
                                        "supersedes": died.json()["seqs"][0],
                                        "payload": {"reason": "entered for the wrong person"}})
        assert fix.status_code == 201, fix.text
        back = me.get("/me/reservation").json()  # the loss's reservation is all that is left
        assert back["reserved"] and back["cause"]["kind"] == "id_document_reported_lost"


def test_no_office_forges_an_automatic_reservation(live: Live, ewa: str) -> None:
    with live.as_("municipal_clerk") as gmina:
        at = "2026-03-02T09:30:00+00:00"
        forged = office_event(gmina, "pesel_reserved", ewa, "GMINA/R/1", at=at, cause="died",
                              cause_seq=1)
        assert forged.status_code == 409 and forged.headers["content-type"] == PROBLEM
        half = office_event(gmina, "pesel_reserved", ewa, "GMINA/R/2", at=at, cause="died")
        assert half.status_code == 422 and half.headers["content-type"] == PROBLEM
