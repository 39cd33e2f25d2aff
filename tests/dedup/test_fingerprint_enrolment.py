"""Fingerprints on the register, end to end: CLI and API, both stores, synthetic fingers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from openpesel.biometrics.synthetic import SyntheticFinger
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.cli.test_cli import Cli
from tests.support.live import Live, live_server
from tests.support.office import born, count_events


def png(seed: int, impression: int) -> bytes:
    buffer = io.BytesIO()
    pixels = SyntheticFinger.create(seed).impression(impression).pixels
    Image.fromarray(pixels, "L").save(buffer, "PNG", dpi=(500, 500))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scans")
    out = {}
    for name, (seed, impression) in {"enrol": (11, 0), "same": (11, 1), "other": (12, 0)}.items():
        out[name] = folder / f"{name}.png"
        out[name].write_bytes(png(seed, impression))
    blank = folder / "blank.png"
    Image.new("L", (300, 400), 255).save(blank)
    out["blank"] = blank
    return out


def test_enrol_and_verify_from_the_console(store: Store, store_url: str, register: Register,
                                            tmp_path: Path, scans: dict[str, Path]) -> None:
    adult = born(register, "Jan", "Nowak", "M", "1990-01-01").pesel
    child = born(register, "Ola", "Nowak", "F", "2020-01-01").pesel
    cli = Cli(store_url)
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    out = cli("fingerprints", "enrol", adult, "--scan", f"2={scans['enrol']}",
              "--missing", "7=bandaged", "-d", "DO/2026/1")
    assert "finger 2: quality" in out and "recorded #" in out
    record = cli.json("show", adult)
    assert isinstance(record, dict) and [f["finger"] for f in record["fingers"]] == [2]
    assert (tmp_path / "fingerprints").exists()  # the image is in the content-addressed store

    assert "MATCH" in cli("fingerprints", "verify", adult, "--finger", "2", str(scans["same"]))
    # Synthetic impostors score higher than real ones (docs/fingerprints.md), so the impostor
    # is judged at the strictest calibrated rate.
    refused = cli("fingerprints", "verify", adult, "--finger", "2", str(scans["other"]),
                  "--false-match-rate", "0.0001", code=12)
    assert refused == ""  # the verdict goes to stdout; exit code 12 says "no match"
    assert "No fingerprint 3 is enrolled" in cli("fingerprints", "verify", adult, "--finger",
                                                 "3", str(scans["same"]), code=4)

    before = count_events(register)
    assert "under 12" in cli("fingerprints", "enrol", child, "--scan", f"2={scans['enrol']}",
                             "-d", "DO/2026/2", "--accept-low-quality", code=6)
    err = cli("fingerprints", "enrol", adult, "--scan", f"3={scans['blank']}", "-d", "DO/3",
              code=1)
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert count_events(register) == before


@pytest.fixture
def live(register: Register, tmp_path: Path) -> Iterator[Live]:
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        yield server


def test_enrol_and_verify_over_http(live: Live, register: Register,
                                    scans: dict[str, Path]) -> None:
    pesel = born(register, "Ewa", "Lis", "F", "1985-05-05").pesel
    with live.as_("municipal_clerk", purpose="ID card application") as clerk:
        r = clerk.post(f"/persons/{pesel}/fingerprints",
                       data={"fingers": ["2"], "document_ref": "DO/7"},
                       files=[("scans", ("enrol.png", scans["enrol"].read_bytes(),
                                         "image/png"))])
        assert r.status_code == 201, r.text
        assert r.json()["fingers"][0]["finger"] == 2
        same = clerk.post(f"/persons/{pesel}/fingerprints/2/verification",
                          files={"scan": ("s.png", scans["same"].read_bytes(), "image/png")})
        other = clerk.post(f"/persons/{pesel}/fingerprints/2/verification",
                           params={"false_match_rate": 0.0001},
                           files={"scan": ("o.png", scans["other"].read_bytes(), "image/png")})
        assert same.json()["match"] is True and other.json()["match"] is False
        junk = clerk.post(f"/persons/{pesel}/fingerprints/2/verification",
                          files={"scan": ("x.png", b"not an image", "image/png")})
        assert junk.status_code == 422 and junk.json()["type"] == "/problems/fingerprint"
    with live.as_("bank", purpose="curiosity") as bank:
        assert bank.post(f"/persons/{pesel}/fingerprints/2/verification",
                         files={"scan": ("s.png", b"x", "image/png")}).status_code == 403
