"""Browser tests: Debian's Chromium driven by Playwright against a live server.

One browser for the whole session and one server (with its own SQLite
register) per module keep the run short. Every main page is screenshotted
under ``artifacts/screenshots/`` and checked with axe-core, injected from
``node_modules`` (``make browser`` installs both).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.config import Settings
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.live import SECRET, Live, live_server, totp_code
from tests.support.office import born, event

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "artifacts" / "screenshots"
AXE_REPORT = ROOT / "artifacts" / "axe.json"
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make browser` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


class Site:
    """The live server, its register, and the people the stories need."""

    def __init__(self, live: Live, register: Register[Store], people: dict[str, str]) -> None:
        self.live = live
        self.register = register
        self.people = people
        self.url = live.url

    def events(self) -> int:
        with self.register.store.read() as s:
            return s.count("events")


def family(register: Register) -> dict[str, str]:
    """Synthetic people: a couple with a minor child, the mother's name changed by marriage."""
    mother = born(register, "Zofia", "Wójcik", "F", "1985-05-12").pesel
    father = born(register, "Łukasz", "Nowak", "M", "1983-02-01").pesel
    event(register, ev.Kind.MARRIED, mother, "2012-06-30", spouse_pesel=father,
          family_name="Nowak")
    child = born(register, "Jaś", "Nowak", "M", "2016-09-09", mother_pesel=mother,
                 father_pesel=father).pesel
    return {"mother": mother, "father": father, "child": child}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("web")
    store = Store(f"sqlite:///{folder / 'register.sqlite'}")
    store.initialise()
    register = Register(store)
    people = family(register)
    with live_server(register, Settings(data_dir=folder)) as live:
        totp = live.gate.add_principal(console("test set-up"), "zofia", Role.RESIDENT, SECRET,
                                          pesel=people["mother"])
        assert totp is not None
        live.totp["zofia"] = totp
        yield Site(live, register, people)
    store.dispose()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # axe is injected as an inline script, which the pages' CSP would (rightly) refuse.
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def log_in(page: Page, site: Site, name: str) -> None:
    page.goto(site.url + "/login")
    page.get_by_label(re.compile("^(Name|Nazwa)$")).fill(name)
    page.get_by_label(re.compile("^(Secret|Hasło)$")).fill(SECRET)
    if name in site.live.totp:
        page.locator("#totp").fill(totp_code(site.live.gate, name, site.live.totp[name]))
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def accessible(page: Page, name: str) -> list[dict[str, Any]]:
    """Run axe-core on the page; returns the serious and critical violations (none, we hope)."""
    assert AXE.exists(), "axe-core is missing: `make browser` installs it (npm ci)"
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
              .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
                          targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))""")
    report = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else {}
    report[name] = violations
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(report, indent=1, sort_keys=True))
    return [v for v in violations if v["impact"] in BLOCKING]


def main_page(page: Page, name: str) -> None:
    """A main page: saved as a screenshot, and held to no serious accessibility violation."""
    shot(page, name)
    assert accessible(page, name) == []
