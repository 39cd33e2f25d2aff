"""Who may do what, and for which purpose: one table that mirrors the law.

Every request that touches personal data names a principal, a role and a
purpose. Police, courts and prosecutors must also state the legal basis and
the case reference. Which events a role may record follows from the office it
acts for and Art. 10 (``registry.events.AUTHORS``), so the register and the
access layer can never disagree about it.

>>> decide(Role.BANK, Action.CHECK_RESERVATION, "credit application").allowed
True
>>> decide(Role.BANK, Action.READ_PERSON, "curiosity").reason
"A bank may not read a person's record."
>>> decide(Role.POLICE, Action.READ_PERSON, "investigation").reason
'Police must state the legal basis and the case reference.'
>>> may_record(Role.USC_REGISTRAR, Kind.BIRTH), may_record(Role.MUNICIPAL_CLERK, Kind.BIRTH)
(True, False)

The few rules of the law that the access layer applies beyond the table live
here too: the office an event is recorded for, a parent's reach into a
child's record, and how long a secret must be.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

from openpesel.registry.events import AUTHORS, Authority, Kind
from openpesel.registry.rules import ADULT_AGE, age_on


class Role(enum.StrEnum):
    USC_REGISTRAR = "usc_registrar"
    MUNICIPAL_CLERK = "municipal_clerk"
    PASSPORT_OFFICE = "passport_office"
    VOIVODE = "voivode"
    POLICE = "police"
    COURT = "court"
    PROSECUTOR = "prosecutor"
    BANK = "bank"
    NOTARY = "notary"
    TELECOM = "telecom"
    STATISTICS = "statistics"
    RESIDENT = "resident"
    ADMIN = "admin"
    OPERATOR = "operator"  # the register's own operator at the console (the CLI)
    EXAMINER = "examiner"  # a fingerprint examiner: 1:N searches and duplicate cases
    ABIS_CLIENT = "abis_client"  # a national-ID platform calling the AFIS through MOSIP's ABIS API
    PUBLIC = "public"  # anyone, unauthenticated: checks a certificate (see the block below)


class Action(enum.StrEnum):
    RECORD = "record"
    READ_PERSON = "read_person"
    SEARCH = "search"
    CHECK_RESERVATION = "check_reservation"
    READ_AGGREGATES = "read_aggregates"
    READ_SELF = "read_self"
    RESERVE_SELF = "reserve_self"
    MANAGE_USERS = "manage_users"
    AUDIT = "audit"
    BULK = "bulk"  # export, import, rebuild: the whole register at once
    IDENTIFY = "identify"  # 1:N fingerprint search over everyone enrolled
    ADJUDICATE = "adjudicate"  # the queue of suspected duplicates, their evidence, decisions
    ABIS = "abis"  # MOSIP ABIS messages: insert, identify, delete, ping, counts
    VERIFY = "verify"  # Art. 49 verification mode: yes/no per claim (block below)
    ISSUE_CERTIFICATE = "issue_certificate"  # a zaświadczenie: issue it, fetch it again
    REVOKE_CERTIFICATE = "revoke_certificate"
    CHECK_CERTIFICATE = "check_certificate"  # anyone: genuine, not revoked


ROLE_AUTHORITY: dict[Role, Authority] = {
    Role.USC_REGISTRAR: Authority.USC,
    Role.MUNICIPAL_CLERK: Authority.GMINA,
    Role.PASSPORT_OFFICE: Authority.PASSPORT,
    Role.VOIVODE: Authority.VOIVODE,
}

# Offices see their register's totals on their dashboard: aggregates name no one.
_OFFICE = frozenset({Action.RECORD, Action.READ_PERSON, Action.SEARCH, Action.READ_AGGREGATES})
_LAW = frozenset({Action.READ_PERSON, Action.SEARCH})
_CHECK = frozenset({Action.CHECK_RESERVATION})

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.USC_REGISTRAR: _OFFICE,
    Role.MUNICIPAL_CLERK: _OFFICE,
    Role.PASSPORT_OFFICE: _OFFICE,
    Role.VOIVODE: _OFFICE,
    Role.POLICE: _LAW,
    Role.COURT: _LAW,
    Role.PROSECUTOR: _LAW,
    Role.BANK: _CHECK,
    Role.NOTARY: _CHECK,
    Role.TELECOM: _CHECK,
    Role.STATISTICS: frozenset({Action.READ_AGGREGATES}),
    Role.RESIDENT: frozenset({Action.READ_SELF, Action.RESERVE_SELF}),
    Role.ADMIN: frozenset({Action.MANAGE_USERS, Action.AUDIT, Action.BULK}),
    Role.OPERATOR: frozenset({Action.RECORD, Action.READ_PERSON, Action.SEARCH, Action.BULK,
                              Action.AUDIT, Action.MANAGE_USERS, Action.IDENTIFY,
                              Action.ADJUDICATE}),
    Role.EXAMINER: frozenset({Action.IDENTIFY, Action.ADJUDICATE}),
    Role.ABIS_CLIENT: frozenset({Action.ABIS}),
}
"""The whole matrix; tests enumerate every pair of role and action."""

NEEDS_LEGAL_BASIS = frozenset({Role.POLICE, Role.COURT, Role.PROSECUTOR})
NO_PURPOSE_NEEDED = frozenset({Action.READ_AGGREGATES, Action.MANAGE_USERS, Action.AUDIT,
                               Action.READ_SELF, Action.RESERVE_SELF, Action.ABIS})
"""Actions on no one else's personal data, or (ABIS) whose purpose the role implies:
a national-ID platform calls its AFIS only to de-duplicate enrolments."""

_ARTICLE = {Role.USC_REGISTRAR: "A USC registrar", Role.MUNICIPAL_CLERK: "A municipal clerk",
            Role.PASSPORT_OFFICE: "A passport office", Role.VOIVODE: "A voivode",
            Role.POLICE: "Police", Role.COURT: "A court", Role.PROSECUTOR: "A prosecutor",
            Role.BANK: "A bank", Role.NOTARY: "A notary", Role.TELECOM: "A telecom",
            Role.STATISTICS: "Statistics", Role.RESIDENT: "A resident",
            Role.ADMIN: "An administrator", Role.OPERATOR: "An operator",
            Role.EXAMINER: "A fingerprint examiner", Role.ABIS_CLIENT: "An ABIS client"}
_WHAT = {Action.RECORD: "record events", Action.READ_PERSON: "read a person's record",
         Action.SEARCH: "search the register", Action.CHECK_RESERVATION: "check reservations",
         Action.READ_AGGREGATES: "read statistics", Action.READ_SELF: "read residents' own data",
         Action.RESERVE_SELF: "reserve a resident's number", Action.MANAGE_USERS: "manage users",
         Action.AUDIT: "administer the audit log", Action.BULK: "export or import the register",
         Action.IDENTIFY: "search fingerprints 1:N", Action.ADJUDICATE: "adjudicate duplicates",
         Action.ABIS: "call the ABIS interface"}


# -- Verification mode (Art. 49) and certificates (issue 19, sections 2 and 3) -----------
# Kept in one block: banks, notaries and telecoms learn yes or no for the claims they
# hold (docs/verification.md); a resident, their municipal office or the console issue
# a certificate (zaświadczenie), the office revokes it, and anyone checks one.
_VERIFIERS = (Role.BANK, Role.NOTARY, Role.TELECOM, Role.OPERATOR)
_CERTIFIERS = (Role.RESIDENT, Role.MUNICIPAL_CLERK, Role.OPERATOR)
_REVOKERS = (Role.MUNICIPAL_CLERK, Role.OPERATOR)
for _role, _action in [*((r, Action.VERIFY) for r in _VERIFIERS),
                       *((r, Action.ISSUE_CERTIFICATE) for r in _CERTIFIERS),
                       *((r, Action.REVOKE_CERTIFICATE) for r in _REVOKERS)]:
    PERMISSIONS[_role] = PERMISSIONS[_role] | {_action}
PERMISSIONS[Role.PUBLIC] = frozenset({Action.CHECK_CERTIFICATE})
NO_PURPOSE_NEEDED = NO_PURPOSE_NEEDED | {Action.CHECK_CERTIFICATE}  # anyone, no questions
_ARTICLE[Role.PUBLIC] = "The public"
_WHAT.update({Action.VERIFY: "verify a person's data", Action.ISSUE_CERTIFICATE:
              "issue certificates", Action.REVOKE_CERTIFICATE: "revoke certificates",
              Action.CHECK_CERTIFICATE: "check certificates"})
VERIFICATION_QUOTA = "1000/hour"
"""Verifications one body (principal) may ask for, in the ``limits`` notation: beyond it
the API answers 429 ``quota-exceeded``. Art. 49 allows checks, not a copy of the register."""
# -- end of the verification and certificate block ---------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


MIN_STATED = 5
MIN_LETTERS = 3
"""A purpose or a legal basis is words: at least 5 characters, 3 of them letters.

