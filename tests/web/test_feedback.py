"""Feedback in the browser: banners after a write, required fields, only possible events,
named candidates, a filterable audit log, local time beside UTC."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import BrowserContext, expect

from openpesel.access.policy import Role
from tests.support.adjudication_kit import as_role
from tests.support.office import born
from tests.web.conftest import Site, log_in


def test_recording_an_event_says_so_and_the_pesel_field_is_marked_required(
        site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "usc_registrar")
    page.goto(site.url + f"/events/new?kind=name_changed&pesel={site.people['child']}")
    label = page.locator("label[for=pesel]")
    expect(label).to_contain_text("PESEL osoby")
    expect(label.locator(".req")).to_have_text("(wymagane)")
    expect(page.locator("#pesel")).to_have_attribute("required", "")
    page.goto(site.url + "/events/new?kind=birth")
    for name in ("first_names", "family_name", "sex", "birth_date", "birth_place"):
        expect(page.locator(f"#f-{name}")).to_have_attribute("required", "")
    expect(page.locator("#f-mother_pesel")).not_to_have_attribute("required", "")

    page.goto(site.url + f"/events/new?kind=name_changed&pesel={site.people['child']}")
    page.get_by_label(re.compile("^nazwisko")).fill("Kowalski")
    page.get_by_label(re.compile("^Oznaczenie dokumentu")).fill("USC/N/2026/9")
    page.get_by_role("button", name="Zapisz").click()
    banner = page.locator("#done[role=status]")
    expect(banner).to_contain_text("Zapisano: zmiana imienia lub nazwiska")
    # A made-up number in the address confirms nothing.
    page.goto(site.url + f"/persons/{site.people['child']}?recorded=999999")
    expect(page.locator("#done")).to_have_count(0)


def test_a_newborn_is_offered_only_what_a_newborn_can_have(site: Site,
                                                           context: BrowserContext) -> None:
    today = site.live.gate.clock().date()
    baby = born(site.register, "Ala", "Lis", "F", (today - datetime.timedelta(days=3))
                .isoformat()).pesel
    page = context.new_page()
    log_in(page, site, "usc_registrar")
    page.goto(site.url + f"/persons/{baby}")
    offered = page.locator("ul.actions")
    for kind in ("zawarcie małżeństwa", "rozwód", "zmiana płci", "zgon małżonka"):
        expect(offered.get_by_role("link", name=kind, exact=True)).to_have_count(0)
    expect(offered.get_by_role("link", name="zmiana imienia lub nazwiska")).to_have_count(1)
    expect(offered.get_by_role("link", name="zgon", exact=True)).to_have_count(1)
    page.goto(site.url + f"/persons/{site.people['father']}")  # married adult
    expect(offered.get_by_role("link", name="rozwód")).to_have_count(1)
    expect(offered.get_by_role("link", name="zawarcie małżeństwa")).to_have_count(0)


def test_a_case_names_its_candidates_and_confirms_the_decision(
        site: Site, context: BrowserContext) -> None:
    case = site.live.gate.desk.open_case(as_role(Role.EXAMINER), site.people["mother"],
                                         site.people["father"])
    page = context.new_page()
    log_in(page, site, "examiner")
    page.goto(site.url + f"/examiner/cases/{case.case_id}")
    row = page.locator("#cand-h + table tbody tr").first
    expect(row).to_contain_text("Łukasz Nowak")
    expect(row).to_contain_text("1983-02-01")
    expect(page.locator("#candidate option").nth(1)).to_contain_text("Łukasz Nowak")
    page.get_by_label("różne osoby").check()
    page.get_by_label("Uzasadnienie").fill("Inne daty urodzenia, inna płeć.")
    page.get_by_role("button", name="Zapisz rozstrzygnięcie").click()
    expect(page.locator("#done[role=status]")).to_contain_text(
        "Rozstrzygnięcie zapisano: różne osoby")


def test_the_audit_log_is_filtered_and_reads_in_words(site: Site,
                                                      context: BrowserContext) -> None:
    clerk = context.new_page()
    log_in(clerk, site, "municipal_clerk")
    clerk.goto(site.url + f"/persons/{site.people['mother']}")
    page = context.new_page()
    log_in(page, site, "admin")
    page.get_by_label("Kto (login)").fill("municipal_clerk")
    page.get_by_label("Czynność").select_option("read")
    page.get_by_role("button", name="Filtruj").click()
    rows = page.locator("#entries-h + table tbody tr")
    expect(rows.first).to_contain_text("odczyt danych")
    expect(rows.first).to_contain_text("sprawy meldunkowe i dowodów osobistych")
    expect(rows.first).to_contain_text("czasu polskiego")
    for i in range(rows.count()):
        expect(rows.nth(i).locator("td").nth(2)).to_have_text("municipal_clerk")
    assert "principal=municipal_clerk" in page.url

    page.get_by_label("Kto (login)").fill("")
    page.get_by_label("PESEL osoby").fill(site.people["mother"])
    page.get_by_label("Czynność").select_option("")
    page.get_by_label("Od dnia").fill(datetime.date.today().isoformat())
    page.get_by_role("button", name="Filtruj").click()
    expect(rows.first).to_contain_text(site.people["mother"])
    for i in range(rows.count()):
        expect(rows.nth(i).locator("td").nth(6)).to_have_text(site.people["mother"])
    page.get_by_label("PESEL osoby").fill("12345678901")
    page.get_by_role("button", name="Filtruj").click()
    expect(page.locator("#a-pesel-error")).to_contain_text("Cyfra kontrolna")
