"""Why an official is looking: a default purpose per role, and what the law adds.

The API takes the purpose from headers on every call; a browser session keeps
it in a cookie instead. Offices get a default that names their usual
business, which they may change; police, courts and prosecutors have no
default and must state a purpose, the legal basis and the case reference
before any record is shown, as the API demands of them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from openpesel.access.policy import NEEDS_LEGAL_BASIS, Role

DEFAULT_PURPOSE: dict[Role, str] = {
    Role.USC_REGISTRAR: "civil-status registration",
    Role.MUNICIPAL_CLERK: "residence and identity-card matters",
    Role.PASSPORT_OFFICE: "passport matters",
    Role.VOIVODE: "citizenship proceedings",
    Role.OPERATOR: "register operation",
    Role.BANK: "credit application: reservation check",
    Role.NOTARY: "notarial deed: reservation check",
    Role.TELECOM: "contract: reservation check",
    Role.STATISTICS: "statistics",
    Role.EXAMINER: "duplicate-identity adjudication",
}


@dataclass(frozen=True)
class Purpose:
    purpose: str | None = None
    legal_basis: str | None = None
    case_ref: str | None = None

    def to_cookie(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=True, separators=(",", ":"))

    @classmethod
    def from_cookie(cls, raw: str | None) -> Purpose:
        """A malformed cookie counts as none given.

        >>> Purpose.from_cookie('{"purpose":"x"}').purpose, Purpose.from_cookie("{").purpose
        ('x', None)
        """
        try:
            data = json.loads(raw or "{}")
        except (ValueError, RecursionError):  # RecursionError: nested a thousand deep
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(*(_text(data.get(k)) for k in ("purpose", "legal_basis", "case_ref")))


def _text(value: object) -> str | None:
    return value.strip()[:200] or None if isinstance(value, str) else None


def effective(role: Role, stated: Purpose) -> Purpose:
    """What the session's accesses are audited with: the stated purpose or the default.

    >>> effective(Role.USC_REGISTRAR, Purpose()).purpose
    'civil-status registration'
    >>> effective(Role.POLICE, Purpose()).purpose is None
    True
    """
    return Purpose(stated.purpose or DEFAULT_PURPOSE.get(role), stated.legal_basis,
                   stated.case_ref)


def incomplete(role: Role, purpose: Purpose) -> bool:
    """Whether the role must still say why (and, for the law, on what basis).

    >>> incomplete(Role.COURT, Purpose("trial", "art. 1", None)), incomplete(Role.BANK, Purpose())
    (True, False)
    """
    if role in NEEDS_LEGAL_BASIS:
        return not (purpose.purpose and purpose.legal_basis and purpose.case_ref)
    return False
