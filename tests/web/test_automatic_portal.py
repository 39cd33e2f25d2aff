"""Issue 20 §1 on the resident's portal, without a browser: a lost ID card reported from the
portal, the automatic reservation shown with its reason in Polish and English (never the
cause's code), and a death's reservation that offers no withdrawal."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.config import Settings
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.live import SECRET, Live, live_server, totp_code
from tests.support.office import GMINA, born, event
from tests.web.conftest import Site, log_in, main_page

CARD = "ABC123456"
REASON_PL = "Zastrzeżony z mocy prawa, ponieważ zgłoszono utratę lub kradzież dowodu osobistego."
REASON_EN = "Reserved by law because an ID card was reported lost or stolen."
DEATH_PL = "Zastrzeżony z mocy prawa z powodu zgonu posiadacza"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Live, Register, str]]:
    store = Store(f"sqlite:///{tmp_path / 'register.sqlite'}")
    store.initialise()
    register = Register(store)
    ewa = born(register, "Ewa", "Lis", "F", "1980-05-01").pesel
    event(register, ev.Kind.ID_CARD_ISSUED, ewa, "2024-01-02", GMINA, number=CARD,
          valid_until="2034-01-01")
    with live_server(register, Settings(data_dir=tmp_path)) as site:
        totp = site.gate.add_principal(console("test set-up"), "ewa", Role.RESIDENT, SECRET,
                                       pesel=ewa)
        assert totp is not None
        site.totp["ewa"] = totp
        yield site, register, ewa
    store.dispose()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@contextmanager
def portal(site: Live) -> Iterator[httpx.Client]:
    """A resident logged in to the portal (the session cookie kept by the client)."""
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=30) as c:
        token = _csrf(c.get("/login").text)
        done = c.post("/login", data={"username": "ewa", "secret": SECRET, "csrf": token,
                                      "totp": totp_code(site.gate, "ewa", site.totp["ewa"]),
                                      "next": "/me"})
        assert done.status_code == 303, done.text[-2000:]
        yield c


def test_a_loss_reported_on_the_portal_shows_its_reason_in_both_languages(
        live: tuple[Live, Register, str]) -> None:
    site, register, ewa = live
    with portal(site) as c:
        me = c.get("/me")
        assert me.status_code == 200 and 'action="/me/documents/lost"' in me.text
        bad = c.post("/me/documents/lost", data={"csrf": _csrf(me.text), "number": "12",
                                                 "reason": "lost"})
        assert bad.status_code == 422 and "trzy litery i sześć cyfr" in bad.text
        odd = c.post("/me/documents/lost", data={"csrf": _csrf(bad.text), "number": CARD,
                                                 "reason": "burnt"})
        assert odd.status_code == 422
        done = c.post("/me/documents/lost", data={"csrf": _csrf(odd.text), "number": CARD,
                                                  "reason": "stolen"})
        assert done.status_code == 303 and done.headers["location"] == "/me#reservation"
        assert register.show(ewa)["reservation"]["cause"] == "id_document_reported_lost"
        polish = c.get("/me").text
        assert REASON_PL in polish and "zgłoszenie utraty dowodu osobistego" in polish
        # The timeline shows the reason in words, not the cause's code.
        assert "id_document_reported_lost" not in polish
        assert 'action="/me/reservation/withdrawal"' in polish  # a loss's may be withdrawn
        english = c.get("/me?lang=en").text
        assert REASON_EN in english and "id_document_reported_lost" not in english
        again = c.post("/me/documents/lost", data={"csrf": _csrf(english), "number": CARD,
                                                   "reason": "lost"})
        assert again.status_code == 409 and "holds no valid document" in again.text


def test_a_death_reservation_is_shown_without_a_withdrawal(
        live: tuple[Live, Register, str]) -> None:
    site, register, ewa = live
    with portal(site) as c:
        event(register, ev.Kind.DIED, ewa, datetime.date.today().isoformat())
        me = c.get("/me").text
        assert 'action="/me/reservation/withdrawal"' not in me
        assert me.count(DEATH_PL) == 3  # the reservation card, the record, the timeline
        refused = c.post("/me/reservation/withdrawal", data={"csrf": _csrf(me), "at": ""})
        assert refused.status_code == 409
        assert "Zastrzeżenia dokonanego z powodu zgonu nie można cofnąć" in refused.text
        assert register.show(ewa)["reservation"]["cause"] == "died"


def test_in_the_browser_a_loss_reported_and_its_reason(site: Site,
                                                       context: BrowserContext) -> None:
    """The portal's form and the reason as a resident sees them (screenshot, axe)."""
    father = site.people["father"]
    event(site.register, ev.Kind.ID_CARD_ISSUED, father, "2024-01-02", GMINA, number="DEF654321",
          valid_until="2034-01-01")
    totp = site.live.gate.add_principal(console("test set-up"), "lukasz", Role.RESIDENT,
                                        SECRET, pesel=father)
    assert totp is not None
    site.live.totp["lukasz"] = totp
    page = context.new_page()
    log_in(page, site, "lukasz")
    page.goto(site.url + "/me#reservation")
    expect(page.get_by_label("Seria i numer dowodu osobistego")).to_have_value("DEF654321")
    page.get_by_label("Co się stało").select_option("stolen")
    page.get_by_role("button", name="Zgłoś utratę dowodu").click()
    expect(page.locator("#reservation-reason")).to_contain_text(REASON_PL)
    main_page(page, "resident-automatic-reservation")
    page.goto(site.url + "/me?lang=en")
    expect(page.locator("#reservation-reason")).to_contain_text(REASON_EN)
    expect(page.locator("#history-h ~ ol")).not_to_contain_text("id_document_reported_lost")
