"""The banks', notaries' and telecoms' verification page, beside the reservation check.

Art. 49's yes/no mode in a form: the PESEL and what the body holds, one yes or
no per claim back (``Gate.verify``, audited with the purpose the viewer
stated, and counted against the body's quota like the API's).
"""

from __future__ import annotations

import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from openpesel.access.policy import Action
from openpesel.access.verification import Claims, QuotaExceeded
from openpesel.errors import InvalidData, InvalidNumber
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, the_gate

router = APIRouter()
Text = Annotated[str, Form(max_length=200)]


@router.get("/verification")
def verification_form(request: Request, v: Seen) -> Response:
    v.require(Action.VERIFY)
    return page(request, "verification.html", v, result=None, form={})


@router.post("/verification", dependencies=[Csrf])
def verification(request: Request, v: Seen, pesel: Annotated[str, Form(max_length=20)],
                 first_names: Text = "", family_name: Text = "", birth_date: Text = "",
                 document_number: Text = "") -> Response:
    form = {"pesel": pesel, "first_names": first_names, "family_name": family_name,
            "birth_date": birth_date, "document_number": document_number}
    try:
        born = datetime.date.fromisoformat(birth_date) if birth_date.strip() else None
        claims = Claims(first_names.strip() or None, family_name.strip() or None, born,
                        document_number.strip() or None)
        result = the_gate(request).verify(v.access(), pesel.strip(), claims)
    except (InvalidNumber, InvalidData, QuotaExceeded, ValueError) as exc:
        return page(request, "verification.html", v, status=422, result=None, form=form,
                    error=v._(str(exc)))
    return page(request, "verification.html", v, result=result, form=form)
