"""The resident's "who accessed my data" report: signed JSON, and a PDF of it.

The report lists the resident's audit entries, each with its inclusion proof
against a freshly signed tree head, and is itself signed with the register's
Ed25519 key. Anyone with the public key can check that nothing was left out
of the log at that size and that the report was not altered; a printout (the
PDF) is a convenience, and says so, as the real service does.
"""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openpesel.access.audit import AuditEntry
from openpesel.access.signing import SignedTreeHead

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = FONT.with_name("DejaVuSans-Bold.ttf")
"""Debian's fonts-dejavu-core: the PDF core fonts have no Polish letters."""


def canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def build(pesel: str, entries: list[tuple[int, AuditEntry, list[bytes]]], head: SignedTreeHead,
          key: Ed25519PrivateKey, at: datetime.datetime) -> dict[str, Any]:
    body = {
        "subject_pesel": pesel,
        "generated_at": at.isoformat(),
        "tree_head": head.to_json(),
        "entries": [{"index": i, "entry": json.loads(e.canonical()),
                     "inclusion_proof": [h.hex() for h in proof]} for i, e, proof in entries],
    }
    signature = key.sign(canonical(body))
    return {**body, "signature": base64.b64encode(signature).decode()}


def to_pdf(report: dict[str, Any]) -> bytes:
    from fpdf import FPDF  # here, not at the top: every console command imports this module

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_font("DejaVu", size=14)
    pdf.cell(0, 10, "OpenPESEL: who accessed my data", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.multi_cell(0, 5, f"PESEL {report['subject_pesel']}, report of "
                         f"{report['generated_at']}. This printout is informative; the signed "
                         "JSON report is the proof.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(10, 32, 30, 22, 40, 20), text_align="LEFT") as table:
        table.row(["#", "when", "who", "role", "purpose / legal basis", "outcome"])
        for item in report["entries"]:
            e = item["entry"]
            why = e["purpose"] + (f" ({e['legal_basis']}, {e['case_ref']})"
                                  if e.get("legal_basis") else "")
            table.row([str(item["index"]), e["at"][:19].replace("T", " "), e["principal"],
                       e["role"], why, f"{e['action']}: {e['outcome']}"])
    pdf.ln(3)
    head = report["tree_head"]
    pdf.multi_cell(0, 5, f"Audit tree head: size {head['tree_size']}, root "
                         f"{head['sha256_root_hash']}.\n"
                         f"Signature: {report['signature']}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
