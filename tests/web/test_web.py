"""The web interface without a browser: catalogue, charts, forms, aggregates, CSRF, cookies."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import httpx

from openpesel.access.policy import Role
from openpesel.config import Settings
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.aggregates import dashboard
from openpesel.storage.store import Store
from openpesel.web import charts, forms
from openpesel.web.i18n import polish, translator
from openpesel.web.vocabulary import words
from tests.conftest import Clock
from tests.support.live import SECRET, live_server
from tests.support.office import born, count_events, event

WEB = Path(__file__).resolve().parents[2] / "src" / "openpesel" / "web"
_CALL = re.compile(r"""_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\)""")


def test_every_string_the_pages_show_has_its_polish_translation() -> None:
    used = set(words())
    for source in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]:
        used |= {a or b for a, b in _CALL.findall(source.read_text(encoding="utf-8"))}
    assert len(used) > 300
    assert sorted(used - set(polish())) == []
    _ = translator("pl")
    assert _("Search") == "Szukaj" and _("civil status|widowed") == "owdowiały(-a)"
    assert translator("en")("civil status|widowed") == "widowed"
    assert translator("en")("field|birth_date") == "Birth date"
    assert translator("pl")("field|birth_date") == "data urodzenia"


def test_charts_scale_to_the_largest_value_and_escape_labels() -> None:
    svg = charts.bars([("małopolskie", 50), ("<script>", 100)], "Mieszkańcy")
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths == [410.0, 205.0]  # largest first, over the whole span to a round 100
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "małopolskie" in svg
    pyramid = charts.pyramid([("0\u20134", 10, 0), ("5\u20139", 0, 20)], "Wiek", "M", "K")
    bars = re.findall(r'<rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"', pyramid)
    assert float(bars[0][2]) == 0 and float(bars[2][2]) > 0  # the oldest band is drawn first
    monthly = charts.lines(["2026-01", "2026-02"], [("Urodzenia", [0, 3])], "Miesiące")
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', monthly)]
    assert ys[0] > ys[1]  # more births is higher up


def test_forms_report_every_field_in_plain_words() -> None:
    data, unreadable = forms.payload(ev.Kind.BIRTH, {
        "first_names": "Anna", "family_name": "N0wak", "birth_date": "2026-13-01",
        "birth_place": "Łódź", "mother_pesel": ""})
    assert unreadable == {} and "mother_pesel" not in data
    problems = forms.check(ev.Kind.BIRTH, data, translator("en"))
    assert problems == {
        "family_name": "A name is letters, with single spaces, hyphens or apostrophes "
                       "between parts.",
        "sex": "This field is required.", "birth_date": "Give a date as YYYY-MM-DD."}
    assert forms.check(ev.Kind.BIRTH, data, translator("pl"))["sex"] == "To pole jest wymagane."
    covered = {k for k in ev.Kind if forms.fields(k) or not ev.PAYLOADS[k].model_fields}
    assert covered | forms.NOT_BY_FORM >= set(ev.Kind) - {ev.Kind.STAY_ABROAD_ENDED}


def test_dashboard_counts_the_living_by_region_age_and_month(register: Register,
                                                             clock: Clock) -> None:
    clock.now = datetime.datetime(2026, 2, 10, 9, 0, tzinfo=datetime.UTC)
    mother = born(register, "Anna", "Kowalska", "F", "1990-01-15").pesel
    father = born(register, "Jan", "Kowalski", "M", "1988-03-01").pesel
    event(register, ev.Kind.RESIDENCE_REGISTERED, mother, "2025-12-01", ev.Authority.GMINA,
          residence="permanent", teryt="1261011", address="ul. Długa 1, Kraków")
    event(register, ev.Kind.MARRIED, mother, "2026-01-10", spouse_pesel=father)
    born(register, "Ola", "Kowalska", "F", "2026-01-20", mother_pesel=mother)
    event(register, ev.Kind.DIED, father, "2026-02-03")
    with register.store.read() as s:
        d = dashboard(s, datetime.date(2026, 2, 10))
    assert d.by_voivodeship == {"12": 1, "none": 1} and d.alive == 2
    assert d.age_bands[0] == (0, 0, 1) and d.age_bands[7] == (35, 0, 1)
    at = d.months.index("2026-01")
    assert d.months[-1] == "2026-02" and len(d.months) == 24
    # The marriage is on both spouses' records but is one marriage.
    assert (d.monthly["birth"][at], d.monthly["married"][at]) == (1, 1)
    assert d.monthly["died"][-1] == 1


def _csrf(client: httpx.Client, url: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(url).text)
    assert found is not None
    return found.group(1)


def _sqlite(tmp_path: Path) -> Register:
    """The pages' own checks need no second store: the gate calls are the API tests'."""
    store = Store(f"sqlite:///{tmp_path / 'register.sqlite'}")
    store.initialise()
    return Register(store)


def test_forms_need_the_csrf_token_and_cookies_are_strict(tmp_path: Path) -> None:
    register = _sqlite(tmp_path)
    with live_server(register, Settings(data_dir=tmp_path)) as live, httpx.Client(
            base_url=live.url, follow_redirects=False, timeout=30) as c:
        token = _csrf(c, "/login")
        login = {"username": "usc_registrar", "secret": SECRET, "next": "/"}
        refused = c.post("/login", data=login | {"csrf": "forged"})
        assert refused.status_code == 403 and "op_session" not in c.cookies
        done = c.post("/login", data=login | {"csrf": token})
        assert done.status_code == 303
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert "frame-ancestors 'none'" in done.headers["content-security-policy"]

        before = count_events(register)
        birth = {"kind": "birth", "first_names": "Ala", "family_name": "Kot", "sex": "F",
                 "birth_date": "2020-01-01", "birth_place": "Łódź", "document_ref": "B/1"}
        assert c.post("/events/new", data=birth).status_code == 403  # no token: refused
        assert c.post("/events/new", data=birth | {"csrf": token}).status_code == 403
        assert count_events(register) == before  # the token from before login is spent
        token = _csrf(c, "/purpose")  # login rotated it (tests/web/test_csrf_binding.py)
        ok = c.post("/events/new", data=birth | {"csrf": token})
        assert ok.status_code == 303 and count_events(register) == before + 1

        assert c.get("/api/v1/persons/00000000000").status_code == 401  # the API is untouched
        unknown = c.get("/api/v1/no-such-thing")  # even past its routes: problem details
        assert unknown.headers["content-type"] == "application/problem+json"
        assert c.get("/no-such-page").headers["content-type"].startswith("text/html")
        other = c.post("/login", data={"username": "nobody", "secret": "wrong secret!",
                                       "csrf": token})
        assert other.status_code == 401 and "nie" in other.text


def test_a_machine_role_is_told_the_pages_have_nothing_for_it(tmp_path: Path) -> None:
    register = _sqlite(tmp_path)
    with live_server(register, Settings(data_dir=tmp_path)) as live, httpx.Client(
            base_url=live.url, follow_redirects=True, timeout=30) as c:
        token = _csrf(c, "/login?lang=en")
        page = c.post("/login", data={"username": Role.ABIS_CLIENT.value, "secret": SECRET,
                                      "csrf": token, "next": "/"})
        assert page.url.path == "/nothing" and "through the API" in page.text
        assert c.cookies["op_lang"] == "en"
