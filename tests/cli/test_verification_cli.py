"""``openpesel verify`` and ``openpesel certificates``: answers, PDFs, and exit code 14."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpesel.cli import app
from openpesel.errors import ExitCode
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.office import born


class Cli:
    def __init__(self, url: str, data: Path) -> None:
        self.runner = CliRunner()
        self.env = {"OPENPESEL_DATABASE_URL": url, "OPENPESEL_DATA_DIR": str(data),
                    "COLUMNS": "200"}

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result.stdout if code == 0 else result.stderr


@pytest.fixture
def cli(store: Store, store_url: str, tmp_path: Path) -> Cli:
    return Cli(store_url, tmp_path / "data")


def test_verify_answers_yes_or_no_per_claim(cli: Cli, register: Register) -> None:
    pesel = born(register, "Anna", "Zielińska", "F", "1990-02-03").pesel
    out = cli("--purpose", "account opening check", "verify", pesel, "--first-names", "Anna",
              "--family-name", "Nowak", "--alive")
    assert out.splitlines()[:3] == ["first_names: yes", "family_name: no", "alive: yes"]
    assert out.splitlines()[3].startswith("match: no")
    answer = json.loads(cli("verify", pesel, "--birth-date", "1990-02-03", "--json"))
    assert answer["claims"] == {"birth_date": True} and answer["match"] is True
    assert "Zielińska" not in json.dumps(answer, ensure_ascii=False)
    err = cli("verify", pesel, code=ExitCode.INVALID_INPUT)
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert cli("verify", "44051401358", "--alive", code=ExitCode.BAD_NUMBER)


def test_a_certificate_issued_checked_forged_and_revoked(cli: Cli, register: Register,
                                                          tmp_path: Path) -> None:
    pesel = born(register, "Jan", "Nowak", "M", "1985-07-07").pesel
    pdf = tmp_path / "certificate.pdf"
    issued = json.loads(cli("certificates", "issue", pesel, "--scope", "partial", "-f",
                            "first_names", "-f", "birth_date", "--language", "en", "-o",
                            str(pdf), "--json"))
    cid = issued["certificate_id"]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "valid; data as of" in cli("certificates", "check", cid)
    assert json.loads(cli("certificates", "check", "--pdf", str(pdf), "--json"))["valid"]
    assert json.loads(cli("certificates", "check", "--qr", issued["qr"], "--json"))["valid"]

    forged = tmp_path / "forged.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01  # one changed byte in its data
    forged.write_bytes(bytes(data))
    err = cli("certificates", "check", "--pdf", str(forged), code=ExitCode.CERTIFICATE_INVALID)
    assert err.strip().splitlines() == ["error: The certificate is forged or unknown."]
    cli("certificates", "check", "00000000-0000-4000-8000-000000000000",
        code=ExitCode.CERTIFICATE_INVALID)
    cli("certificates", "check", "--pdf", str(tmp_path / "missing.pdf"),
        code=ExitCode.INVALID_INPUT)
    cli("certificates", "check", "not-a-number", code=ExitCode.INVALID_INPUT)
    cli("certificates", "check", code=ExitCode.INVALID_INPUT)

    assert f"certificate {cid} revoked" in cli("certificates", "revoke", cid, "--reason",
                                               "issued in error")
    err = cli("certificates", "check", cid, code=ExitCode.CERTIFICATE_INVALID)
    assert "revoked" in err
    cli("certificates", "issue", pesel, "--scope", "partial", "-f", "shoe_size",
        code=ExitCode.INVALID_INPUT)
