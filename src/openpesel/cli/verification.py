"""``openpesel verify`` (Art. 49: yes or no per claim) and ``openpesel certificates``.

``verify`` prints one yes or no per claim and exits 0 whatever the answer: a
"no" is an answer, not a failure (``--json`` has ``match`` for scripts).
``certificates check`` exits 14 (``ExitCode.CERTIFICATE_INVALID``) when the
certificate is forged, unknown or revoked, so a script can refuse the paper.
"""

from __future__ import annotations

import datetime
import getpass
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from openpesel.access.certificates import SCOPES, CertificateInvalid, public, view
from openpesel.access.verification import Claims
from openpesel.cli import render
from openpesel.cli.console import JsonFlag, clear_errors, gate_for, operator
from openpesel.errors import InvalidData

certificates = typer.Typer(help="Certificates (zaświadczenia): issue, check, revoke.",
                           no_args_is_help=True)


def verify(
    pesel: str,
    first_names: Annotated[str | None, typer.Option(help="As the body holds them.")] = None,
    family_name: str | None = None,
    birth_date: Annotated[datetime.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="YYYY-MM-DD")] = None,
    document: Annotated[str | None, typer.Option(
        help="An identity card's or passport's number, valid today.")] = None,
    alive: Annotated[bool | None, typer.Option("--alive/--dead")] = None,
    adult: Annotated[bool | None, typer.Option("--adult/--minor")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Does this data match the register? Yes or no per claim, sealed (Art. 49)."""
    claims = Claims(first_names, family_name, birth_date.date() if birth_date else None,
                    document, alive, adult)
    with clear_errors():
        gate, access = operator()
        answer = gate.verify(access, pesel, claims)
    if as_json:
        render.emit_json(answer)
        return
    for claim, yes in answer["claims"].items():
        render.console.print(f"{claim}: {'yes' if yes else 'no'}")
    render.console.print(f"match: {'yes' if answer['match'] else 'no'} "
                         f"(verification {answer['verification_id']})")


@certificates.command("issue")
def certificates_issue(
    pesel: str,
    scope: Annotated[str, typer.Option(help=f"One of {', '.join(SCOPES)}.")] = "full",
    field: Annotated[list[str] | None, typer.Option(
        "--field", "-f", help="A field a partial certificate states (repeat it).")] = None,
    language: Annotated[str, typer.Option(help="pl or en.")] = "pl",
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Where to write the PDF.")] = None,
    url: Annotated[str, typer.Option(help="The public address its QR code leads to.")
                   ] = "http://127.0.0.1:8000",
    as_json: JsonFlag = False,
) -> None:
    """Issue a certificate of a person's record (on their behalf), as a PDF with a QR code."""
    with clear_errors():
        gate, access = operator()
        done = gate.issue_certificate(access, pesel, scope, field, language, url)
    if output is not None:
        output.write_bytes(done.pdf)
    if as_json:
        render.emit_json(view(done))
        return
    render.console.print(f"certificate {done.id} issued"
                         + (f", PDF written to {output}" if output else ""))


@certificates.command("check")
def certificates_check(
    certificate_id: Annotated[str | None, typer.Argument(help="The certificate's number.")
                              ] = None,
    qr: Annotated[str | None, typer.Option(help="The QR code's text.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="The certificate's PDF.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Is it genuine and not revoked? Exits 14 if it is forged, unknown or revoked."""
    with clear_errors():
        if certificate_id is None and qr is None and pdf is None:
            raise InvalidData("Give the certificate's number, its QR code's contents "
                              "(--qr) or its PDF (--pdf).")
        data = _read(pdf) if pdf is not None else None
        gate = gate_for()
        answer = gate.check_certificate(public(f"console:{getpass.getuser()}"),
                                        _uuid(certificate_id), qr, data)
        if as_json:
            render.emit_json(answer)
        else:
            _show(answer)
        if not answer["valid"]:
            raise CertificateInvalid("The certificate is revoked." if answer["genuine"] else
                                     "The certificate is forged or unknown.")


def _show(answer: dict[str, Any]) -> None:
    if not answer["genuine"]:
        render.console.print("NOT GENUINE: no such certificate was issued")
        return
    state = "REVOKED" if answer["revoked"] else "valid"
    changed = "has changed since" if answer["record_changed_since"] else "is unchanged"
    render.console.print(f"certificate {answer['certificate_id']}: {state}; data as of "
                         f"{answer['as_of']}, the record {changed}; contents SHA-256 "
                         f"{answer['contents_sha256']}")


@certificates.command("revoke")
def certificates_revoke(certificate_id: str, reason: Annotated[str, typer.Option(
        help="Why the office withdraws it.")]) -> None:
    """Revoke a certificate: every later check says so."""
    with clear_errors():
        gate, access = operator()
        done = gate.revoke_certificate(access, _required(certificate_id), reason)
    render.console.print(f"certificate {done.id} revoked")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidData(f"Cannot read {path}: {exc.strerror}.") from None


def _uuid(text: str | None) -> uuid.UUID | None:
    return None if text is None else _required(text)


def _required(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise InvalidData(f"{text!r} is not a certificate number.") from None
