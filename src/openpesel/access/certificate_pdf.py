"""A certificate's printout: a PDF (fpdf2) in Polish or English, with its QR code (segno).

The PDF is what a resident hands over; the QR code on it carries the
certificate's number and the register's signed payload (``certificates.py``),
and leads to the public verification page. The SHA-256 of the contents is
printed too, so a checker can compare it with what the register answers. Both
libraries are imported on first use: every console command imports ``access``.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
from typing import Any

from openpesel.access.report import FONT, FONT_BOLD

FIELDS = ("first_names", "family_name", "family_name_at_birth", "sex", "birth_date",
          "birth_place", "birth_country", "mother", "father", "citizenships", "civil_status",
          "former_names", "former_pesels", "permanent_residence", "temporary_residence",
          "id_cards", "passports", "death_date", "reservation")
"""What a certificate may state, in the order it states it; a full one states all."""

_LABELS: dict[str, tuple[str, str]] = {
    "first_names": ("Imiona", "First names"), "family_name": ("Nazwisko", "Family name"),
    "family_name_at_birth": ("Nazwisko rodowe", "Family name at birth"),
    "sex": ("Płeć", "Sex"), "birth_date": ("Data urodzenia", "Birth date"),
    "birth_place": ("Miejsce urodzenia", "Birth place"),
    "birth_country": ("Kraj urodzenia", "Birth country"), "mother": ("Matka", "Mother"),
    "father": ("Ojciec", "Father"), "citizenships": ("Obywatelstwa", "Citizenships"),
    "civil_status": ("Stan cywilny", "Civil status"),
    "former_names": ("Dawne imiona i nazwiska", "Former names"),
    "former_pesels": ("Dawne numery PESEL", "Former PESEL numbers"),
    "permanent_residence": ("Zameldowanie na pobyt stały", "Permanent residence"),
    "temporary_residence": ("Zameldowanie na pobyt czasowy", "Temporary residence"),
    "id_cards": ("Dowody osobiste", "Identity cards"), "passports": ("Paszporty", "Passports"),
    "death_date": ("Data zgonu", "Date of death"),
    "reservation": ("Zastrzeżenie numeru PESEL", "PESEL reservation"),
}
_TEXT = {
    "title": ("Zaświadczenie z rejestru PESEL", "Certificate from the PESEL register"),
    "full": ("odpis zupełny", "full copy"), "partial": ("odpis częściowy", "partial copy"),
    "number": ("Numer zaświadczenia", "Certificate number"),
    "as_of": ("Stan danych na", "Data as of"), "issued": ("Wydano", "Issued"),
    "hash": ("Skrót treści (SHA-256)", "Contents digest (SHA-256)"),
    "check": ("Autentyczność sprawdzisz, skanując kod QR albo na stronie /verify.",
              "Check that it is genuine by scanning the QR code, or at /verify."),
}


def _value(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items() if v is not None)
    return str(value)


def render(contents: dict[str, Any], qr_text: str) -> bytes:
    """The certificate's PDF: what ``contents`` states, and the QR code of ``qr_text``."""
    import segno
    from fpdf import FPDF

    lang = 0 if contents["language"] == "pl" else 1
    digest = contents_digest(contents)
    pdf = FPDF()
    pdf.set_creation_date(datetime.datetime.fromisoformat(contents["issued_at"]))
    pdf.set_title(_TEXT["title"][lang])
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_font("DejaVu", "B", size=15)
    pdf.cell(0, 10, _TEXT["title"][lang], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.cell(0, 6, f"{_TEXT[contents['scope']][lang]} · PESEL {contents['pesel']}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(col_widths=(45, 105), text_align="LEFT") as table:
        for name, value in contents["fields"].items():
            table.row([_LABELS[name][lang], _value(value)])
    pdf.ln(4)
    for key, value in (("number", contents["certificate_id"]), ("as_of", contents["as_of"]),
                       ("issued", contents["issued_at"]), ("hash", digest)):
        pdf.multi_cell(0, 5, f"{_TEXT[key][lang]}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    png = io.BytesIO()
    segno.make(qr_text, error="m").save(png, kind="png", scale=4, border=2)
    png.seek(0)
    pdf.image(png, w=45)
    pdf.set_font("DejaVu", size=8)
    pdf.multi_cell(0, 4, _TEXT["check"][lang], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def contents_digest(contents: dict[str, Any]) -> str:
    """SHA-256 of the contents' canonical JSON: what the QR code's payload names."""
    text = json.dumps(contents, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()

