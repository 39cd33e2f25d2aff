"""The public certificate pages: /verify and /certificates/{id}, in Polish and English.

Without a browser: the pages check by number, QR code and PDF, and refuse a
forged one. In Chromium: the QR code printed in the PDF, decoded as a phone
would, leads to a page that says the certificate is genuine.
"""

from __future__ import annotations

import io
import re

import httpx
import numpy as np
import pytest
from playwright.sync_api import BrowserContext
from pypdf import PdfReader

from openpesel.access.gate import console
from openpesel.storage.certificates import Certificate
from tests.support.live import SECRET
from tests.web.conftest import Site, main_page

GENUINE = {"pl": "Autentyczne", "en": "Genuine"}


@pytest.fixture(scope="module")
def issued(site: Site) -> Certificate:
    return site.live.gate.issue_certificate(console("certificate for a page test"),
                                            site.people["mother"], "full", None, "pl",
                                            site.url)


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/verify").text)
    assert found
    return found.group(1)


def test_the_pages_check_by_number_qr_and_pdf_and_show_no_personal_data(
        site: Site, issued: Certificate) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as c:
        for lang, word in GENUINE.items():
            shown = c.get(issued.qr.removeprefix(site.url), params={"lang": lang})
            assert shown.status_code == 200 and word in shown.text
            assert issued.contents_sha256 in shown.text
            assert "Wójcik" not in shown.text and issued.pesel not in shown.text
        forged = c.get(f"/certificates/{issued.id}", params={"s": "eyJ.forged.sig",
                                                              "lang": "pl"})
        assert forged.status_code == 200 and "NIEAUTENTYCZNE" in forged.text
        assert "Autentyczne:" not in forged.text

        token = _csrf(c)
        by_number = c.post("/verify?lang=pl", data={"csrf": token, "code": str(issued.id)})
        assert GENUINE["pl"] in by_number.text
        by_qr = c.post("/verify?lang=en", data={"csrf": token, "code": issued.qr})
        assert GENUINE["en"] in by_qr.text
        by_pdf = c.post("/verify?lang=pl", data={"csrf": token, "code": ""},
                        files={"pdf": ("z.pdf", issued.pdf, "application/pdf")})
        assert GENUINE["pl"] in by_pdf.text
        tampered = bytearray(issued.pdf)
        tampered[len(tampered) // 3] ^= 0x01
        bad = c.post("/verify", data={"csrf": token, "code": ""},
                     files={"pdf": ("z.pdf", bytes(tampered), "application/pdf")})
        assert "NIEAUTENTYCZNE" in bad.text
        empty = c.post("/verify", data={"csrf": token, "code": ""})
        assert empty.status_code == 422
        assert c.post("/verify", data={"csrf": "forged", "code": "x"}).status_code == 403


def _qr_in(pdf: bytes) -> str:
    """The QR code's text, read from the PDF's image as a phone's camera would."""
    import cv2

    image = PdfReader(io.BytesIO(pdf)).pages[0].images[0].image
    assert image is not None
    pixels = np.array(image.convert("L"))
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(pixels)
    return str(text)


def test_a_certificates_qr_code_verifies_in_a_browser(site: Site, issued: Certificate,
                                                      context: BrowserContext) -> None:
    url = _qr_in(issued.pdf)
    assert url == issued.qr
    page = context.new_page()
    page.goto(url + "&lang=en")
    assert "Genuine: the register issued this certificate." in page.inner_text("main")
    main_page(page, "certificate-check")
    page.goto(site.url + "/verify?lang=pl")
    page.get_by_label("Numer zaświadczenia lub treść kodu QR").fill(str(issued.id))
    page.locator("form[action='/verify'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "Autentyczne" in page.inner_text("main")
    main_page(page, "verify")


def _token(c: httpx.Client, url: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', c.get(url).text)
    assert found
    return found.group(1)


def test_a_bank_verifies_data_on_its_page_beside_the_reservation_check(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=30, follow_redirects=True) as c:
        c.post("/login", data={"username": "bank", "secret": SECRET, "next": "/",
                               "csrf": _token(c, "/login")})
        c.post("/purpose", data={"purpose": "credit application 2026/5", "next": "/check",
                                 "csrf": _token(c, "/purpose")})
        form = c.get("/verification?lang=pl")
        assert form.status_code == 200 and 'href="/verification"' in form.text
        ask = {"pesel": site.people["mother"], "first_names": "Zofia", "family_name": "Nowak",
               "csrf": _token(c, "/verification")}
        yes = c.post("/verification?lang=pl", data=ask)
        assert "Dane są zgodne." in yes.text and "Wójcik" not in yes.text
        no = c.post("/verification?lang=en", data=ask | {"family_name": "Wójcik"})
        assert "The data does not match." in no.text
        empty = c.post("/verification", data={"pesel": site.people["mother"],
                                              "csrf": ask["csrf"]})
        assert empty.status_code == 422
    with httpx.Client(base_url=site.url, timeout=30, follow_redirects=True) as c:
        c.post("/login", data={"username": "statistics", "secret": SECRET, "next": "/",
                               "csrf": _token(c, "/login")})
        assert c.get("/verification").status_code == 403
