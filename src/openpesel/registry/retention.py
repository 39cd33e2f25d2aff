"""How long fingerprints may be kept, by the law they were taken under (docs/retention.md).

Pure: a person's log and a date in, the enrolments whose keys must be destroyed out.

- ``id_card``: Regulation (EU) 2019/1157, Art. 10(3). Biometrics taken to personalise
  an identity card are kept until the card is collected, and never longer than 90 days
  after the date of issue. The register records the issue (``id_card_issued``), not
  the collection, so the 90 days after the first card issued on or after the
  enrolment are the bound it enforces; an enrolment with no card issued yet is an
  application in progress and is kept.
- ``ukr_2022``: the special act of 12 March 2022 (Ukrainians aged 12 and over
  registered with UKR status). A lasting gallery: no end.
- No basis: enrolments recorded before bases existed. Kept; classifying them is an
  official's work this module does not do yet (docs/retention.md).
- A sealed enrolment that a correction withdrew is due at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from openpesel.registry import events as ev
from openpesel.registry.history import effective_events
from openpesel.registry.payloads import SEALED_BASES
from openpesel.registry.state import ID_CARD_DAYS, id_card_prints_until

__all__ = ["ID_CARD_DAYS", "ID_CARD_RULE", "WITHDRAWN_RULE", "Holding", "due", "holdings"]

ID_CARD_RULE = "Regulation (EU) 2019/1157 Art. 10(3): 90 days after the card's issue"
WITHDRAWN_RULE = "the enrolment was withdrawn by a correction"


@dataclass(frozen=True)
class Holding:
    """One enrolment's biometrics, as the law holds them on a date."""

    enrolment_seq: int
    basis: str | None
    key_id: str | None
    enrolled: datetime.date
    until: datetime.date | None
    """The last day they may be kept; None while no end is set."""
    erased: bool
    rule: str = ID_CARD_RULE

    def due(self, today: datetime.date) -> bool:
        """Must the key be destroyed on ``today``?"""
        return not self.erased and self.key_id is not None and (
            self.until is not None and today > self.until)


def holdings(log: Sequence[ev.Event]) -> list[Holding]:
    """Every enrolment in a person's log with the day its law lets it be kept until.

    Read from the log as written, not only as corrected: a sealed enrolment that a
    correction withdrew still has its key, and nothing lawful refers to it any more.
    (A correction cannot unseal one: ``FingerprintsEnrolled`` refuses sealed text
    without its key, and a key without the basis that ends.)
    """
    current = {e.seq: e for e in effective_events(log)}
    erased = {cast("ev.BiometricsErased", e.payload).enrolment_seq for e in current.values()
              if e.kind is ev.Kind.BIOMETRICS_ERASED}
    issued = sorted(e.effective_date for e in current.values()
                    if e.kind is ev.Kind.ID_CARD_ISSUED)
    out = []
    for written in log:
        if written.kind is not ev.Kind.FINGERPRINTS_ENROLLED:
            continue
        as_written = cast("ev.FingerprintsEnrolled", written.payload)
        now = current.get(written.seq)
        if now is None:
            out.append(Holding(written.seq, as_written.basis, as_written.key_id,
                               written.effective_date,
                               written.effective_date - datetime.timedelta(days=1),
                               written.seq in erased, WITHDRAWN_RULE))
            continue
        p = cast("ev.FingerprintsEnrolled", now.payload)
        until = None
        if p.basis in SEALED_BASES:
            bounds = (id_card_prints_until(now.effective_date, d) for d in issued)
            until = next((b for b in bounds if b is not None), None)
        out.append(Holding(written.seq, p.basis, p.key_id, now.effective_date, until,
                           written.seq in erased))
    return out


def due(log: Sequence[ev.Event], today: datetime.date) -> list[Holding]:
    """The enrolments whose biometrics must be erased on ``today``.

    >>> due([], datetime.date(2026, 1, 1))
    []
    """
    return [h for h in holdings(log) if h.due(today)]
