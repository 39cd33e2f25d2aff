"""Art. 49 verification and certificates over HTTP, against a live uvicorn, on both stores.

A bank learns yes or no and nothing else, sealed; the resident's access report
lists each verification with its inclusion proof; a body beyond its quota gets
429 ``quota-exceeded``. A resident's certificate is a PDF anyone can check
without a token; a changed byte, a changed QR payload or a revocation fails it.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from limits import parse
from pypdf import PdfReader

from openpesel.access import sealing
from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.config import Settings
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from tests.conftest import Clock
from tests.support.live import SECRET, Live, live_server
from tests.support.office import born, event

BANK = {"X-Purpose": "credit application 2026/77"}


@pytest.fixture
def people(register: Register, clock: Clock) -> dict[str, str]:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    anna = born(register, "Anna", "Zielińska", "F", "1990-02-03")
    event(register, ev.Kind.ID_CARD_ISSUED, anna.pesel, "2025-01-10", ev.Authority.GMINA,
          number="ABA123456", valid_until="2035-01-10")
    jan = born(register, "Jan", "Nowak", "M", "2015-05-05")
    return {"anna": anna.pesel, "jan": jan.pesel}


@pytest.fixture
def live(register: Register, people: dict[str, str], tmp_path: Path) -> Iterator[Live]:
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        totp = server.gate.add_principal(console("test set-up"), "anna", Role.RESIDENT,
                                         SECRET, pesel=people["anna"])
        assert totp is not None
        server.totp["anna"] = totp
        yield server


def _sealed(live: Live, answer: dict[str, object]) -> bool:
    doc = {k: v for k, v in answer.items() if k != "jws"}
    return sealing.sealed(live.gate.audit.public_key, doc, str(answer["jws"]))


def test_a_bank_verifies_a_correct_and_a_wrong_name_and_the_resident_sees_both(
        live: Live, people: dict[str, str]) -> None:
    with live.as_("bank", purpose=None, **BANK) as bank:
        right = bank.post("/verifications", json={
            "pesel": people["anna"], "first_names": "anna", "family_name": "ZIELIŃSKA",
            "birth_date": "1990-02-03", "document_number": "ABA 123456", "alive": True,
            "adult": True})
        wrong = bank.post("/verifications", json={"pesel": people["anna"],
                                                  "first_names": "Anna", "family_name": "Nowak"})
    assert right.status_code == 200 and wrong.status_code == 200, (right.text, wrong.text)
    assert right.json()["match"] is True and all(right.json()["claims"].values())
    assert wrong.json()["claims"] == {"first_names": True, "family_name": False}
    assert wrong.json()["match"] is False
    assert _sealed(live, right.json()) and _sealed(live, wrong.json())
    forged = {**wrong.json(), "match": True}
    assert not _sealed(live, forged), "the seal covers the answer"
    with live.as_("anna", purpose=None) as me:
        report = me.get("/me/access-report").json()
    checks = [e for e in report["entries"] if e["entry"]["action"] == "verify"]
    assert [e["entry"]["principal"] for e in checks] == ["bank", "bank"]
    assert {e["entry"]["purpose"] for e in checks} == {BANK["X-Purpose"]}
    assert checks[1]["entry"]["fields"] == ["family_name", "first_names"]
    assert all(e["inclusion_proof"] is not None and e["entry"]["role"] == "bank"
               for e in checks)
    assert {e["index"] for e in checks} == {right.json()["verification_id"],
                                           wrong.json()["verification_id"]}


def test_the_answer_leaks_nothing_beyond_yes_or_no(live: Live, people: dict[str, str]) -> None:
    unknown = validate("44051401359")
    with live.as_("notary", purpose=None, **BANK) as notary:
        known = notary.post("/verifications", json={"pesel": people["anna"],
                                                    "family_name": "Kowalska"}).json()
        nobody = notary.post("/verifications", json={"pesel": unknown,
                                                     "family_name": "Kowalska"}).json()
        minor = notary.post("/verifications", json={"pesel": people["jan"], "adult": True})
        none = notary.post("/verifications", json={"pesel": people["anna"]})
        bad = notary.post("/verifications", json={"pesel": "44051401358", "alive": True})
    shape = {"verification_id", "pesel", "claims", "match", "checked_at", "body", "jws"}
    assert set(known) == set(nobody) == shape
    # An unknown number and a wrong name answer alike: no one learns who is registered.
    assert known["claims"] == nobody["claims"] == {"family_name": False}
    assert known["match"] is nobody["match"] is False
    assert minor.json()["claims"] == {"adult": False}
    text = json.dumps({k: v for k, v in known.items() if k not in ("jws", "pesel")},
                      ensure_ascii=False)
    for secret in ("Zielińska", "Anna", "1990-02-03", "Kraków", "ABA123456", '"F"', "POL"):
        assert secret not in text
    assert none.status_code == 422 and bad.status_code == 422
    with live.as_("police", purpose="investigation", **{
            "X-Legal-Basis": "art. 14 ustawy o Policji", "X-Case-Ref": "RSD-1/26"}) as police:
        assert police.post("/verifications", json={"pesel": people["anna"], "alive": True}
                           ).status_code == 403
    with live.as_("bank", purpose=None) as no_purpose:
        assert no_purpose.post("/verifications", json={"pesel": people["anna"], "alive": True}
                               ).status_code == 403


def test_a_body_beyond_its_quota_is_answered_429(live: Live, people: dict[str, str]) -> None:
    live.gate.verifications.quota = parse("2/day")
    ask = {"pesel": people["anna"], "alive": True}
    with live.as_("telecom", purpose=None, **BANK) as telecom:
        assert [telecom.post("/verifications", json=ask).status_code for _ in range(2)] == \
            [200, 200]
        over = telecom.post("/verifications", json=ask)
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["type"] == "/problems/quota-exceeded"
    with live.as_("bank", purpose=None, **BANK) as bank:  # another body has its own quota
        assert bank.post("/verifications", json=ask).status_code == 200
    with live.gate.store.read() as s:
        refused = [e for _, e in live.gate.audit.entries_for(
            s, live.gate.register.state(people["anna"]).person_id) if e.outcome == "refused"]
    assert [(e.principal, e.action) for e in refused] == [("telecom", "verify")]


def test_a_certificate_anyone_can_check_until_the_office_revokes_it(
        live: Live, people: dict[str, str]) -> None:
    with live.as_("anna", purpose="for the consulate") as me:
        made = me.post("/certificates", json={"scope": "partial", "language": "en",
                                              "fields": ["first_names", "family_name"]})
        assert made.status_code == 201, made.text
        cert = made.json()
        pdf = me.get(f"/certificates/{cert['certificate_id']}", params={"format": "pdf"})
        other = me.post("/certificates", json={"pesel": people["jan"]})
    assert other.status_code == 403, "a resident certifies their own record only"
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Zielińska" in text and cert["certificate_id"] in text
    assert cert["contents_sha256"] in text.replace("\n", "")
    assert cert["contents"]["fields"] == {"first_names": ["Anna"], "family_name": "Zielińska"}
    assert cert["qr"].startswith(live.url + f"/certificates/{cert['certificate_id']}?s=")

    with live.client() as anyone:  # no token
        def check(**body: object) -> dict[str, object]:
            r = anyone.post("/certificate-checks", json=body)
            assert r.status_code == 200, r.text
            return dict(r.json())
        by_pdf = check(pdf=base64.b64encode(pdf.content).decode())
        by_qr = check(qr=cert["qr"])
        by_id = check(certificate_id=cert["certificate_id"])
        assert by_pdf == {**by_pdf, "genuine": True, "valid": True, "revoked": False,
                          "record_changed_since": False,
                          "contents_sha256": cert["contents_sha256"]}
        assert by_qr["valid"] and by_id["valid"] and _sealed(live, by_pdf)
        assert "Zielińska" not in json.dumps(by_pdf, ensure_ascii=False)

        tampered = bytearray(pdf.content)
        tampered[len(tampered) // 2] ^= 0x01
        assert check(pdf=base64.b64encode(bytes(tampered)).decode())["genuine"] is False
        url, _, signed = cert["qr"].partition("?s=")
        head, payload, signature = signed.split(".")
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        body["sha256"] = "0" * 64
        forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
        assert check(qr=f"{url}?s={head}.{forged}.{signature}")["genuine"] is False
        assert check(qr="not a certificate")["genuine"] is False
        assert check(certificate_id=cert["certificate_id"], pdf="%%%")["genuine"] is False
        assert check()["genuine"] is False and check(qr="")["genuine"] is False

    with live.as_("bank", purpose=None, **BANK) as bank:
        assert bank.post(f"/certificates/{cert['certificate_id']}/revocation",
                         json={"reason": "issued in error"}).status_code == 403
    with live.as_("municipal_clerk", purpose="certificate withdrawn") as clerk:
        revoked = clerk.post(f"/certificates/{cert['certificate_id']}/revocation",
                             json={"reason": "issued in error"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    with live.client() as anyone:
        after = anyone.post("/certificate-checks", json={"qr": cert["qr"]}).json()
    assert after["genuine"] is True and after["revoked"] is True and after["valid"] is False

    with live.as_("anna", purpose=None) as me:
        report = me.get("/me/access-report").json()
    actions = [(e["entry"]["principal"], e["entry"]["action"]) for e in report["entries"]]
    assert ("municipal_clerk", "revoke-certificate") in actions
    assert ("public", "check-certificate") in actions


def test_an_office_issues_on_the_residents_behalf_and_sees_the_record_change(
        live: Live, people: dict[str, str], register: Register) -> None:
    with live.as_("municipal_clerk", purpose="certificate for the resident") as clerk:
        cert = clerk.post("/certificates", json={"pesel": people["anna"]}).json()
        assert set(cert["contents"]["fields"]) >= {"birth_date", "id_cards", "citizenships"}
        assert clerk.get(f"/certificates/{cert['certificate_id']}").status_code == 200
    event(register, ev.Kind.NAME_CHANGED, people["anna"], "2026-02-01",
          family_name="Nowak")
    with live.client() as anyone:
        later = anyone.post("/certificate-checks",
                            json={"certificate_id": cert["certificate_id"]}).json()
    assert later["valid"] is True and later["record_changed_since"] is True
