"""The examiners' workflow through the console and over HTTP (SQLite: the interfaces are thin)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from openpesel.config import Settings
from openpesel.registry.service import Register
from tests.cli.test_cli import Cli
from tests.support.adjudication_kit import foreigner, scans
from tests.support.live import Live, live_server

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
"""The interfaces are thin; the workflow runs on both stores in tests/dedup/test_adjudication.py."""


@pytest.fixture(scope="module")
def prints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("prints")
    out = {}
    for name, data in scans().items():
        out[name] = folder / f"{name}.png"
        out[name].write_bytes(data)
    return out


@SQLITE_ONLY
def test_cases_from_the_console(store_url: str, register: Register, tmp_path: Path,
                                prints: dict[str, Path]) -> None:
    cli = Cli(store_url)
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    fields = ["-f", "first_names=Anna", "-f", "family_name=Szewczenko", "-f", "sex=F", "-f",
              "birth_date=1990-04-02", "-f", "birth_place=Kijów", "-f", "citizenship=UKR",
              "-f", "status=UKR"]
    assert "recorded: PESEL" in cli("fingerprints", "register", "foreigner_registered",
                                    "--scan", f"2={prints['anna']}", "-d", "G/1", *fields)
    anna = cli.json("search", "Anna Szewczenko")
    assert isinstance(anna, list)
    other = [*fields[:2], "-f", "family_name=Kowalenko", *fields[4:6],
             "-f", "birth_date=1991-07-09", *fields[8:]]
    held = cli("fingerprints", "register", "foreigner_registered", "--scan",
               f"2={prints['anna-again']}", "-d", "G/2", *other, code=10)
    assert held == ""  # the hold is an outcome, not an error: stdout says it, exit 10
    queue = cli.json("cases", "list")
    assert isinstance(queue, list) and len(queue) == 1 and queue[0]["status"] == "open"
    case_id = queue[0]["case_id"]
    png = tmp_path / "evidence.png"
    assert "paired minutiae" in cli("cases", "evidence", case_id, anna[0]["pesel"], "-o",
                                    str(png))
    assert Image.open(png).format == "PNG"
    assert "comment" in cli("cases", "decide", case_id, "different", "-c", "", code=5)
    assert "unknown" not in cli("cases", "decide", case_id, "maybe", "-c", "x y z", code=5)
    out = cli("cases", "decide", case_id, "different", "-c", "different core")
    assert "different; PESEL" in out
    assert cli.json("cases", "list") == []
    found = cli.json("fingerprints", "identify", "--scan", f"2={prints['anna-again']}")
    assert isinstance(found, list) and found[0]["rank"] == 1
    assert "No adjudication case" in cli("cases", "show", "0" * 32, code=4)


@pytest.fixture
def live(register: Register, tmp_path: Path) -> Iterator[Live]:
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        yield server


@SQLITE_ONLY
def test_cases_over_http(live: Live, prints: dict[str, Path]) -> None:
    with live.as_("municipal_clerk", purpose="PESEL for a refugee") as clerk:
        first = clerk.post("/registrations", data={
            "kind": "foreigner_registered", "document_ref": "G/1", "fingers": ["2"],
            "payload": json.dumps(foreigner("Anna", "Szewczenko", "F", "1990-04-02"))},
            files=[("scans", ("a.png", prints["anna"].read_bytes(), "image/png"))])
        assert first.status_code == 201 and first.json()["status"] == "recorded"
        anna = first.json()["recorded"]["pesel"]
        held = clerk.post("/registrations", data={
            "kind": "foreigner_registered", "document_ref": "G/2", "fingers": ["2"],
            "payload": json.dumps(foreigner("Hanna", "Kowalenko", "F", "1991-07-09"))},
            files=[("scans", ("b.png", prints["anna-again"].read_bytes(), "image/png"))])
        assert held.status_code == 202 and held.json()["candidates"] == [anna]
        assert clerk.get("/cases").status_code == 403
    case_id = held.json()["case_id"]
    with live.as_("examiner", purpose="duplicate check") as examiner:
        assert [c["case_id"] for c in examiner.get("/cases").json()["items"]] == [case_id]
        detail = examiner.get(f"/cases/{case_id}").json()
        assert detail["suspects"][0]["pesel"] == anna
        assert "template" not in detail["subject_detail"]["enrolment"]["fingers"][0]
        png = examiner.get(f"/cases/{case_id}/evidence/{anna}")
        assert png.headers["content-type"] == "image/png"
        data = examiner.get(f"/cases/{case_id}/evidence/{anna}", params={"format": "json"})
        picture = data.json()
        size = Image.open(io.BytesIO(png.content)).size
        assert size[0] == picture["probe"]["width"] + 16 + picture["candidate"]["width"]
        assert picture["pairs"] and {"x", "y", "angle"} <= set(picture["probe"]["minutiae"][0])
        bad = examiner.post(f"/cases/{case_id}/decision", json={"decision": "perhaps",
                                                                 "comment": "hmm"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith(
            "application/problem+json")
        done = examiner.post(f"/cases/{case_id}/decision",
                             json={"decision": "different", "comment": "different core"})
        assert done.status_code == 201 and done.json()["pesel"]
        again = examiner.post(f"/cases/{case_id}/decision",
                              json={"decision": "same", "comment": "second thoughts"})
        assert again.status_code == 409
        assert again.json()["type"] == "/problems/refused-by-register"
        missing = examiner.get("/cases/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404
