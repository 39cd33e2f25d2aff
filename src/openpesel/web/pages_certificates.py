"""Public pages: check a certificate by its number, its QR code or its PDF.

No login: whoever holds a certificate (a landlord, an employer, a consulate)
checks it here, and the QR code on it leads to ``/certificates/{id}``. The
page says only what ``POST /api/v1/certificate-checks`` says: genuine or not,
revoked or not, as of which date, whether the record has changed since, and
the contents' SHA-256 printed on the certificate; never the person's data.
Each check is audited as ``public`` in the person's report.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile

from openpesel.access.certificates import public
from openpesel.web.i18n import translator
from openpesel.web.purposes import Purpose
from openpesel.web.render import page
from openpesel.web.session import Csrf, Viewer, current_principal, the_gate

router = APIRouter()
MAX_PDF = 2 << 20
"""A certificate's PDF is tens of kilobytes; more is not one."""


def _viewer(request: Request) -> Viewer | None:
    who = current_principal(request)
    return Viewer(who, request.state.lang, Purpose()) if who else None


def _check(request: Request, certificate_id: uuid.UUID | None, qr: str | None,
           pdf: bytes | None) -> dict[str, Any]:
    return the_gate(request).check_certificate(public(), certificate_id, qr, pdf)


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return page(request, "verify.html", _viewer(request), result=None)


@router.post("/verify", dependencies=[Csrf])
async def verify(request: Request) -> Response:
    form = await request.form()
    code = str(form.get("code") or "").strip()[:4000]
    upload = form.get("pdf")
    pdf = None
    if isinstance(upload, UploadFile) and upload.filename:
        pdf = await upload.read(MAX_PDF + 1)
        if len(pdf) > MAX_PDF:
            pdf = b""  # too large to be a certificate: not genuine
    certificate_id = None
    with contextlib.suppress(ValueError):
        certificate_id = uuid.UUID(code) if code else None
    qr = code if code and certificate_id is None else None
    if certificate_id is None and qr is None and pdf is None:
        return page(request, "verify.html", _viewer(request), status=422, result=None,
                    error=translator(request.state.lang)(
                        "Give the certificate's number, its QR code's contents or its PDF."))
    return page(request, "verify.html", _viewer(request), code=code,
                result=_check(request, certificate_id, qr, pdf))


@router.get("/certificates/{certificate_id}")
def certificate(request: Request, certificate_id: uuid.UUID,
                s: Annotated[str | None, Query(max_length=4000)] = None) -> Response:
    """Where a certificate's QR code leads: its number and the register's signed payload."""
    result = _check(request, certificate_id, s, None)
    return page(request, "certificate.html", _viewer(request), result=result,
                certificate_id=certificate_id)
