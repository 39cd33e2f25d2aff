"""Certificates (zaświadczenia) anyone can check: issue, fetch, revoke, check.

A resident issues a certificate of their own record, full or partial, in
Polish or English; their municipal office (or the console) may issue one on
their behalf and may revoke one. The certificate is a PDF whose QR code
carries a compact JWS (``access/sealing.py``) naming the certificate and the
SHA-256 of its contents; the code leads to ``/certificates/{id}``.

Anyone may check a certificate, unauthenticated (``Role.PUBLIC``): by its
number, by its QR code's contents, or by the PDF itself. The answer says only
whether it is genuine, whether it was revoked, as of when it states the data,
whether the record has changed since, and the contents' SHA-256: the person's
data is on the paper the checker holds, never in the answer. A PDF is genuine
only byte for byte as issued, so a changed byte finds no certificate. Every
issue, fetch, revocation and check is an audit entry in the person's report.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openpesel.access.accountable import (
    Access,
    Accountable,
    Forbidden,
    Principal,
    Touched,
    own_pesel,
)
from openpesel.access.certificate_pdf import FIELDS, contents_digest, render
from openpesel.access.policy import Action, Role
from openpesel.access.sealing import opened, seal, token
from openpesel.errors import ExitCode, InvalidData, NotFound, OpenPeselError
from openpesel.number import validate
from openpesel.registry.service import Register
from openpesel.storage import certificates as store
from openpesel.storage.session import StoreTransaction

SCOPES = ("full", "partial")
LANGUAGES = ("pl", "en")
QR_TYP = "openpesel-certificate+jwt"
CHECK_TYP = "openpesel-certificate-check+json"


class CertificateNotFound(NotFound):
    message = "No such certificate."


class CertificateInvalid(OpenPeselError):
    """A check found the certificate forged, unknown or revoked (the CLI's exit code 14)."""

    message = "The certificate is not valid."
    exit_code = ExitCode.CERTIFICATE_INVALID
    http_status = 422
    problem_type = "certificate-invalid"


def public(address: str | None = None) -> Access:
    """Anyone: the unauthenticated checker of a certificate (``Role.PUBLIC``)."""
    return Access(Principal("public" if not address else f"public:{address}", Role.PUBLIC))


def chosen_fields(scope: str, fields: Sequence[str] | None) -> list[str]:
    """What a certificate states: all of ``FIELDS`` (full), or the named ones (partial)."""
    if scope not in SCOPES:
        raise InvalidData(f"A certificate is full or partial, not {scope!r}.")
    if scope == "full":
        return list(FIELDS)
    unknown = sorted(set(fields or ()) - set(FIELDS))
    if unknown or not fields:
        raise InvalidData("A partial certificate names its fields, of: "
                          f"{', '.join(FIELDS)}" + (f" (not {', '.join(unknown)})."
                                                    if unknown else "."))
    return [f for f in FIELDS if f in fields]


def _stated(value: Any) -> Any:
    """A record's value as a certificate states it: internal identifiers left out."""
    if isinstance(value, dict):
        return {k: _stated(v) for k, v in value.items() if k not in ("person_id", "seq")}
    if isinstance(value, list):
        return [_stated(v) for v in value]
    return value


def qr_token(text: str) -> tuple[str | None, str]:
    """The certificate number and the signed token in a QR code's text (a URL or a token)."""
    parts = urlsplit(text.strip())
    if parts.scheme and parts.query:
        found = parse_qs(parts.query).get("s", [""])[0]
        return parts.path.rstrip("/").rpartition("/")[2] or None, found
    return None, text.strip()


def view(c: store.Certificate) -> dict[str, Any]:
    """A certificate as its holder sees it (the PDF apart)."""
    return {"certificate_id": str(c.id), "contents": json.loads(c.contents),
            "contents_sha256": c.contents_sha256, "qr": c.qr, "pdf_sha256": c.pdf_sha256,
            "issued_at": c.issued_at.isoformat(), "issued_by": c.issued_by,
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            "revocation_reason": c.revocation_reason}


class Certificates:
    def __init__(self, accountable: Accountable, register: Register) -> None:
        self.tx = accountable
        self.register = register
        self.clock = accountable.clock

    def issue(self, access: Access, pesel: str | None, scope: str = "full",
              fields: Sequence[str] | None = None, language: str = "pl",
              verify_url: str = "http://127.0.0.1:8000") -> store.Certificate:
        """Issue a certificate; a resident only of their own record (``pesel`` None or theirs)."""
        chosen = chosen_fields(scope, fields)
        if language not in LANGUAGES:
            raise InvalidData(f"A certificate is in Polish (pl) or English (en), not {language!r}.")
        resident = access.principal.role is Role.RESIDENT
        if not resident and pesel is None:
            raise InvalidData("Name the PESEL of the person the certificate is for.")
        now = self.clock()
        cid = uuid.uuid4()

        def work(s: StoreTransaction, seen: Touched) -> store.Certificate:
            number = own_pesel(s, access) if resident else validate(pesel or "")
            if resident and pesel is not None and validate(pesel) != number:
                raise Forbidden("A resident may issue certificates of their own record only.")
            record = self.register.show(number, session=s)
            seen.person_id, seen.pesel = uuid.UUID(str(record["person_id"])), record["pesel"]
            seen.fields = [*chosen, "certificate"]
            contents = {"certificate_id": str(cid), "pesel": record["pesel"], "scope": scope,
                        "language": language, "as_of": now.date().isoformat(),
                        "issued_at": now.isoformat(),
                        "fields": {f: _stated(record.get(f)) for f in chosen}}
            digest = contents_digest(contents)
            signed = token(self.tx.audit.key, {"cid": str(cid), "sha256": digest,
                                               "iat": now.isoformat()}, QR_TYP)
            qr = f"{verify_url.rstrip('/')}/certificates/{cid}?s={signed}"
            pdf = render(contents, qr)
            issued = store.Certificate(
                cid, seen.person_id, record["pesel"], scope, language,
                json.dumps(contents, sort_keys=True, ensure_ascii=False), digest,
                int(record["last_seq"]), qr, pdf, hashlib.sha256(pdf).hexdigest(), now,
                access.principal.name)
            store.add(s, issued)
            return issued
        return self.tx.run(access, Action.ISSUE_CERTIFICATE, "issue-certificate",
                           None if resident else pesel, work)

    def get(self, access: Access, certificate_id: uuid.UUID) -> store.Certificate:
        """A certificate issued before, to the resident it is of or to an office."""
        def work(s: StoreTransaction, seen: Touched) -> store.Certificate:
            found = self._find(s, seen, certificate_id)
            if access.principal.role is Role.RESIDENT and \
                    access.principal.person_id != found.person_id:
                raise Forbidden("A resident may see their own certificates only.")
            return found
        return self.tx.run(access, Action.ISSUE_CERTIFICATE, "read-certificate", None, work,
                           writes=False)

    def revoke(self, access: Access, certificate_id: uuid.UUID,
               reason: str) -> store.Certificate:
        """Withdraw a certificate (the office): every later check says it is revoked."""
        if not reason.strip():
            raise InvalidData("Say why the certificate is revoked.")

        def work(s: StoreTransaction, seen: Touched) -> store.Certificate:
            self._find(s, seen, certificate_id)
            store.revoke(s, certificate_id, access.principal.name, reason.strip()[:200],
                         self.clock())
            revoked = store.find(s, certificate_id)
            assert revoked is not None
            return revoked
        return self.tx.run(access, Action.REVOKE_CERTIFICATE, "revoke-certificate", None, work)

    def _find(self, s: StoreTransaction, seen: Touched,
              certificate_id: uuid.UUID) -> store.Certificate:
        found = store.find(s, certificate_id)
        if found is None:
            raise CertificateNotFound(f"No certificate {certificate_id} was issued.")
        seen.person_id, seen.pesel, seen.fields = found.person_id, found.pesel, ["certificate"]
        return found

    def check(self, access: Access, certificate_id: uuid.UUID | None = None,
              qr: str | None = None, pdf: bytes | None = None) -> dict[str, Any]:
        """Is it genuine and not revoked? Sealed; nothing of the person but the digest.

        Nothing given names no certificate, so it is not genuine (an answer, not an error:
        every schema-valid check gets one).
        """

        def work(s: StoreTransaction, seen: Touched) -> dict[str, Any]:
            found = self._genuine(s, certificate_id, qr, pdf)
            if found is None:
                return {"certificate_id": None, "genuine": False, "revoked": None,
                        "valid": False, "issued_at": None, "as_of": None,
                        "record_changed_since": None, "contents_sha256": None}
            seen.person_id, seen.pesel, seen.fields = found.person_id, found.pesel, \
                ["certificate"]
            last = self.register.state(found.pesel, session=s).last_seq
            return {"certificate_id": str(found.id), "genuine": True,
                    "revoked": found.revoked_at is not None,
                    "valid": found.revoked_at is None,
                    "issued_at": found.issued_at.isoformat(),
                    "as_of": json.loads(found.contents)["as_of"],
                    "record_changed_since": last != found.record_seq,
                    "contents_sha256": found.contents_sha256}
        doc = self.tx.run(access, Action.CHECK_CERTIFICATE, "check-certificate", None, work,
                          writes=False)
        doc["checked_at"] = self.clock().isoformat()
        return {**doc, "jws": seal(self.tx.audit.key, doc, CHECK_TYP)}

    def _genuine(self, s: StoreTransaction, certificate_id: uuid.UUID | None, qr: str | None,
                 pdf: bytes | None) -> store.Certificate | None:
        """The certificate everything given agrees on, or None (forged, unknown, mixed)."""
        if certificate_id is None and not qr and pdf is None:
            return None
        named: set[str] = set() if certificate_id is None else {str(certificate_id)}
        digest: str | None = None
        if qr:
            in_url, signed = qr_token(qr)
            payload = opened(self.tx.audit.public_key, signed, QR_TYP)
            if payload is None:
                return None
            named |= {str(payload.get("cid"))} | ({in_url} if in_url else set())
            digest = str(payload.get("sha256"))
        found: store.Certificate | None = None
        if pdf is not None:
            found = store.find_by_pdf(s, hashlib.sha256(pdf).hexdigest())
            if found is None:
                return None
            named.add(str(found.id))
        if len(named) != 1:
            return None
        if found is None:
            try:
                found = store.find(s, uuid.UUID(named.pop()))
            except ValueError:
                return None
        if found is None or (digest is not None and digest != found.contents_sha256):
            return None
        return found

