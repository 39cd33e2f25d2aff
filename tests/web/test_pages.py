"""The web interface in a real browser: each role's day, refusals, languages, accessibility."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, expect

from openpesel.access.gate import Principal
from openpesel.access.policy import NEEDS_LEGAL_BASIS, Role
from openpesel.web.purposes import Purpose
from openpesel.web.render import MENU, landing, menu
from openpesel.web.session import Viewer
from tests.support.live import SECRET
from tests.web.conftest import Site, log_in, main_page, shot

LANDING_HEADING = {"/dashboard": "Pulpit", "/search": "Wyszukiwanie w rejestrze",
                   "/check": "Czy ten PESEL jest zastrzeżony?", "/me": "Moje dane",
                   "/audit": "Dziennik dostępu",
                   "/verification": "Czy te dane zgadzają się z rejestrem?",
                   "/examiner": "Sprawy podejrzenia podwójnej tożsamości"}


def test_every_role_logs_in_to_its_own_start_page(site: Site, context: BrowserContext) -> None:
    for role in Role:
        if role is Role.RESIDENT:
            continue
        page = context.new_page()
        log_in(page, site, role.value)
        v = Viewer(Principal(role.value, role), "pl", Purpose())
        expected = landing(v)
        if role in NEEDS_LEGAL_BASIS:
            # The law must say why before anything is shown.
            assert "/purpose" in page.url, page.content()[-2500:]
            page.get_by_label("Cel", exact=True).fill("postępowanie przygotowawcze")
            page.get_by_label("Podstawa prawna").fill("art. 14 ustawy o Policji")
            page.get_by_label("Sygnatura sprawy").fill("RSD-7/26")
            page.get_by_role("button", name="Zapisz").click()
        if expected in LANDING_HEADING:
            expect(page.locator("h1")).to_contain_text(LANDING_HEADING[expected])
        assert page.url.split("?")[0].endswith(expected), (role, page.url)
        shown = {a.get_attribute("href") for a in page.locator("nav.menu ul a").all()}
        assert shown == {href for href, _ in menu(v)}, role
        page.close()
    assert {path for path, _, _ in MENU} <= set(LANDING_HEADING) | {"/events/new"}


def test_register_a_birth_through_the_form_and_find_the_child(site: Site,
                                                              context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "usc_registrar")
    main_page(page, "dashboard")
    expect(page.locator("svg.chart")).to_have_count(3)
    page.get_by_role("link", name="Zapisz zdarzenie").click()
    main_page(page, "event-kinds")
    page.get_by_role("link", name="urodzenie", exact=True).click()
    page.get_by_label(re.compile("^imiona")).fill("Łucja Bożena")
    page.get_by_label(re.compile("^nazwisko")).first.fill("Żądło")
    page.get_by_label(re.compile("^płeć")).select_option("F")
    page.get_by_label(re.compile("^data urodzenia")).fill("2026-11-02")
    page.get_by_label(re.compile("^miejsce urodzenia")).fill("Gdańsk")
    page.get_by_label(re.compile("^PESEL matki")).fill(site.people["mother"])
    page.get_by_label(re.compile("^Oznaczenie dokumentu")).fill("USC/2026/501")
    main_page(page, "event-form-birth")
    page.get_by_role("button", name="Zapisz").click()
    expect(page.locator("h1")).to_contain_text("Łucja Bożena Żądło")
    pesel = page.url.split("/persons/")[1].split("?")[0]
    assert pesel.startswith("263102")
    expect(page.locator("ol.timeline")).to_contain_text("urodzenie")
    expect(page.locator("ul.links")).to_contain_text("Zofia Nowak")  # the mother, linked

    page.get_by_role("link", name="Szukaj").click()
    page.get_by_label("Imiona i nazwisko lub PESEL").fill("Lucja Zadlo")  # no diacritics
    page.get_by_role("button", name="Szukaj").click()
    expect(page.locator("table.data")).to_contain_text(pesel)
    main_page(page, "search")


def test_a_rejected_form_says_why_beside_each_field_and_changes_nothing(
        site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "usc_registrar")
    before = site.events()
    page.goto(site.url + "/events/new?kind=birth&lang=en")
    page.get_by_label(re.compile("^First names")).fill("Ola")
    page.get_by_label(re.compile("^Family name")).first.fill("N0wak")
    page.get_by_label(re.compile("^Birth place")).fill("Kraków")
    page.get_by_label(re.compile("^Mother PESEL")).fill("12345678901")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("[role=alert]")).to_contain_text("The event was not recorded")
    expect(page.locator("#family_name-error")).to_contain_text("A name is letters")
    expect(page.locator("#sex-error")).to_contain_text("This field is required.")
    expect(page.locator("#birth_date-error")).to_contain_text("This field is required.")
    expect(page.locator("#mother_pesel-error")).not_to_be_empty()
    expect(page.locator("#document_ref-error")).to_contain_text("required")
    expect(page.locator("#f-family_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-birth_place")).to_have_value("Kraków")  # what was typed stays
    main_page(page, "event-form-rejected")
    assert site.events() == before

    # The register's own rules refuse too: a death before the birth.
    page.goto(site.url + f"/events/new?kind=died&pesel={site.people['father']}&lang=en")
    page.get_by_label(re.compile("^Effective date")).fill("1970-01-01")
    page.get_by_label(re.compile("^Document reference")).fill("USC/Z/1")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("[role=alert]")).to_be_visible()
    assert site.events() == before


def test_the_timeline_and_the_record_as_of_a_past_date(site: Site,
                                                      context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "usc_registrar")
    mother = site.people["mother"]
    page.goto(site.url + f"/persons/{mother}")
    expect(page.locator("h1")).to_contain_text("Zofia Nowak")
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text("zawarcie małżeństwa")
    expect(page.locator("ul.links")).to_contain_text("Jaś Nowak")
    main_page(page, "person")
    page.get_by_label("Pokaż dane na dzień").fill("2010-01-01")
    page.get_by_role("button", name="Pokaż", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Zofia Wójcik")  # before the marriage
    expect(page.locator("#record-h")).to_contain_text("2010-01-01")
    shot(page, "person-as-of")
    # Jaś was born in 2016: on 2010-01-01 his mother's record lists no child (issue 13).
    expect(page.get_by_role("link", name="Jaś Nowak")).to_have_count(0)


def test_a_forbidden_page_is_refused_kindly(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    response = page.goto(site.url + "/audit")
    assert "/login" in page.url  # no session: to the login form first
    main_page(page, "login")
    log_in(page, site, "bank")
    response = page.goto(site.url + "/audit")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_contain_text("Nie masz dostępu do tej strony")
    expect(page.locator("[role=alert]")).to_contain_text("nie może zarządzać dziennikiem dostępu")
    main_page(page, "forbidden")
    response = page.goto(site.url + f"/persons/{site.people['mother']}")
    assert response is not None and response.status == 403


def test_a_bank_checks_a_reservation_the_resident_made(site: Site, context: BrowserContext,
                                                       browser: Browser) -> None:
    resident = context.new_page()
    other = browser.new_context(bypass_csp=True)  # the bank is another browser
    bank = other.new_page()
    log_in(resident, site, "zofia")
    expect(resident.locator("h1")).to_contain_text("Moje dane")
    expect(resident.locator("#reservation")).to_contain_text("30 minutach")
    resident.get_by_role("button", name="Zastrzeż mój PESEL").click()
    expect(resident.locator("#reservation [role=status]")).to_contain_text("zastrzeżony od")

    log_in(bank, site, "bank")
    bank.get_by_label("PESEL").fill(site.people["mother"])
    bank.get_by_role("button", name="Sprawdź").click()
    expect(bank.locator(".verdict")).to_contain_text("ZASTRZEŻONY")
    main_page(bank, "reservation-check")

    resident.reload()
    expect(resident.locator("#checks-h + table")).to_contain_text("bank")
    expect(resident.locator("#children-h ~ ul")).to_contain_text("Jaś Nowak")
    main_page(resident, "resident-portal")
    with resident.expect_download() as download:
        resident.get_by_role("link", name="Pobierz podpisany raport (JSON)").click()
    assert "signature" in download.value.path().read_text()
    resident.get_by_role("link", name="Jaś Nowak").click()
    expect(resident.locator("h1")).to_contain_text("Jaś Nowak")
    resident.goto(site.url + "/me")
    resident.get_by_role("button", name="Cofnij zastrzeżenie").click()
    expect(resident.locator("#reservation [role=status]")).to_contain_text("nie jest zastrzeżony")
    resident.get_by_role("button", name="Zastrzeż mój PESEL").click()  # too soon: the 30 minutes
    expect(resident.locator("[role=alert]")).to_contain_text("30 minut")
    other.close()


def test_the_supervisor_verifies_the_audit_log(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "admin")
    expect(page.locator("h1")).to_contain_text("Dziennik dostępu")
    expect(page.locator("table.data")).to_contain_text("usc_registrar")
    page.get_by_role("button", name="Sprawdź dziennik i podpisz korzeń drzewa").click()
    expect(page.locator("[role=status]")).to_contain_text("Dziennik jest nienaruszony.")
    main_page(page, "audit")


def test_language_switch_is_remembered(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(site.url + "/login")
    assert page.locator("html").get_attribute("lang") == "pl"
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("h1")).to_have_text("Log in")
    log_in(page, site, "statistics")
    expect(page.locator("h1")).to_have_text("Dashboard")  # the cookie keeps the choice
    page.get_by_role("link", name="Polski").click()
    expect(page.locator("h1")).to_have_text("Pulpit")


def test_the_keyboard_alone_logs_in(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(site.url + "/login?lang=en")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(10):  # on through the form, in document order
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(SECRET)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Audit log")
    page.wait_for_load_state("load")  # the stylesheet too, or the browser's own outline shows
    outline = page.evaluate("""() => { const a = document.querySelector('nav.menu a');
        a.focus(); return getComputedStyle(a).outlineStyle; }""")
    assert outline == "solid"  # focus is visible
