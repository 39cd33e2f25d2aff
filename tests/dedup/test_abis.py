"""MOSIP ABIS messages against the adapter, on both stores, and over HTTP.

Templates are extracted once per module and sent as ISO/IEC 19794-2 records
inside CBEFF documents; one insert sends a PNG to cover the image path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openpesel.abis import cbeff
from openpesel.abis.messages import OPERATIONS
from openpesel.access.gate import Forbidden, Gate
from openpesel.access.policy import Role
from openpesel.biometrics import encode_template, extract_template, load_image
from openpesel.config import Settings
from openpesel.registry.service import Register
from tests.support.adjudication_kit import as_role, data_url, gate_for, scans
from tests.support.live import Live, live_server

CLIENT = as_role(Role.ABIS_CLIENT, "mosip.regproc")


SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
"""The interfaces are thin; the workflow runs on both stores in tests/dedup/test_adjudication.py."""


@pytest.fixture(scope="module")
def prints() -> dict[str, bytes]:
    return scans()


@pytest.fixture(scope="module")
def records(prints: dict[str, bytes]) -> dict[str, bytes]:
    """ISO minutiae records of each scan, as an ABIS client's CBEFF may carry them."""
    return {name: encode_template(extract_template(load_image(data)))
            for name, data in prints.items() if name != "olena"}


def message(operation: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"mosip.abis.{operation}", "version": "1.1", "requestId": str(uuid.uuid4()),
            "requesttime": "2026-03-01T09:00:00.000Z", **fields}


def url(prints: dict[int, bytes]) -> str:
    return data_url(cbeff.document(prints))


@pytest.fixture
def gate(register: Register, tmp_path: Path) -> Gate:
    return gate_for(register, tmp_path)


def test_insert_identify_delete_and_counts(gate: Gate, records: dict[str, bytes],
                                           prints: dict[str, bytes]) -> None:
    def send(m: dict[str, Any]) -> dict[str, Any]:
        answer = gate.desk.abis(CLIENT, m)
        assert answer["id"] == m["id"] and answer["requestId"] == m["requestId"]
        assert answer["responsetime"].endswith("Z")
        return answer

    ping = send(message("ping"))
    assert ping["returnValue"] == "1" and "failureReason" not in ping
    assert send(message("pendingJobs"))["jobscount"] == "0"
    assert send(message("referenceCount"))["count"] == "0"
    inserted = send(message("insert", referenceId="ref-anna",
                            referenceURL=url({2: records["anna"]})))
    assert inserted == {**inserted, "returnValue": "1"}
    again = send(message("insert", referenceId="ref-anna",
                         referenceURL=url({2: records["anna"]})))
    assert (again["returnValue"], again["failureReason"]) == ("2", "10")
    # An image instead of a minutiae record goes through the register's own pipeline.
    olena = send(message("insert", referenceId="ref-olena",
                         referenceURL=url({2: prints["olena"]})))
    assert olena["returnValue"] == "1"
    assert send(message("referenceCount"))["count"] == "2"

    found = send(message("identify", referenceURL=url({2: records["anna-again"]}),
                         flags={"maxResults": "5"}))
    listed = found["candidateList"]
    assert listed["count"] == "1" and [c["referenceId"] for c in listed["candidates"]] == [
        "ref-anna"]
    best = listed["candidates"][0]
    assert best["analytics"]["rank"] == "1" and float(best["analytics"]["internalScore"]) > 45
    assert best["modalities"][0]["biometricType"] == "FIR"
    # By referenceId: the reference itself is never its own candidate.
    by_id = send(message("identify", referenceId="ref-anna"))
    assert by_id["candidateList"] == {"count": "0", "candidates": []}
    # A gallery restricts the search to the references it names.
    only_olena = send(message("identify", referenceURL=url({2: records["anna-again"]}),
                              gallery={"referenceIds": [{"referenceId": "ref-olena"}]}))
    assert only_olena["candidateList"]["count"] == "0"

    assert send(message("delete", referenceId="ref-anna"))["returnValue"] == "1"
    assert send(message("referenceCount"))["count"] == "1"
    gone = send(message("delete", referenceId="ref-anna"))
    assert (gone["returnValue"], gone["failureReason"]) == ("2", "12")
    after = send(message("identify", referenceURL=url({2: records["anna-again"]})))
    assert after["candidateList"]["count"] == "0"


BAD = [
    (None, "4"),
    ({**message("ping"), "id": "mosip.abis.explode"}, "14"),
    ({**message("ping"), "version": "9.9"}, "13"),
    ({k: v for k, v in message("ping").items() if k != "requestId"}, "6"),
    ({k: v for k, v in message("ping").items() if k != "requesttime"}, "9"),
    ({**message("ping"), "requesttime": "yesterday"}, "15"),
    (message("insert", referenceURL="data:,x"), "5"),
    (message("insert", referenceId="r"), "8"),
    (message("insert", referenceId="r", referenceURL="https://datashare.example/1"), "7"),
    (message("insert", referenceId="r", referenceURL=data_url(b"<not-xml")), "16"),
    (message("insert", referenceId="r", referenceURL=data_url(b"<BIR/>")), "11"),
    (message("identify", referenceId="nobody"), "12"),
    (message("identify", referenceURL="data:,x", flags={"maxResults": "many"}), "4")]


def test_a_bad_message_gets_its_failure_reason(gate: Gate) -> None:
    answers = [gate.desk.abis(CLIENT, bad) for bad, _ in BAD]
    assert [(a["returnValue"], a["failureReason"]) for a in answers] == [
        ("2", reason) for _, reason in BAD]
    assert gate.desk.abis(CLIENT, message("referenceCount"))["count"] == "0"  # nothing stored


def test_only_an_abis_client_may_call_it(gate: Gate) -> None:
    with pytest.raises(Forbidden):
        gate.desk.abis(as_role(Role.EXAMINER), message("ping"))
    assert {f"mosip.abis.{o}" for o in OPERATIONS} >= {"mosip.abis.insert",
                                                        "mosip.abis.referenceCount"}


@pytest.fixture
def live(register: Register, tmp_path: Path) -> Iterator[Live]:
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        yield server


@SQLITE_ONLY
def test_abis_over_http(live: Live, records: dict[str, bytes]) -> None:
    with live.as_("abis_client", purpose=None) as c:
        r = c.post("/abis", json=message("insert", referenceId="ref-1",
                                         referenceURL=url({2: records["anna"]})))
        assert r.status_code == 200 and r.json()["returnValue"] == "1"
        junk = c.post("/abis", content=b"{", headers={"content-type": "application/json"})
        assert junk.status_code == 200 and junk.json()["failureReason"] == "4"
    with live.as_("examiner") as c:
        assert c.post("/abis", json=message("ping")).status_code == 403
