"""The whole role-by-action table, stated a second time, as the law reads.

``policy.PERMISSIONS`` is the one table the gate decides from; this test
states it again independently, as a grid a reviewer can read row by row, so
an accidental change to either shows up as a failing cell. Every role is
tried against every action, with and without a purpose, and the police,
courts and prosecutors with and without their legal basis and case.
"""

from __future__ import annotations

import pytest

from openpesel.access.policy import (
    NEEDS_LEGAL_BASIS,
    NO_PURPOSE_NEEDED,
    Action,
    Role,
    decide,
    may_record,
)
from openpesel.registry.events import Kind

A = Action
GRID: dict[Role, set[Action]] = {
    Role.USC_REGISTRAR: {A.RECORD, A.READ_PERSON, A.SEARCH, A.READ_AGGREGATES},
    Role.MUNICIPAL_CLERK: {A.RECORD, A.READ_PERSON, A.SEARCH, A.READ_AGGREGATES,
                           A.ISSUE_CERTIFICATE, A.REVOKE_CERTIFICATE},
    Role.PASSPORT_OFFICE: {A.RECORD, A.READ_PERSON, A.SEARCH, A.READ_AGGREGATES},
    Role.VOIVODE: {A.RECORD, A.READ_PERSON, A.SEARCH, A.READ_AGGREGATES},
    Role.POLICE: {A.READ_PERSON, A.SEARCH},
    Role.COURT: {A.READ_PERSON, A.SEARCH},
    Role.PROSECUTOR: {A.READ_PERSON, A.SEARCH},
    Role.BANK: {A.CHECK_RESERVATION, A.VERIFY},
    Role.NOTARY: {A.CHECK_RESERVATION, A.VERIFY},
    Role.TELECOM: {A.CHECK_RESERVATION, A.VERIFY},
    Role.STATISTICS: {A.READ_AGGREGATES},
    Role.RESIDENT: {A.READ_SELF, A.RESERVE_SELF, A.ISSUE_CERTIFICATE},
    Role.ADMIN: {A.MANAGE_USERS, A.AUDIT, A.BULK},
    Role.OPERATOR: {A.RECORD, A.READ_PERSON, A.SEARCH, A.BULK, A.AUDIT, A.MANAGE_USERS,
                    A.IDENTIFY, A.ADJUDICATE, A.VERIFY, A.ISSUE_CERTIFICATE,
                    A.REVOKE_CERTIFICATE},
    Role.EXAMINER: {A.IDENTIFY, A.ADJUDICATE},
    Role.ABIS_CLIENT: {A.ABIS},
    Role.PUBLIC: {A.CHECK_CERTIFICATE},
}
K = Kind
RECORDS: dict[Role, set[Kind]] = {
    Role.USC_REGISTRAR: {K.BIRTH, K.NAME_CHANGED, K.SEX_CHANGED, K.BIRTH_DATE_CORRECTED,
                         K.ADOPTED, K.MARRIED, K.DIVORCED, K.MARRIAGE_ANNULLED, K.SPOUSE_DIED,
                         K.DIED, K.CORRECTED},
    Role.MUNICIPAL_CLERK: {K.FOREIGNER_REGISTERED, K.RESIDENCE_REGISTERED,
                           K.RESIDENCE_DEREGISTERED, K.STAY_ABROAD_BEGAN, K.STAY_ABROAD_ENDED,
                           K.ID_CARD_ISSUED, K.ID_CARD_INVALIDATED, K.FINGERPRINTS_ENROLLED,
                           K.PESEL_RESERVED, K.RESERVATION_WITHDRAWN, K.CORRECTED},
    Role.PASSPORT_OFFICE: {K.PASSPORT_ISSUED, K.PASSPORT_INVALIDATED, K.FINGERPRINTS_ENROLLED,
                           K.CORRECTED},
    Role.VOIVODE: {K.CITIZENSHIP_ACQUIRED, K.CITIZENSHIP_LOST, K.CORRECTED},
}
"""Art. 10 as the offices' own lists: what each office's clerk records (a correction is
then checked against the corrected kind's office, ``test_law_on_every_path``)."""
PURPOSE, BASIS, CASE = "marriage application 2026/117", "art. 14 ustawy o Policji", "RSD-1/26"


def test_the_grid_names_every_role() -> None:
    assert set(GRID) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_role_against_every_action(role: Role, action: Action) -> None:
    allowed = action in GRID[role]
    legal = (BASIS, CASE) if role in NEEDS_LEGAL_BASIS else (None, None)
    assert decide(role, action, PURPOSE, *legal).allowed is allowed
    if not allowed:
        assert decide(role, action, PURPOSE, BASIS, CASE).reason, "a refusal says why"
        return
    if action not in NO_PURPOSE_NEEDED:
        assert not decide(role, action, None, *legal).allowed, "no purpose, no access"
        assert not decide(role, action, ".", *legal).allowed, "a purpose is words"
    if role in NEEDS_LEGAL_BASIS:
        assert not decide(role, action, PURPOSE).allowed, "the law's roles state their basis"
        assert not decide(role, action, PURPOSE, BASIS).allowed, "and their case"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_against_every_event_kind(role: Role) -> None:
    """Art. 10: a role records exactly what its office may; the rest record nothing."""
    assert {kind for kind in Kind if may_record(role, kind)} == RECORDS.get(role, set())
