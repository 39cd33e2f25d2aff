"""Art. 49 verification mode and certificates (docs/verification.md).

``POST /verifications`` answers a bank, a notary or a telecom yes or no per
claim, sealed; ``/certificates`` issues, returns and revokes a resident's
certificates; ``POST /certificate-checks`` is public (no token, rate-limited by
address, audited as ``public``): anyone checks that a certificate is genuine.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from openpesel.access.certificate_pdf import FIELDS
from openpesel.access.certificates import public, view
from openpesel.access.gate import Access, Gate
from openpesel.access.verification import Claims
from openpesel.api.deps import access, gate
from openpesel.api.models import ERRORS, Pesel, Strict
from openpesel.api.routes_witness import by_address

router = APIRouter(tags=["verification"], responses=ERRORS)
Purposeful = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]
Field_ = Literal[FIELDS]  # type: ignore[valid-type]


class VerificationIn(Strict):
    """The PESEL and what the body holds about its holder; each claim given is checked."""

    pesel: Pesel
    first_names: str | None = Field(None, max_length=200)
    family_name: str | None = Field(None, max_length=200)
    birth_date: datetime.date | None = None
    document_number: str | None = Field(None, max_length=20,
                                        description="An identity card's or passport's number, "
                                                    "valid today")
    alive: bool | None = None
    adult: bool | None = None


class VerificationOut(BaseModel):
    """Yes or no per claim, and nothing else; ``jws`` seals the rest (RFC 7515 detached)."""

    verification_id: int
    pesel: str
    claims: dict[str, bool]
    match: bool
    checked_at: str = Field(description="ISO 8601, as sealed")
    body: str
    jws: str


class CertificateIn(Strict):
    pesel: Pesel | None = Field(None, description="Whose record (an office); a resident's "
                                                  "own by default")
    scope: Literal["full", "partial"] = "full"
    fields: list[Field_] | None = Field(None, max_length=len(FIELDS))
    language: Literal["pl", "en"] = "pl"


class CertificateOut(BaseModel):
    certificate_id: uuid.UUID
    contents: dict[str, Any]
    contents_sha256: str
    qr: str = Field(description="The QR code's text: the check page's address with the "
                                "register's signed payload")
    pdf_sha256: str
    issued_at: datetime.datetime
    issued_by: str
    revoked_at: datetime.datetime | None
    revocation_reason: str | None


class RevocationIn(Strict):
    reason: str = Field(min_length=1, max_length=200)


class CheckIn(Strict):
    """Any of: the number, the QR code's contents, the PDF (base64); all given must agree."""

    certificate_id: uuid.UUID | None = None
    qr: str | None = Field(None, max_length=4000)
    pdf: str | None = Field(None, max_length=4_000_000, description="The PDF, base64")


class CheckOut(BaseModel):
    """Strings as sealed (ISO 8601 times): ``jws`` covers exactly these values."""

    certificate_id: str | None
    genuine: bool
    revoked: bool | None
    valid: bool
    issued_at: str | None
    as_of: str | None
    record_changed_since: bool | None
    contents_sha256: str | None
    checked_at: str
    jws: str


@router.post("/verifications", summary="Verify a person's data: yes or no per claim (Art. 49)")
def verify(body: VerificationIn, a: Purposeful, g: TheGate) -> VerificationOut:
    claims = Claims(**body.model_dump(exclude={"pesel"}))
    return VerificationOut(**g.verify(a, body.pesel, claims))


@router.post("/certificates", status_code=201, tags=["certificates"],
             summary="Issue a certificate (zaświadczenie), full or partial, as a PDF")
def issue(body: CertificateIn, a: Purposeful, g: TheGate, request: Request) -> CertificateOut:
    done = g.issue_certificate(a, body.pesel, body.scope, body.fields, body.language,
                               str(request.base_url).rstrip("/"))
    return CertificateOut(**view(done))


@router.get("/certificates/{certificate_id}", tags=["certificates"],
            summary="A certificate issued before: JSON, or its PDF",
            responses={200: {"content": {"application/pdf": {}}}})
def certificate(certificate_id: uuid.UUID, a: Purposeful, g: TheGate,
                format: Annotated[Literal["json", "pdf"], Query()] = "json") -> Any:
    found = g.certificate(a, certificate_id)
    if format == "pdf":
        return Response(found.pdf, media_type="application/pdf")
    return CertificateOut(**view(found))


@router.post("/certificates/{certificate_id}/revocation", tags=["certificates"],
             summary="Revoke a certificate (the office)")
def revoke(certificate_id: uuid.UUID, body: RevocationIn, a: Purposeful,
           g: TheGate) -> CertificateOut:
    return CertificateOut(**view(g.revoke_certificate(a, certificate_id, body.reason)))


@router.post("/certificate-checks", tags=["certificates"], dependencies=[Depends(by_address)],
             summary="Check a certificate: genuine and not revoked (public, no token)")
def check(body: CheckIn, g: TheGate) -> CheckOut:
    pdf: bytes | None = None
    if body.pdf is not None:
        try:
            pdf = base64.b64decode(body.pdf, validate=True)
        except (binascii.Error, ValueError):
            pdf = b""  # not base64: no certificate's PDF, so not genuine
    return CheckOut(**g.check_certificate(public(), body.certificate_id, body.qr, pdf))
