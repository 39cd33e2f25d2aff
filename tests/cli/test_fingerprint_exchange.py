"""ANSI/NIST-ITL files on the console (issue 21 §4): pack, show, and enrol a tenprint
transaction; a refused file changes nothing (both stores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpesel.registry.service import Register
from tests.cli.test_cli import Cli
from tests.dedup.test_fingerprint_enrolment import png
from tests.support.office import born, count_events


@pytest.fixture(scope="module")
def tenprint(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tenprint")
    files = {}
    for name, (seed, impression) in {"2": (21, 0), "7": (22, 0), "again": (21, 1)}.items():
        files[name] = folder / f"{name}.png"
        files[name].write_bytes(png(seed, impression))
    return files


def test_a_tenprint_transaction_is_packed_shown_and_enrolled(
        store_url: str, register: Register, tmp_path: Path, tenprint: dict[str, Path]) -> None:
    pesel = born(register, "Łucja", "Wójcik", "F", "1991-02-03").pesel
    cli = Cli(store_url)
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    packed = tmp_path / "tenprint.an2"
    assert "2 finger image(s)" in cli("fingerprints", "nist-pack", str(packed), "--scan",
                                      f"2={tenprint['2']}", "--scan", f"7={tenprint['7']}",
                                      "--pesel", pesel, "--minutiae", "--control-number",
                                      "KWP-1")
    shown = cli("fingerprints", "nist-show", str(packed))
    assert "CAR from PL0000000" in shown and f"subject: {pesel}" in shown
    assert "Type-14 finger position 7: " in shown and "WSQ20" in shown and "minutiae (A)" in shown

    out = cli("fingerprints", "enrol", pesel, "--nist", str(packed), "-d", "KWP/2026/1")
    assert "finger 2: quality" in out and "finger 7: quality" in out
    record = cli.json("show", pesel)
    assert isinstance(record, dict) and [f["finger"] for f in record["fingers"]] == [2, 7]
    assert "MATCH" in cli("fingerprints", "verify", pesel, "--finger", "2",
                          str(tenprint["again"]))


def test_a_refused_transaction_changes_nothing(store_url: str, register: Register,
                                               tmp_path: Path, tenprint: dict[str, Path]) -> None:
    pesel = born(register, "Jan", "Lis", "M", "1980-01-01").pesel
    other = born(register, "Ewa", "Lis", "F", "1982-01-01").pesel
    cli = Cli(store_url)
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    packed = tmp_path / "other.an2"
    cli("fingerprints", "nist-pack", str(packed), "--scan", f"2={tenprint['2']}",
        "--pesel", other)
    truncated = tmp_path / "truncated.an2"
    truncated.write_bytes(packed.read_bytes()[:-40])
    before = count_events(register)
    for path, says in ((packed, f"is for PESEL {other}"), (truncated, "not a valid")):
        err = cli("fingerprints", "enrol", pesel, "--nist", str(path), "-d", "X/1", code=5)
        assert err.startswith("error: ") and says in err and len(err.strip().splitlines()) == 1
    assert cli("fingerprints", "nist-show", str(truncated), code=5).startswith("error: ")
    assert count_events(register) == before