A purpose of "." or a legal basis of "-" satisfied a check for non-blank
text while telling the person in their access report nothing; the shortest
honest ones ("audit", "art. 5") pass. A case reference is an identifier, so
it needs only a letter or a digit.
"""


def stated(text: str | None) -> bool:
    """Whether ``text`` can be a purpose or a legal basis (see ``MIN_STATED``).

    >>> stated("."), stated("12345"), stated("test"), stated("art. 5"), stated("kontrola")
    (False, False, False, True, True)
    """
    words = (text or "").strip()
    return len(words) >= MIN_STATED and sum(c.isalpha() for c in words) >= MIN_LETTERS


def decide(role: Role, action: Action, purpose: str | None, legal_basis: str | None = None,
           case_ref: str | None = None) -> Decision:
    if action not in PERMISSIONS[role]:
        return Decision(False, f"{_ARTICLE[role]} may not {_WHAT[action]}.")
    if action not in NO_PURPOSE_NEEDED and not (purpose or "").strip():
        return Decision(False, "State the purpose of the request (the X-Purpose header).")
    if action not in NO_PURPOSE_NEEDED and not stated(purpose):
        return Decision(False, f"State the purpose in words (the X-Purpose header): at least "
                               f"{MIN_STATED} characters, {MIN_LETTERS} of them letters.")
    if role in NEEDS_LEGAL_BASIS and action in _LAW:
        if not ((legal_basis or "").strip() and (case_ref or "").strip()):
            return Decision(False, f"{_ARTICLE[role]} must state the legal basis and the case "
                                   "reference.")
        if not stated(legal_basis):
            return Decision(False, f"State the legal basis in words (X-Legal-Basis), such as "
                                   f"'art. 14 ustawy o Policji': at least {MIN_STATED} "
                                   f"characters, {MIN_LETTERS} of them letters.")
        if not any(c.isalnum() for c in case_ref or ""):
            return Decision(False, "The case reference (X-Case-Ref) needs a letter or a digit.")
    return Decision(True)


def may_record(role: Role, kind: Kind) -> bool:
    """Whether the role's office may record ``kind`` under Art. 10."""
    authority = ROLE_AUTHORITY.get(role)
    return authority is not None and authority in AUTHORS[kind]


