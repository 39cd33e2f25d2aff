"""Every page in Polish, as every role, with no English left on it.

The walk logs in as each role (registrar, operator, municipal clerk, resident,
examiner, supervisor, bank, police, statistics, ABIS client), opens every page
the role has (every event form, the record as of a date, the examiner's case
with its evidence, the audit log filtered and verified, the error pages) and
provokes the register's refusals (a check-digit error, a death before the
birth, a second reservation too soon, a decision without a comment).

On each page every text node and every ``title``/``alt``/``aria-label`` is
split into words. A word fails if it is English: one of the words the project
writes in English (its string literals and the catalogue's English keys) that
Polish does not also use (the catalogue's Polish values), less an allow-list of
codes and names. People's own data (names, document references, stated
purposes, logins) is marked ``translate="no"`` by the templates and skipped.
"""

from __future__ import annotations

import ast
import datetime
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from openpesel.access.policy import Role
from openpesel.registry import events as ev
from openpesel.web.forms import NOT_BY_FORM
from openpesel.web.i18n import polish
from tests.support.adjudication_kit import apply_for, as_role, foreigner, png
from tests.support.office import born
from tests.web.conftest import Site, log_in

SRC = Path(__file__).resolve().parents[2] / "src" / "openpesel"
_WORD = re.compile(r"(?<!\w)[A-Za-z]{2,}(?!\w)")
ALLOWED = {
    # codes, formats and names that read the same in Polish
    "pesel", "teryt", "terc", "usc", "utc", "iso", "json", "pdf", "png", "tiff", "bmp", "jpeg",
    "wsq", "mb", "api", "abis", "openpesel", "dpi", "kro", "pol", "ukr", "cet", "cest", "id",
    "nfiq", "gmina", "polski",
}
SINGLE_LETTERS = {"F"}  # the one English letter code a page could show raw (sex F, Polish K)


def _strings(source: str) -> Iterator[str]:
    """Every string constant in a module except its docstrings (those are for developers)."""
    tree = ast.parse(source)
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                          | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.value


def english_words() -> frozenset[str]:
    """The English the project could put on a page, less the words Polish shares."""
    english: set[str] = set()
    for module in SRC.rglob("*.py"):
        for text in _strings(module.read_text(encoding="utf-8")):
            english |= {w.lower() for w in _WORD.findall(text)}
    catalogue = polish()
    for key in catalogue:
        english |= {w.lower() for w in _WORD.findall(key.rpartition("|")[2].replace("_", " "))}
    # A Polish value's {slot} names are English words, not Polish ones: leave them out.
    polish_words = {w.lower() for text in catalogue.values()
                    for w in _WORD.findall(re.sub(r"\{[a-z_]+\}", " ", text))}
    names = {w.lower() for f in (SRC / "population" / "names").glob("*.txt")
             for w in _WORD.findall(f.read_text(encoding="utf-8"))}
    return frozenset(english - polish_words - names - ALLOWED)


ENGLISH = english_words()

_TEXTS = """() => {
  const out = [];
  const skip = el => !el || el.closest('[translate="no"], script, style');
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) { if (!skip(node.parentElement)) out.push(node.textContent); }
  for (const el of document.querySelectorAll('[title], [alt], [aria-label], [placeholder]')) {
    if (skip(el)) continue;
    for (const a of ['title', 'alt', 'aria-label', 'placeholder']) {
      if (el.hasAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  return out;
}"""


def untranslated(texts: list[str]) -> list[str]:
    """The English words in a page's texts, each with a little of its context.

    >>> untranslated(["Data urodzenia: 2026-01-01", "permanent", "płeć: F", "PESEL"])
    ['permanent', 'F  (płeć: F)']
    """
    found = []
    for text in texts:
        for word in _WORD.findall(text):
            if word.lower() in ENGLISH:
                found.append(word if text.strip() == word else f"{word}  ({text.strip()[:80]})")
        found += [f"{t}  ({text.strip()[:80]})" for t in re.findall(r"\b[A-Z]\b", text)
                  if t in SINGLE_LETTERS]
    return found


