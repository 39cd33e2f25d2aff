"""Fingerprints in the browser: enrolment with a rescan prompt, and an examiner's case."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, expect

from openpesel.access.policy import Role
from openpesel.biometrics.synthetic import SyntheticFinger
from openpesel.dedup.cases import Status
from tests.support.adjudication_kit import apply_for, as_role, foreigner
from tests.web.conftest import Site, log_in, main_page


def scan(seed: int, impression: int = 0, noise: float = 12.0) -> bytes:
    """A synthetic finger at the adjudication tests' small size; noise 60 scores low."""
    finger = SyntheticFinger.create(seed, width=192, height=224, iterations=8)
    buffer = io.BytesIO()
    Image.fromarray(finger.impression(impression, noise=noise).pixels, "L").save(
        buffer, "PNG", dpi=(500, 500))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scans")
    made = {"thumb": scan(21), "index": scan(22), "smudged": scan(23, noise=60.0),
            "anna": scan(11, 0), "anna-again": scan(11, 1)}
    out = {}
    for name, data in made.items():
        out[name] = folder / f"{name}.png"
        out[name].write_bytes(data)
    return out


def test_enrolment_shows_quality_per_finger_and_asks_for_a_rescan(
        site: Site, context: BrowserContext, scans: dict[str, Path]) -> None:
    page = context.new_page()
    log_in(page, site, "municipal_clerk")
    page.goto(site.url + f"/persons/{site.people['father']}")
    page.get_by_role("link", name="Pobranie odcisków palców").click()
    main_page(page, "fingerprints-form")
    before = site.events()
    page.get_by_label("1 · prawy kciuk").set_input_files(scans["thumb"])
    page.get_by_label("2 · prawy wskazujący").set_input_files(scans["smudged"])
    page.get_by_label(re.compile("^Oznaczenie dokumentu")).fill("DO/2026/88")
    page.get_by_role("button", name="Zapisz odciski").click()
    expect(page.locator("[role=alert]")).to_contain_text("Zeskanuj ponownie palce: 2")
    rows = page.locator("table.quality tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Zeskanuj ten palec ponownie")
    expect(rows.nth(0)).to_contain_text("Dobra")
    main_page(page, "fingerprints-rescan")
    assert site.events() == before  # nothing recorded

    page.get_by_label("1 · prawy kciuk").set_input_files(scans["thumb"])
    page.get_by_label("2 · prawy wskazujący").set_input_files(scans["index"])
    page.get_by_label(re.compile("^Oznaczenie dokumentu")).fill("DO/2026/88")
    page.get_by_role("button", name="Zapisz odciski").click()
    expect(page.locator("[role=status]")).to_contain_text("Odciski zapisano jako zdarzenie")
    expect(page.locator("table.quality tbody tr")).to_have_count(2)
    assert site.events() == before + 1
    page.get_by_role("link", name="Powrót do danych osoby").click()
    expect(page.locator("dl.record")).to_contain_text("palec 1")
    expect(page.locator("ol.timeline")).to_contain_text("pobranie odcisków palców")


@pytest.fixture(scope="module")
def held_case(site: Site, scans: dict[str, Path]) -> Iterator[str]:
    """Anna is registered; the same finger then comes back as Hanna: a case is held."""
    gate = site.live.gate
    first = apply_for(gate, foreigner("Anna", "Szewczenko", "F", "1990-04-02"),
                      scans["anna"].read_bytes(), "GMINA/UKR/1")
    assert first.recorded is not None
    held = apply_for(gate, foreigner("Hanna", "Kowalenko", "F", "1991-07-09"),
                     scans["anna-again"].read_bytes(), "GMINA/UKR/2")
    assert held.case_id is not None
    yield str(held.case_id)


def test_an_examiner_compares_and_decides_a_case(site: Site, context: BrowserContext,
                                                  held_case: str) -> None:
    page = context.new_page()
    log_in(page, site, "examiner")
    expect(page.locator("h1")).to_contain_text("Sprawy podejrzenia podwójnej tożsamości")
    main_page(page, "examiner-queue")
    page.get_by_role("link", name=held_case[:8]).click()
    expect(page.locator("h1")).to_contain_text("otwarta")
    image = page.locator("#evidence-views img")
    expect(image).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) > 300
    expect(page.locator("svg.minutiae line.pair").first).to_be_attached()
    pairs = page.locator("svg.minutiae line.pair").count()
    assert pairs >= 5
    expect(page.locator("#ev-h + p")).to_contain_text(f"sparowane minucje {pairs}")
    before = image.bounding_box()
    page.get_by_role("button", name="Powiększ").click()
    after = image.bounding_box()
    assert before is not None and after is not None and after["width"] > before["width"] * 1.4
    main_page(page, "examiner-case")

    page.get_by_label("różne osoby").check()
    page.get_by_role("button", name="Zapisz rozstrzygnięcie").click()  # no comment yet
    expect(page.locator("#comment-error")).to_contain_text("Napisz krótko")
    page.get_by_label("różne osoby").check()
    page.get_by_label("Uzasadnienie").fill("Bliźnięta: przebieg linii w rdzeniu się różni.")
    page.get_by_role("button", name="Zapisz rozstrzygnięcie").click()
    expect(page.locator("h1")).to_contain_text("różne osoby")
    expect(page.locator("#dec-h ~ p").first).to_contain_text("Bliźnięta")
    case = site.live.gate.desk.show(as_role(Role.EXAMINER), uuid.UUID(held_case))
    assert case.status is Status.DIFFERENT