def office_for(role: Role, kind: Kind, named: Authority | None = None) -> Authority | None:
    """The office an event of ``kind`` is recorded for when ``role`` records it (Art. 10).

    A role with an office records for that office, and ``None`` says its office
    may not record ``kind``; only the console operator names the office; any
    other role gets the first office that may (the table then refuses it).

    >>> office_for(Role.USC_REGISTRAR, Kind.BIRTH), office_for(Role.MUNICIPAL_CLERK, Kind.BIRTH)
    (<Authority.USC: 'USC'>, None)
    >>> office_for(Role.OPERATOR, Kind.BIRTH, Authority.GMINA)
    <Authority.GMINA: 'GMINA'>
    """
    if role in ROLE_AUTHORITY and not may_record(role, kind):
        return None
    if role is Role.OPERATOR and named is not None:
        return named
    return ROLE_AUTHORITY.get(role, min(AUTHORS[kind]))


# From full age (rules.ADULT_AGE) a child's record is theirs alone: a parent reads only a
# minor child's.


def parent_may_read(child_born: datetime.date, today: datetime.date) -> bool:
    """Whether a parent may still read their child's record (the child is a minor).

    >>> parent_may_read(datetime.date(2010, 5, 2), datetime.date(2028, 5, 1))
    True
    >>> parent_may_read(datetime.date(2010, 5, 2), datetime.date(2028, 5, 2))
    False
    """
    return age_on(child_born, today) < ADULT_AGE


MIN_SECRET_LENGTH = 12
"""A principal's secret has at least 12 characters (argon2 slows guessing; length does more)."""
