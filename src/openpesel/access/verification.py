"""Verification mode (Art. 49): a body asks whether the data it holds matches; yes or no.

A bank, a notary or a telecom names a PESEL and the claims it wants checked
(first names, family name, birth date, a document's number, alive, adult).
It learns one yes or no per claim and nothing else: not which part of a name
differs, not whether the number is in the register at all (an unknown number
answers "no" to every claim, in the same shape), not the record. The answer
is sealed with the register's key (``access/sealing.py``), so the body can
show later what the register said.

Every verification is an audit entry naming the person, the claims asked
(never the values) and the body's purpose, so it appears in the person's
access report with its inclusion proof. A body has a quota
(``policy.VERIFICATION_QUOTA``, counted with the ``limits`` library in this
process): beyond it the request is refused, audited, and answered 429.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse, storage, strategies

from openpesel.access.accountable import Access, Accountable, Touched
from openpesel.access.policy import VERIFICATION_QUOTA, Action
from openpesel.access.sealing import seal
from openpesel.errors import ExitCode, InvalidData, NotFound, OpenPeselError
from openpesel.number import validate
from openpesel.registry.rules import ADULT_AGE, age_on
from openpesel.registry.service import Register
from openpesel.registry.state import PersonState
from openpesel.storage.session import StoreTransaction

CLAIMS = ("first_names", "family_name", "birth_date", "document_number", "alive", "adult")
"""What a body may ask about, in the order answers list them."""
TYP = "openpesel-verification+json"


class QuotaExceeded(OpenPeselError):
    message = "This body has used its verification quota; try again later."
    exit_code = ExitCode.REFUSED
    http_status = 429
    problem_type = "quota-exceeded"


class NoClaims(InvalidData):
    message = "Name at least one claim to verify besides the PESEL."


@dataclass(frozen=True)
class Claims:
    """What the body holds; ``None`` is not asked."""

    first_names: str | None = None
    family_name: str | None = None
    birth_date: datetime.date | None = None
    document_number: str | None = None
    alive: bool | None = None
    adult: bool | None = None

    def asked(self) -> list[str]:
        return [c for c in CLAIMS if getattr(self, c) is not None]


def _same(a: str, b: str) -> bool:
    """Names compare as words, case and Unicode form aside: "anna  MARIA" is "Anna Maria"."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return norm(a) == norm(b)


def answer(state: PersonState | None, claims: Claims, today: datetime.date) -> dict[str, bool]:
    """Yes or no for each claim asked; no person (``None``) says no to all."""
    out: dict[str, bool] = {}
    for name in claims.asked():
        value: Any = getattr(claims, name)
        if state is None:
            out[name] = False
        elif name == "first_names":
            out[name] = _same(value, " ".join(state.first_names))
        elif name == "family_name":
            out[name] = _same(value, state.family_name)
        elif name == "birth_date":
            out[name] = value == state.birth_date
        elif name == "document_number":
            held = [d for d in (*state.id_cards, *state.passports)
                    if d.invalidated is None and d.valid_until >= today]
            out[name] = any(_same(value.replace(" ", ""), d.number) for d in held)
        elif name == "alive":
            out[name] = value is state.alive
        else:
            out[name] = value is (age_on(state.birth_date, today) >= ADULT_AGE)
    return out


class Verifications:
    def __init__(self, accountable: Accountable, register: Register) -> None:
        self.tx = accountable
        self.register = register
        self.quota: RateLimitItem = parse(VERIFICATION_QUOTA)
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def verify(self, access: Access, pesel: str, claims: Claims) -> dict[str, Any]:
        """The sealed answer: ``claims`` (yes/no each), ``match`` (all yes), ``jws``."""
        number = validate(pesel)  # a mistyped number is the body's error, not an answer
        asked = claims.asked()
        if not asked:
            raise NoClaims()

        def work(s: StoreTransaction, seen: Touched) -> dict[str, bool]:
            seen.fields = asked
            if not self.limiter.hit(self.quota, "verify", access.principal.name):
                raise QuotaExceeded(f"This body may ask {self.quota} verifications; "
                                    "try again later.")
            try:
                state = self.register.state(number, session=s)
            except NotFound:
                state = None
            if state is not None and state.pesel != number:
                state = None  # a former number: the data no longer matches it
            return answer(state, claims, self.tx.clock().date())

        seen = Touched()
        result = self.tx.run(access, Action.VERIFY, "verify", number, work, seen, writes=False)
        doc: dict[str, Any] = {
            "verification_id": seen.index,
            "pesel": number,
            "claims": result,
            "match": all(result.values()),
            "checked_at": self.tx.clock().isoformat(),
            "body": access.principal.name,
        }
        return {**doc, "jws": seal(self.tx.audit.key, doc, TYP)}