class Walk:
    """The pages seen so far and the English found on each."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.english: dict[str, list[str]] = {}

    def check(self, page: Page, label: str = "") -> None:
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "pl", page.url
        where = f"{label or page.url.split('/', 3)[-1]}"
        self.seen.append(where)
        found = untranslated(page.evaluate(_TEXTS))
        if found:
            self.english[where] = sorted(set(found))

    def done(self, at_least: int) -> None:
        """The test saw enough pages, and none of them held English."""
        assert len(self.seen) >= at_least, self.seen
        assert self.english == {}

    def visit(self, page: Page, site: Site, path: str, status: int | None = 200) -> None:
        response = page.goto(site.url + path)
        assert response is not None
        if status is not None:
            assert response.status == status, (path, response.status, page.content()[-1500:])
        self.check(page, path)


@pytest.fixture
def walk() -> Walk:
    return Walk()


@pytest.fixture(scope="module")
def extra(site: Site) -> dict[str, str]:
    """A newborn, a case held on a fingerprint match, and one opened between two records."""
    gate = site.live.gate
    today = gate.clock().date()
    baby = born(site.register, "Ola", "Nowak", "F", (today - datetime.timedelta(days=20))
                .isoformat(), mother_pesel=site.people["mother"]).pesel
    anna = apply_for(gate, foreigner("Anna", "Szewczenko", "F", "1990-04-02"), png(11, 0),
                     "GMINA/UKR/1")
    assert anna.recorded is not None
    held = apply_for(gate, foreigner("Hanna", "Kowalenko", "F", "1991-07-09"), png(11, 1),
                     "GMINA/UKR/2")
    assert held.case_id is not None
    opened = gate.desk.open_case(as_role(Role.EXAMINER), site.people["mother"],
                                 site.people["father"])
    return {"baby": baby, "anna": anna.recorded.pesel, "held": str(held.case_id),
            "opened": str(opened.case_id)}


def _new(context: BrowserContext, site: Site, name: str) -> Page:
    page = context.new_page()
    log_in(page, site, name)
    return page


def test_registrar_and_operator_pages(site: Site, context: BrowserContext, walk: Walk,
                                      extra: dict[str, str]) -> None:
    page = context.new_page()
    walk.visit(page, site, "/login")
    page.get_by_label("Nazwa").fill("usc_registrar")
    page.get_by_label("Hasło").fill("not the secret at all")
    page.locator("form[action='/login'] button[type=submit]").click()
    walk.check(page, "login refused")
    log_in(page, site, "usc_registrar")
    mother, father, child = (site.people[k] for k in ("mother", "father", "child"))
    for path in ("/dashboard", "/search?q=Nowak", "/search?q=Qqqqxz&sex=F", "/events/new",
                 f"/persons/{mother}", f"/persons/{mother}?as_of=2010-01-01",
                 f"/persons/{child}", f"/persons/{extra['baby']}", "/purpose?next=/dashboard"):
        walk.visit(page, site, path)
    walk.visit(page, site, "/persons/44051401359", 404)  # valid number, no one holds it
    walk.visit(page, site, "/persons/12345678901", 422)  # a check-digit error
    walk.visit(page, site, f"/persons/{mother}?as_of=yesterday", 422)
    walk.visit(page, site, "/persons/44051401359?as_of=1900-01-01", None)
    walk.visit(page, site, "/audit", 403)
    walk.visit(page, site, "/no-such-page", 404)
    walk.visit(page, site, "/events/new?kind=id_card_issued", 403)  # another office's kind

    # The form's own errors, a check-digit error and the register's refusal.
    page.goto(site.url + "/events/new?kind=birth")
    page.get_by_label(re.compile("^PESEL matki")).fill("12345678901")
    page.get_by_role("button", name="Zapisz").click()
    walk.check(page, "birth form rejected")
    page.goto(site.url + f"/events/new?kind=died&pesel={father}")
    page.get_by_label(re.compile("^Data zdarzenia")).fill("1970-01-01")
    page.get_by_label(re.compile("^Oznaczenie dokumentu")).fill("USC/Z/1")
    page.get_by_role("button", name="Zapisz").click()
    expect(page.locator("[role=alert]")).to_contain_text("wcześniejszą niż urodzenie")
    walk.check(page, "death before birth refused")
    page.goto(site.url + f"/events/new?kind=name_changed&pesel={child}")
    page.get_by_label(re.compile("^nazwisko")).fill("Kowal")
    page.get_by_label(re.compile("^Oznaczenie dokumentu")).fill("USC/N/1")
    page.get_by_role("button", name="Zapisz").click()
    walk.check(page, "recorded: the person's page with its banner")

    operator = _new(context, site, "operator")
    for kind in ev.Kind:
        if kind not in NOT_BY_FORM:
            walk.visit(operator, site, f"/events/new?kind={kind.value}&pesel={mother}")
    walk.visit(operator, site, f"/persons/{extra['anna']}")

    clerk = _new(context, site, "municipal_clerk")
    walk.visit(clerk, site, f"/persons/{father}/fingerprints")
    walk.visit(clerk, site, f"/persons/{extra['anna']}")
    walk.done(len(ev.Kind) + 15)


def test_resident_pages(site: Site, context: BrowserContext, walk: Walk) -> None:
    page = _new(context, site, "zofia")
    walk.check(page, "/me")
    walk.visit(page, site, f"/me/children/{site.people['child']}")
    walk.visit(page, site, f"/me/children/{site.people['father']}", 403)
    page.goto(site.url + "/me")
    page.get_by_role("button", name="Zastrzeż mój PESEL").click()
    walk.check(page, "reserved")
    page.get_by_role("button", name="Cofnij zastrzeżenie").click()
    page.get_by_role("button", name="Zastrzeż mój PESEL").click()  # too soon
    expect(page.locator("[role=alert]")).to_contain_text("30 minut")
    walk.check(page, "reserved again too soon")
    walk.done(5)


def test_examiner_pages(site: Site, context: BrowserContext, walk: Walk,
                        extra: dict[str, str]) -> None:
    page = _new(context, site, "examiner")
    walk.check(page, "/examiner")
    walk.visit(page, site, f"/examiner/cases/{extra['held']}")
    expect(page.locator("svg.minutiae")).to_be_attached()
    picture = page.locator("#evidence-views img").get_attribute("src")
    assert picture is not None  # its caption is drawn in the page's language
    captions = [page.request.get(f"{site.url}{picture}&lang={lang}").body()
                for lang in ("en", "pl")]  # Polish last: the language is remembered
    assert captions[0] != captions[1]
    walk.visit(page, site, f"/examiner/cases/{extra['opened']}")  # no finger on both sides
    walk.visit(page, site, f"/examiner/cases/{uuid.uuid4()}", 404)
    walk.visit(page, site, f"/examiner/cases/{extra['opened']}?candidate=44051401359", None)
    page.goto(site.url + f"/examiner/cases/{extra['opened']}")
    page.get_by_label("różne osoby").check()
    page.get_by_role("button", name="Zapisz rozstrzygnięcie").click()
    walk.check(page, "decision without a comment")
    page.get_by_label("różne osoby").check()
    page.get_by_label("Uzasadnienie").fill("Różne daty urodzenia i różne odciski.")
    page.get_by_role("button", name="Zapisz rozstrzygnięcie").click()
    expect(page.locator("#done")).to_be_visible()
    walk.check(page, "decided")
    walk.visit(page, site, "/examiner?all=true")
    walk.done(8)


def test_supervisor_and_other_roles(site: Site, context: BrowserContext, walk: Walk) -> None:
    page = _new(context, site, "admin")
    walk.check(page, "/audit")
    mother = site.people["mother"]
    for path in (f"/audit?pesel={mother}", "/audit?action=read&principal=usc_registrar",
                 "/audit?since=2020-01-01&until=2099-12-31", "/audit?offset=50"):
        walk.visit(page, site, path)
    walk.visit(page, site, "/audit?pesel=12345678901&since=tomorrow", 422)
    page.goto(site.url + "/audit")
    page.get_by_role("button", name="Sprawdź dziennik i podpisz korzeń drzewa").click()
    walk.check(page, "audit verified")

    bank = _new(context, site, "bank")
    walk.check(bank, "/check")
    bank.get_by_label(re.compile("^PESEL")).fill(mother)
    bank.get_by_role("button", name="Sprawdź").click()
    walk.check(bank, "check result")
    bank.get_by_label(re.compile("^PESEL")).fill("1234")
    bank.get_by_role("button", name="Sprawdź").click()
    walk.check(bank, "check of a bad number")
    walk.visit(bank, site, "/dashboard", 403)

    police = _new(context, site, "police")
    walk.check(police, "/purpose (the law)")
    police.get_by_role("button", name="Zapisz").click()
    walk.check(police, "purpose incomplete")
    police.get_by_label("Cel", exact=True).fill("postępowanie przygotowawcze")
    police.get_by_label("Podstawa prawna").fill("art. 14 ustawy o Policji")
    police.get_by_label("Sygnatura sprawy").fill("RSD-7/26")
    police.get_by_role("button", name="Zapisz").click()
    walk.visit(police, site, f"/persons/{mother}")

    walk.check(_new(context, site, "statistics"), "/dashboard (statistics)")
    walk.check(_new(context, site, "abis_client"), "/nothing")
    walk.done(16)
